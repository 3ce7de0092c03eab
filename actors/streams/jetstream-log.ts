// The NATS JetStream log backend (shared): one JetStream stream per topic (offset = stream
// sequence), cursors in a KV bucket with compare-and-set claims, dead letters in one stream.

import { connect, nanos, StorageType, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection, type StreamConfig, type Subscription } from 'nats';
import { TroupeError } from '../../runtime/errors.ts';
import type { DeadLetterRecord, LogBackend, LogHead, LogRecord, LogSource, NewLogRecord } from './log-source.ts';
import { checkName } from './names.ts';
import { checkRecord, decodeDeadLetter, decodeRecord, encodeDeadLetter, encodeName, encodeRecord, msgIdOf, recordStats } from './internal/jetstream-codec.ts';
import { createJetStreamCursors } from './internal/jetstream-cursors.ts';
import { directGet, type DirectMessage } from './internal/jetstream-direct.ts';
import { CHUNK, directGetAll, readRange, seqRange } from './internal/jetstream-read.ts';
import { isNoResponders, isNotFound, jsErrCode, toLogError } from './internal/jetstream-errors.ts';

/** Options of {@link createJetStreamLogBackend}: a connection to borrow, or servers to connect to. */
export interface JetStreamLogOptions {
  /** A connection the backend uses but never closes. */
  readonly connection?: NatsConnection;
  /** Used when `connection` is absent: the backend connects and closes that connection on close. */
  readonly servers?: string | readonly string[];
  /** Names the streams (`<prefix>-t-<topic>`, `<prefix>-dlq`), subjects (`<prefix>.t.<topic>`…) and the KV bucket (`<prefix>-cursors`); `[A-Za-z0-9_-]`, default `'troupe'`. */
  readonly prefix?: string;
  /** The source name records carry ({@link LogRecord.source}); default `'jetstream'`. */
  readonly name?: string;
  /** Replicas of every stream and the bucket (1–5; needs a JetStream cluster above 1); default 1. */
  readonly replicas?: number;
  /** Time to reach the server when the backend connects; default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Time a JetStream request (publish ack, get, info) may take before `backend-unavailable`; default 5 000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * Whether {@link LogSource.trim} also stores `maxCount`/`maxAgeMs` as the stream's `max_msgs`/`max_age`,
   * so the server keeps enforcing them between trims (`max_age` by the server's clock). Default true;
   * pass false when records carry a virtual clock's times. `maxBytes` is always applied by trim only.
   */
  readonly serverLimits?: boolean;
  /** Further options of the `nats` client when it connects (credentials, TLS, reconnect); default none. */
  readonly nats?: Omit<ConnectionOptions, 'servers' | 'timeout'>;
}

const PREFIX = /^[A-Za-z0-9_-]{1,32}$/;
const EMPTY: LogHead = { first: 1, last: 0 };
/** JetStream's default duplicate window (2 minutes), in nanoseconds. */
const DUPLICATE_WINDOW_NS = nanos(120_000);

const positiveInt = (name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isInteger(v) || v < min || v > max) throw new TroupeError('invalid-argument', `createJetStreamLogBackend: ${name} must be an integer in ${min}–${max}, got ${String(v)}.`, { [name]: v });
  return v;
};
const checkInt = (op: string, name: string, v: unknown, min: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TroupeError('invalid-argument', `${op}: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`, { [name]: v });
  return v;
};

