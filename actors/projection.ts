// Projections, the CQRS read side: an actor that folds the journal's global stream into a read
// model through a ProjectionStore, catching up from its checkpoint and then tailing live.

import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import type { ActorRef } from '../runtime/actor-ref.ts';
import { TroupeError } from '../runtime/errors.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { MessageRegistry } from '../runtime/wire/message-registry.ts';
import type { Backoff } from '../supervisors/backoff.ts';
import type { SupervisionOptions } from '../supervisors/strategy.ts';
import type { Journal, StoredEvent } from './journal/journal.ts';
import type { ProjectionStore } from './projection-stores.ts';
import { projectionActor, type ProjectionMsg, type ProjectionRuntime, type ProjectionStatus } from './internal/projection-actor.ts';
import { journalHead } from './internal/projection-head.ts';
import { hasAppendHints } from './internal/projection-notifier.ts';

export type { ProjectionMsg, ProjectionPhase, ProjectionStatus } from './internal/projection-actor.ts';
export { withAppendHints, type HintingJournal } from './internal/projection-notifier.ts';

/** Options of {@link createProjection}. */
export interface ProjectionOptions<T> {
  /** The system the projection's actor runs in (its scheduler drives polling). */
  readonly system: ActorSystem;
  readonly journal: Journal;
  /** The projection's name: its checkpoint's key, and its actor is `/user/projection-<name>`. 1–100 of `A–Z a–z 0–9 _ . : -`. */
  readonly name: string;
  /** Applies one event to the read model through `tx` (see {@link ProjectionStore} for when it may see an event again). */
  handle(event: StoredEvent, tx: T): void | Promise<void>;
  readonly store: ProjectionStore<T>;
  /** First global position to project when the store has no checkpoint (and after a rebuild); default 1. */
  readonly fromPosition?: number;
  /** Events read (and committed) per batch; default 500. */
  readonly batchSize?: number;
  /** How often a live projection polls the journal, on the system scheduler; default 100 ms. With {@link withAppendHints}, appends in this process are seen at once. */
  readonly pollMs?: number;
  /** Which events reach `handle`; default all. The checkpoint moves past skipped events too. */
  filter?(event: StoredEvent): boolean;
  /** Upcasts each event's data with `registry.decode(type, schemaVersion, data)` before filter and handle; default none. */
  readonly registry?: MessageRegistry;
  /** How the projection's actor supervises (it has no children; this is for completeness). */
  readonly supervision?: SupervisionOptions;
  /**
   * Wait before retrying a batch that failed; default `{ minMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 }`.
   * A failing batch is retried from the stored checkpoint for as long as it fails (status `failed`
   * with the error and `failures`); the failure never goes up the supervision tree.
   */
  readonly retry?: Backoff;
}

