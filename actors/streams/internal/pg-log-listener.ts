// The watch side of the PostgreSQL stream backend: one dedicated connection LISTENing on the
// schema's channel, reconnected with backoff when it drops, calling topic watchers per NOTIFY.

import type pg from 'pg';
import type { Scheduler, TimerId } from '../../../runtime/clock.ts';

/** First reconnect delay of the LISTEN connection; doubles per failed attempt up to {@link MAX_RETRY_MS}. */
export const FIRST_RETRY_MS = 100;
export const MAX_RETRY_MS = 5_000;

/** What the listener needs: where to connect, the channel, timers, and how to read current heads. */
export interface PgListenerDeps {
  readonly pool: pg.Pool;
  readonly channel: string;
  readonly listen: string;
  readonly scheduler: Scheduler;
  /** Last offsets of the given topics (topics without records absent); used to catch up after (re)connecting. */
  readonly lasts: (topics: string[]) => Promise<Map<string, number>>;
}

/** Topic watchers over one LISTEN connection, opened on the first watch. */
export interface PgListener {
  watch(topic: string, listener: (last: number) => void): () => void;
  /** Calls `topic`'s watchers with `last` (after this process's own appends, without waiting for the NOTIFY). */
  deliver(topic: string, last: number): void;
  /** Drops the connection (destroyed, never returned to the pool) and every watcher. */
  close(): void;
}

/** The NOTIFY payload for `topic` at `last`: `<last>:<topic>` (topics may hold ':', offsets never do). */
export const notifyPayload = (topic: string, last: number): string => `${last}:${topic}`;

/** Creates the listener; it connects when the first watcher arrives. */
export function createPgListener(deps: PgListenerDeps): PgListener {
  const watchers = new Map<string, Set<(last: number) => void>>();
  let client: pg.PoolClient | undefined;
  /** Destroys the current connection attempt's client, once. */
  let dropCurrent: (() => void) | undefined;
  let connecting = false;
  let timer: TimerId | undefined;
  let delayMs = FIRST_RETRY_MS;
  let closed = false;

  /** The highest last offset told per watched topic: a late NOTIFY or catch-up of an older value is not repeated. */
  const told = new Map<string, number>();

  const deliver = (topic: string, last: number): void => {
    const set = watchers.get(topic);
    if (!set || last <= (told.get(topic) ?? 0)) return;
    told.set(topic, last);
    for (const l of [...set]) {
      try { l(last); } catch { /* a throwing watcher must not stop the others */ }
    }
  };

  const retryLater = (): void => {
    if (closed || timer !== undefined || watchers.size === 0) return;
    timer = deps.scheduler.startTimer(delayMs, () => { timer = undefined; connect(); });
    delayMs = Math.min(delayMs * 2, MAX_RETRY_MS);
  };

  const onNotification = (msg: pg.Notification): void => {
    if (msg.channel !== deps.channel || typeof msg.payload !== 'string') return;
    const colon = msg.payload.indexOf(':');
    const last = Number(msg.payload.slice(0, colon));
    if (colon < 1 || !Number.isSafeInteger(last)) return;
    deliver(msg.payload.slice(colon + 1), last);
  };

  const connect = (): void => {
    if (closed || client !== undefined || connecting || timer !== undefined) return;
    connecting = true;
    void (async () => {
      let c: pg.PoolClient | undefined;
      let released = false;
      const drop = (err?: Error): void => {
        if (released || c === undefined) return;
        released = true;
        c.off('notification', onNotification);
        c.release(err ?? true);
        if (client === c) client = undefined;
      };
      dropCurrent = () => drop();
      try {
        c = await deps.pool.connect();
        const mine = c;
        c.on('notification', onNotification);
        c.on('error', (err) => { drop(err); retryLater(); });
        c.on('end', () => { if (client === mine) { drop(); retryLater(); } });
        if (closed) { drop(); return; }
        await c.query(deps.listen);
        if (closed) { drop(); return; }
        client = c;
        delayMs = FIRST_RETRY_MS;
      } catch (err) {
        drop(err as Error);
        connecting = false;
        retryLater();
        return;
      }
      connecting = false;
      // Appends may have committed while no connection listened: tell every watcher where its topic is now.
      const lasts = await deps.lasts([...watchers.keys()]).catch(() => new Map<string, number>());
      for (const [topic, last] of lasts) deliver(topic, last);
    })();
  };

  return {
    watch(topic, listener) {
      let set = watchers.get(topic);
      if (!set) watchers.set(topic, set = new Set());
      const own = (last: number): void => listener(last);
      set.add(own);
      connect();
      return () => {
        const s = watchers.get(topic);
        if (!s) return;
        s.delete(own);
        if (s.size === 0) { watchers.delete(topic); told.delete(topic); }
      };
    },
    deliver,
    close() {
      closed = true;
      watchers.clear();
      told.clear();
      if (timer !== undefined) { deps.scheduler.cancelTimer(timer); timer = undefined; }
      dropCurrent?.();
    },
  };
}