/**
 * Connects to NATS (or borrows `connection`), checks that JetStream answers, and creates the
 * cursor bucket `<prefix>-cursors` and the dead-letter stream `<prefix>-dlq` if missing. A topic's
 * stream `<prefix>-t-<topic>` (subject `<prefix>.t.<topic>`, names encoded by `_`→`__`, `.`→`_d`,
 * `:`→`_c`) is created on its first append. Offsets are stream sequences.
 *
 * Guarantees: each record is durable (stored by the stream's replicas) when `append` resolves,
 * and the offsets come back in batch order. A multi-record batch is not atomic (JetStream 2.9 has
 * no batch publish): a failure can leave part of it stored, and concurrent appenders may interleave.
 * Each record is published with `Nats-Msg-Id` = its id, so retrying a failed append with the same
 * records within the stream's duplicate window (2 minutes) stores none twice and returns the
 * original offsets. `watch` hears a tiny core-NATS notice on `<prefix>.n.<topic>` that every
 * appender sends after its acks. Unreachable server or no JetStream → `backend-unavailable`;
 * JetStream out of storage → `storage-full`.
 *
 * @example
 * const bus = await createJetStreamLogBackend({ servers: 'nats://127.0.0.1:4222', prefix: 'shop' });
 * const [offset] = await bus.local.append('orders', [record]);
 */