/** A running projection. */
export interface Projection {
  readonly name: string;
  readonly ref: ActorRef<ProjectionMsg>;
  /** Status after every batch, pause, rebuild, failure and stop; replays the latest to new subscribers; completes on stop. */
  readonly status$: Observable<ProjectionStatus>;
  /** The latest status. */
  status(): ProjectionStatus;
  /** The journal's last position now, minus the checkpoint (0 when caught up). */
  lag(): Promise<number>;
  /** Stops reading after the current batch (the lag in `status$` keeps being updated each poll). */
  pause(): void;
  /** Reads again at once. */
  resume(): void;
  /** Resets the store (read model and checkpoint) and replays from `fromPosition`; resolves when caught up again. */
  rebuild(): Promise<void>;
  /** Stops the projection's actor after its current batch; resolves once it has stopped. */
  stop(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,99}$/;

/**
 * Creates and starts a projection: an actor (restart `'transient'`, under the guardian) that
 * 1. loads its checkpoint from `store` (the last position applied);
 * 2. reads `batchSize` events after it with `journal.readAll`, and commits each batch through
 *    `store.commit` — on an atomic store the handler's writes and the new checkpoint in one
 *    transaction, so after a crash no event is applied twice; on a non-atomic store the handlers
 *    must be idempotent;
 * 3. when a read comes back short it is live, and polls every `pollMs` (or at once on a hint).
 * A failing handler, store or journal fails the batch: it is rolled back and retried from the
 * stored checkpoint after `retry`'s backoff (status `failed` meanwhile); the failure never goes
 * to the supervisor. One instance per name: a second one is fenced off by the store's checkpoint
 * check (`concurrency-conflict`).
 *
 * @example
 * const store = createMemoryProjectionStore<number>();
 * const deposits = createProjection({
 *   system, journal, store, name: 'deposit-counts',
 *   filter: (e) => e.type === 'deposited',
 *   handle: (e, tx) => tx.set(e.stream, (tx.get(e.stream) ?? 0) + 1),
 * });
 * deposits.status$.subscribe((s) => console.log(s.phase, s.lag));
 */
export function createProjection<T>(options: ProjectionOptions<T>): Projection {
  const o = checkOptions(options);
  const subject = new BehaviorSubject<ProjectionStatus>({ name: o.name, phase: 'starting', checkpoint: 0, head: 0, lag: 0, handled: 0, rebuilds: 0, failures: 0 });
  const fromPosition = o.fromPosition ?? 1;
  const registry = o.registry;
  const upcast = registry === undefined ? undefined
    : (e: StoredEvent): StoredEvent => ({ ...e, data: registry.decode(e.type, e.schemaVersion, e.data), schemaVersion: registry.versionOf(e.type) });
  const filter = o.filter?.bind(o);
  const rt: ProjectionRuntime<T> = {
    name: o.name, journal: o.journal, store: o.store, handle: o.handle.bind(o), fromPosition,
    batchSize: o.batchSize ?? 500, pollMs: o.pollMs ?? 100, supervision: o.supervision,
    retry: o.retry ?? { minMs: 100, maxMs: 30_000, factor: 2, jitter: 0.2 },
    select: (page) => {
      const events = upcast ? page.map(upcast) : page.slice();
      return filter ? events.filter(filter) : events;
    },
    shared: { paused: false, hinted: false, handled: 0, rebuilds: 0, failures: 0 },
    publish(update) {
      if (subject.closed) return;
      const next = { ...subject.value, ...update };
      if (update.phase !== undefined && update.phase !== 'failed') delete (next as { error?: unknown }).error;
      const done = Math.max(next.checkpoint, fromPosition - 1);
      subject.next({ ...next, lag: Math.max(0, next.head - done) });
      if (next.phase === 'stopped') subject.complete();
    },
  };
  const ref = o.system.spawn(projectionActor(rt), `projection-${o.name}`);
  const unhint = hasAppendHints(o.journal)
    ? o.journal.onAppend(() => {
      if (rt.shared.hinted || rt.shared.paused || !ref.alive) return;
      rt.shared.hinted = true;
      try { ref.tell({ type: 'poll' }); } catch { /* the system terminated */ }
    })
    : () => undefined;
  subject.subscribe({ complete: unhint });

  /** Resolves when `done(status)` holds; rejects with what `failed(status)` returns, or when the projection stops first. */
  const until = (done: (s: ProjectionStatus) => boolean, failed: (s: ProjectionStatus) => unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      let settled = false;
      let sub: Subscription | undefined;
      const settle = (error: unknown, ok: boolean): void => {
        settled = true;
        if (ok) resolve(); else reject(error);
        sub?.unsubscribe();
      };
      sub = subject.subscribe({
        next: (s) => {
          if (settled) return;
          if (done(s)) settle(undefined, true);
          else if (failed(s) !== undefined) settle(failed(s), false);
        },
        complete: () => { if (!settled) settle(new TroupeError('actor-dead', `Projection "${o.name}" stopped before the rebuild finished.`, { projection: o.name }), false); },
      });
      if (settled) sub.unsubscribe();
    });

  let rebuildsAsked = 0;
  return {
    name: o.name,
    ref,
    status$: subject.asObservable(),
    status: () => subject.value,
    async lag() {
      const s = subject.value;
      const head = await journalHead(o.journal, Math.max(s.head, s.checkpoint));
      return Math.max(0, head - Math.max(subject.value.checkpoint, fromPosition - 1));
    },
    pause() { ref.tell({ type: 'pause' }); },
    resume() { ref.tell({ type: 'resume' }); },
    rebuild() {
      const target = rebuildsAsked = Math.max(rebuildsAsked, rt.shared.rebuilds) + 1;
      ref.tell({ type: 'rebuild' });
      return until(
        (s) => s.rebuilds >= target && s.phase === 'live',
        (s) => (s.phase === 'failed' && s.rebuilds < target ? s.error : undefined),
      );
    },
    stop() {
      if (subject.closed) return Promise.resolve();
      const stopped = new Promise<void>((resolve) => subject.subscribe({ complete: resolve }));
      if (ref.alive) o.system.stop(ref as ActorRef<never>);
      return stopped;
    },
  };
}

function checkOptions<T>(o: ProjectionOptions<T>): ProjectionOptions<T> {
  const bad = (why: string): never => { throw new TroupeError('invalid-spec', `createProjection(${JSON.stringify(o?.name ?? '')}): ${why}`); };
  if (typeof o !== 'object' || o === null) bad('expected { system, journal, name, handle, store }.');
  if (typeof o.name !== 'string' || !NAME.test(o.name)) bad('name must be 1–100 characters of A–Z a–z 0–9 _ . : - (not starting with . : or -).');
  if (typeof o.system?.spawn !== 'function') bad('system must be an actor system.');
  if (typeof o.journal?.readAll !== 'function') bad('journal must be a Journal.');
  if (typeof o.handle !== 'function') bad('handle must be a function (event, tx) => void.');
  if (typeof o.store?.commit !== 'function' || typeof o.store.loadCheckpoint !== 'function') bad('store must be a ProjectionStore (see projection-stores.ts).');
  if (o.filter !== undefined && typeof o.filter !== 'function') bad('filter must be a function (event) => boolean.');
  const positive = (v: number | undefined, field: string, min: number): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) bad(`${field} must be an integer ≥ ${min}, got ${String(v)}.`);
  };
  positive(o.batchSize, 'batchSize', 1);
  positive(o.fromPosition, 'fromPosition', 1);
  positive(o.pollMs, 'pollMs', 1);
  return o;
}