export async function createJetStreamLogBackend(options: JetStreamLogOptions): Promise<LogBackend> {
  const prefix = options.prefix ?? 'troupe';
  if (!PREFIX.test(prefix)) throw new TroupeError('invalid-argument', `createJetStreamLogBackend: prefix ${JSON.stringify(prefix)} must be 1–32 of [A-Za-z0-9_-] (it names streams, subjects and a KV bucket).`, { prefix });
  const name = options.name ?? 'jetstream';
  const replicas = positiveInt('replicas', options.replicas ?? 1, 1, 5);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1);
  const timeout = positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? 5_000, 1);
  const serverLimits = options.serverLimits ?? true;
  if (!options.connection && !options.servers) throw new TroupeError('invalid-argument', 'createJetStreamLogBackend needs a `connection` or `servers` (e.g. "nats://127.0.0.1:4222").');
  const servers = options.connection ? options.connection.getServer() : [options.servers!].flat().join(', ');
  const fail = (e: unknown, op: string): TroupeError => toLogError(e, op, servers);

  let nc: NatsConnection;
  try {
    nc = options.connection ?? await connect({ ...options.nats, servers: [options.servers!].flat(), timeout: connectTimeoutMs, name: options.nats?.name ?? `troupe log ${name}` });
  } catch (e) {
    throw new TroupeError('backend-unavailable', `Could not connect to NATS at ${servers}: ${(e as Error)?.message ?? String(e)}. Start nats-server with -js there (or fix the URL and credentials) and retry.`, { backend: 'jetstream' }, { cause: e });
  }
  const owned = options.connection === undefined;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  const dlqStream = `${prefix}-dlq`;
  let cursors: ReturnType<typeof createJetStreamCursors>;
  try {
    jsm = await nc.jetstreamManager({ timeout });
    js = nc.jetstream({ timeout });
    cursors = createJetStreamCursors(await js.views.kv(`${prefix}-cursors`, { replicas, history: 1 }));
    await addStream({ name: dlqStream, subjects: [`${prefix}.dlq.>`] });
  } catch (e) {
    if (owned) await nc.close().catch(() => {});
    throw fail(e, 'setup (account info, cursor bucket, dead-letter stream)');
  }

  async function addStream(cfg: Pick<StreamConfig, 'name' | 'subjects'>): Promise<void> {
    try {
      await jsm.streams.add({ ...cfg, storage: StorageType.File, num_replicas: replicas, allow_direct: true });
    } catch (e) {
      if (jsErrCode(e) !== 10058) throw e; // exists with other limits (set by trim): fine
    }
  }

  const streamOf = (topic: string): string => `${prefix}-t-${encodeName(topic)}`;
  const subjectOf = (topic: string): string => `${prefix}.t.${encodeName(topic)}`;
  const noticeOf = (topic: string): string => `${prefix}.n.${encodeName(topic)}`;
  const dlqSubjectOf = (topic: string, consumer: string): string => `${prefix}.dlq.${encodeName(topic)}.${encodeName(consumer)}`;

  const ensured = new Map<string, Promise<void>>();
  const ensure = (topic: string): Promise<void> => {
    let p = ensured.get(topic);
    if (!p) {
      p = addStream({ name: streamOf(topic), subjects: [subjectOf(topic)] });
      ensured.set(topic, p);
      p.catch(() => ensured.delete(topic));
    }
    return p;
  };

  /** The message at `seq`, or undefined when it is gone (trimmed) or the stream does not exist. */
  const getRange = (stream: string, seqs: number[]): Promise<(DirectMessage | undefined)[]> => directGetAll(nc, stream, seqs, timeout);

  const headOfStream = async (stream: string): Promise<{ head: LogHead; bytes: number; config?: StreamConfig }> => {
    try {
      const info = await jsm.streams.info(stream);
      const last = info.state.last_seq;
      const first = info.state.messages === 0 ? last + 1 : Math.max(1, info.state.first_seq);
      return { head: { first, last }, bytes: info.state.bytes, config: info.config };
    } catch (e) {
      if (isNotFound(e)) return { head: EMPTY, bytes: 0 };
      throw e;
    }
  };

  let closed = false;
  const inflight = new Set<Promise<unknown>>();
  const watchers = new Set<Subscription>();
  const run = <T>(op: string, work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new TroupeError('journal-closed', `The JetStream log '${name}' is closed; create a new backend to ${op}.`, { backend: 'jetstream' }));
    const p = work().catch((e: unknown) => { throw fail(e, op); });
    inflight.add(p);
    const done = (): void => { inflight.delete(p); };
    p.then(done, done);
    return p;
  };

  const publishAll = async (topic: string, records: readonly NewLogRecord[], bodies: Uint8Array[]): Promise<number[]> => {
    const subject = subjectOf(topic);
    const results = await Promise.allSettled(bodies.map((b, i) => js.publish(subject, b, { msgID: msgIdOf(records[i].id), timeout })));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results.map((r) => (r as PromiseFulfilledResult<{ seq: number }>).value.seq);
  };

  const source: LogSource = {
    name,

    append(topic, records) {
      return run('append', async () => {
        checkName('topic', topic, 'append');
        if (!Array.isArray(records) || records.length === 0) throw new TroupeError('invalid-argument', 'append: pass at least one record.', { topic });
        records.forEach(checkRecord);
        const bodies = records.map(encodeRecord);
        await ensure(topic);
        let offsets: number[];
        try {
          offsets = await publishAll(topic, records, bodies);
        } catch (e) {
          if (!isNoResponders(e)) throw e;
          // The stream went away (deleted by hand): create it again and retry; Nats-Msg-Id dedups.
          ensured.delete(topic);
          await ensure(topic);
          offsets = await publishAll(topic, records, bodies);
        }
        try { nc.publish(noticeOf(topic), String(Math.max(...offsets))); } catch { /* closed: watchers hear nothing anyway */ }
        return offsets;
      });
    },

    read(topic, fromOffset, maxCount) {
      return run('read', async () => {
        checkName('topic', topic, 'read');
        checkInt('read', 'fromOffset', fromOffset, 0);
        checkInt('read', 'maxCount', maxCount, 0);
        const stream = streamOf(topic);
        const { head } = await headOfStream(stream);
        const msgs = await readRange(nc, js, stream, Math.max(fromOffset, head.first), head.last, maxCount, timeout);
        const out: LogRecord[] = msgs.map((m) => decodeRecord(m.data, topic, name, m.seq));
        return out;
      });
    },

    head(topic) {
      return run('head', async () => (await headOfStream(streamOf(checkName('topic', topic, 'head')))).head);
    },

    cursor(topic, consumer, partition) {
      return run('cursor', async () => {
        checkName('topic', topic, 'cursor'); checkName('consumer', consumer, 'cursor'); checkInt('cursor', 'partition', partition, 0);
        return cursors.cursor(topic, consumer, partition);
      });
    },

    claim(topic, consumer, partition, owner, seenGeneration) {
      return run('claim', async () => {
        checkName('topic', topic, 'claim'); checkName('consumer', consumer, 'claim'); checkInt('claim', 'partition', partition, 0);
        checkInt('claim', 'seenGeneration', seenGeneration, 0);
        if (typeof owner !== 'string' || owner.length === 0) throw new TroupeError('invalid-argument', 'claim: owner must be a non-empty string (the member id).', { topic, consumer });
        return cursors.claim(topic, consumer, partition, owner, seenGeneration);
      });
    },

    commit(topic, consumer, partition, offset, generation) {
      return run('commit', async () => {
        checkName('topic', topic, 'commit'); checkName('consumer', consumer, 'commit'); checkInt('commit', 'partition', partition, 0);
        checkInt('commit', 'offset', offset, 0); checkInt('commit', 'generation', generation, 0);
        return cursors.commit(topic, consumer, partition, offset, generation);
      });
    },

    release(topic, consumer, partition, generation) {
      return run('release', async () => {
        checkName('topic', topic, 'release'); checkName('consumer', consumer, 'release'); checkInt('release', 'partition', partition, 0);
        checkInt('release', 'generation', generation, 0);
        return cursors.release(topic, consumer, partition, generation);
      });
    },

    deadLetter(topic, entry) {
      return run('deadLetter', async () => {
        checkName('topic', topic, 'deadLetter');
        checkName('consumer', entry?.consumer, 'deadLetter');
        const r = entry.record as Partial<LogRecord> | undefined;
        if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || typeof entry.error !== 'string' || !Number.isInteger(entry.attempts) || !Number.isFinite(entry.deadAtMs)) {
          throw new TroupeError('invalid-argument', 'deadLetter: pass { record, consumer, error: string, attempts: integer, deadAtMs: number } with the record as read.', { topic, consumer: entry.consumer });
        }
        await js.publish(dlqSubjectOf(topic, entry.consumer), encodeDeadLetter(entry), { timeout });
      });
    },

    deadLetters(topic, consumer) {
      return run('deadLetters', async () => (await scanDeadLetters(checkName('topic', topic, 'deadLetters'), checkName('consumer', consumer, 'deadLetters'))).map((d) => d.entry));
    },

    purgeDeadLetters(topic, consumer, ids) {
      return run('purgeDeadLetters', async () => {
        checkName('topic', topic, 'purgeDeadLetters'); checkName('consumer', consumer, 'purgeDeadLetters');
        if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw new TroupeError('invalid-argument', 'purgeDeadLetters: ids must be an array of record ids.', { topic, consumer });
        const wanted = new Set(ids);
        if (wanted.size === 0) return 0;
        const gone = (await scanDeadLetters(topic, consumer)).filter((d) => wanted.has(d.entry.record.id));
        await Promise.all(gone.map((d) => jsm.streams.deleteMessage(dlqStream, d.seq, false)));
        return gone.length;
      });
    },

    trim(topic, retention, nowMs) {
      return run('trim', async () => {
        checkName('topic', topic, 'trim');
        const maxCount = retention?.maxCount === undefined ? undefined : checkInt('trim', 'maxCount', retention.maxCount, 0);
        const maxAgeMs = retention?.maxAgeMs === undefined ? undefined : checkInt('trim', 'maxAgeMs', retention.maxAgeMs, 0);
        const maxBytes = retention?.maxBytes === undefined ? undefined : checkInt('trim', 'maxBytes', retention.maxBytes, 0);
        if (!Number.isFinite(nowMs)) throw new TroupeError('invalid-argument', `trim: nowMs must be a finite number, got ${String(nowMs)}.`, { topic });
        const stream = streamOf(topic);
        let { head, bytes, config } = await headOfStream(stream);
        if (!config) return head;
        if (serverLimits) await applyServerLimits(stream, config, { maxCount, maxAgeMs });
        ({ head, bytes } = await headOfStream(stream));
        let keepFrom = head.first;
        if (maxCount !== undefined) keepFrom = Math.max(keepFrom, head.last - maxCount + 1);
        if (maxAgeMs !== undefined) keepFrom = await firstYoung(topic, stream, keepFrom, head.last, nowMs - maxAgeMs);
        // Stored bytes bound payload bytes from above: under the limit, nothing to scan.
        if (maxBytes !== undefined && bytes > maxBytes) keepFrom = Math.max(keepFrom, await firstWithinBytes(topic, stream, keepFrom, head.last, maxBytes));
        if (keepFrom > head.first) await jsm.streams.purge(stream, { seq: keepFrom });
        return (await headOfStream(stream)).head;
      });
    },

    watch(topic, listener) {
      checkName('topic', topic, 'watch');
      if (closed) throw new TroupeError('journal-closed', `The JetStream log '${name}' is closed; create a new backend to watch.`, { backend: 'jetstream' });
      const sub = nc.subscribe(noticeOf(topic), {
        callback: (err, msg) => {
          if (err) return;
          const last = Number(msg.string());
          if (!Number.isSafeInteger(last) || last < 1) return; // not ours: ignore, never throw here
          try { listener(last); } catch { /* the listener's failure is its own */ }
        },
      });
      watchers.add(sub);
      return () => {
        if (!watchers.delete(sub)) return;
        try { sub.unsubscribe(); } catch { /* connection already closed */ }
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const sub of watchers) { try { sub.unsubscribe(); } catch { /* closed */ } }
      watchers.clear();
      await Promise.allSettled([...inflight]);
      if (owned && !nc.isClosed()) await nc.close().catch(() => {});
    },
  };

  async function applyServerLimits(stream: string, config: StreamConfig, r: { maxCount?: number; maxAgeMs?: number }): Promise<void> {
    const max_msgs = r.maxCount ? r.maxCount : -1; // the server reads 0 as unlimited; trim purges all then
    const max_age = nanos(r.maxAgeMs ?? 0);
    // The server refuses a duplicate window longer than max_age: shrink it with the age limit.
    const duplicate_window = max_age > 0 ? Math.min(DUPLICATE_WINDOW_NS, max_age) : DUPLICATE_WINDOW_NS;
    if (config.max_msgs === max_msgs && config.max_age === max_age && config.duplicate_window === duplicate_window) return;
    await jsm.streams.update(stream, { ...config, max_msgs, max_age, duplicate_window });
  }

  /** The first offset in [from, last] published at or after `cutoffMs` (last + 1 when none): the age limit's new start. */
  async function firstYoung(topic: string, stream: string, from: number, last: number, cutoffMs: number): Promise<number> {
    for (let next = from; next <= last; next += CHUNK) {
      const seqs = seqRange(next, Math.min(last, next + CHUNK - 1));
      const msgs = await getRange(stream, seqs);
      for (const m of msgs) if (m && recordStats(m.data, topic, m.seq).publishedAtMs >= cutoffMs) return m.seq;
    }
    return last + 1;
  }

  /** The oldest offset such that it and every newer record fit in `maxBytes` of payload (walking back from `last`). */
  async function firstWithinBytes(topic: string, stream: string, from: number, last: number, maxBytes: number): Promise<number> {
    let total = 0;
    for (let next = last; next >= from; next -= CHUNK) {
      const seqs = seqRange(Math.max(from, next - CHUNK + 1), next).reverse();
      const msgs = await getRange(stream, seqs);
      for (const m of msgs) {
        if (!m) continue;
        total += recordStats(m.data, topic, m.seq).payloadBytes;
        if (total > maxBytes) return m.seq + 1;
      }
    }
    return from;
  }

  async function scanDeadLetters(topic: string, consumer: string): Promise<{ seq: number; entry: DeadLetterRecord }[]> {
    const subject = dlqSubjectOf(topic, consumer);
    const out: { seq: number; entry: DeadLetterRecord }[] = [];
    for (let seq = 1; ;) {
      const m = await directGet(nc, dlqStream, seq, timeout, subject);
      if (!m) break;
      const entry = decodeDeadLetter(m.data);
      if (entry) out.push({ seq: m.seq, entry });
      seq = m.seq + 1;
    }
    return out;
  }

  return {
    kind: 'jetstream',
    shared: true,
    local: source,
    close: () => source.close(),
  };
}
