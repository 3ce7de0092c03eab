// The embedded stream backends: topic logs, cursors, dead letters and retention marks kept as
// streams of a journal (memory or file, or a borrowed one), plus topics derived from the journal's
// own event streams (the transactional outbox without a second write).

import type { Journal, NewEvent, StoredEvent } from '../journal/journal.ts';
import { isTroupeError, TroupeError } from '../../runtime/errors.ts';
import { checkName } from './names.ts';
import type { CursorState, DeadLetterRecord, LogHead, LogRecord, LogSource, NewLogRecord, Retention } from './log-source.ts';
import { hashString } from './partitions.ts';
import { hasAppendHints } from '../internal/projection-notifier.ts';

/**
 * Which journal events a derived topic carries: the events of every stream in `category` (the part
 * of a stream name before its first `-`, or the whole name: `order-42` → `order`), and/or of the
 * streams named in `streams`. Offsets are the journal's global positions; the key is the stream
 * name, so one entity's events stay in order for one group member.
 */
export interface DerivedTopic {
  readonly category?: string;
  readonly streams?: readonly string[];
}

/** Options of {@link createJournalLog}. */
export interface JournalLogOptions {
  /** Names this log (for per-node use: the node name). */
  readonly name: string;
  readonly journal: Journal;
  /** Partition count used to place a derived topic's events (by stream name); default 8. */
  readonly partitions?: number;
  /** Topics read from the journal's own streams instead of a topic log: topic name → what it carries. */
  readonly derived?: Readonly<Record<string, DerivedTopic>>;
}

/** Journal stream names the backend keeps its data in (reserved in a borrowed journal). */
export const RESERVED_STREAM_PREFIXES = ['bus-log:', 'bus-cur:', 'bus-dlq:', 'bus-trim:'] as const;

const SNAPSHOT_EVERY = 64;
const PAGE = 1_000;

interface RecordBody {
  readonly t: string;
  readonly k?: string;
  readonly p: number;
  readonly h?: Readonly<Record<string, string>>;
  readonly d: unknown;
}

type CursorEvent =
  | { readonly kind: 'claim'; readonly g: number; readonly owner: string }
  | { readonly kind: 'commit'; readonly g: number; readonly o: number }
  | { readonly kind: 'release'; readonly g: number };

interface CursorCell { state: CursorState; version: number; sinceSnapshot: number }

const EMPTY: CursorState = Object.freeze({ offset: 0, generation: 0, owner: null });

/** A short stable name for long (topic, consumer) pairs, so stream names stay within 200 characters. */
function streamName(prefix: string, ...parts: (string | number)[]): string {
  const full = `${prefix}${parts.map((p) => `${String(p).length}.${p}`).join(':')}`;
  return full.length <= 200 ? full : `${prefix}h.${hashString(full).toString(36)}.${full.length}:${parts[parts.length - 1]}`.slice(0, 200);
}

function categoryOf(stream: string): string {
  const i = stream.indexOf('-');
  return i < 0 ? stream : stream.slice(0, i);
}

function foldCursor(s: CursorState, e: CursorEvent): CursorState {
  switch (e.kind) {
    case 'claim': return { offset: s.offset, generation: e.g, owner: e.owner };
    case 'commit': return e.g === s.generation && e.o > s.offset ? { offset: e.o, generation: s.generation, owner: s.owner } : s;
    case 'release': return e.g === s.generation ? { offset: s.offset, generation: s.generation, owner: null } : s;
  }
}

function checkPartition(p: unknown, where: string): number {
  if (!Number.isSafeInteger(p) || (p as number) < 0) throw new TroupeError('invalid-argument', `${where}: partition must be an integer ≥ 0, got ${String(p)}.`);
  return p as number;
}

function checkOffset(o: unknown, where: string, field: string): number {
  if (!Number.isSafeInteger(o) || (o as number) < 0) throw new TroupeError('invalid-argument', `${where}: ${field} must be an integer ≥ 0, got ${String(o)}.`);
  return o as number;
}

/** Byte size of a record's payload as retention counts it (its JSON text; superjson values approximated). */
export function recordBytes(data: unknown): number {
  try { return Buffer.byteLength(JSON.stringify(data) ?? ''); } catch { return 0; }
}

/** Per-key promise chains: operations on one cursor or stream run one at a time. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.then(() => undefined, () => undefined);
    this.tails.set(key, settled);
    void settled.then(() => { if (this.tails.get(key) === settled) this.tails.delete(key); });
    return next;
  }
}

/**
 * A {@link LogSource} over a journal. Topic `T`'s log is the stream `bus-log:…T`; offsets are its
 * versions. Cursors are event streams with snapshots every 64 changes, written with optimistic
 * concurrency, so several processes sharing one journal (PostgreSQL) fence each other correctly.
 * Retention moves a durable floor (reads start at it); the journal's space is not reclaimed.
 */
export function createJournalLog(options: JournalLogOptions): LogSource {
  const { journal, name } = options;
  const derivedPartitions = options.partitions ?? 8;
  const derived = new Map(Object.entries(options.derived ?? {}));
  for (const [topic, d] of derived) {
    checkName('topic', topic, 'derived topic');
    if (d.category === undefined && (d.streams === undefined || d.streams.length === 0)) {
      throw new TroupeError('invalid-argument', `derived topic "${topic}": give a category (e.g. 'order' for streams 'order-…') or a list of streams.`, { topic });
    }
  }
  const cursors = new Map<string, CursorCell>();
  const floors = new Map<string, number>();
  const listeners = new Map<string, Set<(last: number) => void>>();
  const lock = new KeyedLock();
  let closed = false;
  // Derived topics hear of appends made through a hinting journal at once (others by polling).
  const unhint = derived.size > 0 && hasAppendHints(journal)
    ? journal.onAppend((position) => { for (const topic of derived.keys()) notify(topic, position); })
    : undefined;

  const guard = (): void => {
    if (closed) throw new TroupeError('journal-closed', `The stream log "${name}" is closed.`, { source: name });
  };
  const logStream = (topic: string): string => streamName('bus-log:', topic);
  const cursorStream = (topic: string, consumer: string, p: number): string => streamName('bus-cur:', topic, consumer, p);
  const dlqStream = (topic: string, consumer: string): string => streamName('bus-dlq:', topic, consumer);
  const trimStream = (topic: string): string => streamName('bus-trim:', topic);

  const toRecord = (topic: string, e: StoredEvent): LogRecord => {
    const b = e.data as RecordBody;
    const r: { -readonly [K in keyof LogRecord]: LogRecord[K] } = {
      topic, source: name, offset: e.version, id: e.meta.id, partition: b.p, type: b.t,
      schemaVersion: e.schemaVersion, data: b.d, publishedAtMs: e.meta.timestampMs,
    };
    if (b.k !== undefined) r.key = b.k;
    if (b.h !== undefined) r.headers = b.h;
    return r;
  };

  const fromJournalEvent = (topic: string, e: StoredEvent): LogRecord => ({
    topic, source: name, offset: e.position, id: e.meta.id, key: e.stream,
    partition: hashString(e.stream) % derivedPartitions, type: e.type, schemaVersion: e.schemaVersion, data: e.data,
    publishedAtMs: e.meta.timestampMs,
    headers: { 'troupe-stream': e.stream, 'troupe-version': String(e.version), ...(e.meta.correlationId !== undefined ? { 'correlation-id': e.meta.correlationId } : {}), ...(e.meta.causationId !== undefined ? { 'causation-id': e.meta.causationId } : {}), ...(e.meta.traceparent !== undefined ? { traceparent: e.meta.traceparent } : {}) },
  });

  const matches = (d: DerivedTopic, stream: string): boolean =>
    (d.category !== undefined && categoryOf(stream) === d.category) || (d.streams !== undefined && d.streams.includes(stream));

  const floorOf = async (topic: string): Promise<number> => {
    const known = floors.get(topic);
    if (known !== undefined) return known;
    const s = trimStream(topic);
    const v = await journal.streamVersion(s);
    const f = v === 0 ? 1 : ((await journal.readStream(s, { fromVersion: v }))[0].data as { f: number }).f;
    floors.set(topic, Math.max(f, floors.get(topic) ?? 1));
    return floors.get(topic)!;
  };

  const loadCursor = async (stream: string): Promise<CursorCell> => {
    const cached = cursors.get(stream);
    if (cached !== undefined) return cached;
    const snap = await journal.loadSnapshot(stream);
    let state = snap === undefined ? EMPTY : (snap.state as CursorState);
    let version = snap?.version ?? 0;
    for (;;) {
      const page = await journal.readStream(stream, { fromVersion: version + 1, maxCount: PAGE });
      for (const e of page) { state = foldCursor(state, e.data as CursorEvent); version = e.version; }
      if (page.length < PAGE) break;
    }
    const cell = { state, version, sinceSnapshot: version - (snap?.version ?? 0) };
    cursors.set(stream, cell);
    return cell;
  };

  /** Appends a cursor event with optimistic concurrency; on a conflict (another process wrote) reloads and lets `decide` run again. */
  const changeCursor = (stream: string, decide: (s: CursorState) => CursorEvent | 'keep' | TroupeError): Promise<CursorState> =>
    lock.run(stream, async () => {
      for (let tries = 0; ; tries++) {
        const cell = await loadCursor(stream);
        const d = decide(cell.state);
        if (d === 'keep') return cell.state;
        if (d instanceof TroupeError) throw d;
        try {
          await journal.append(stream, [{ type: d.kind, data: d }], { expectedVersion: cell.version });
        } catch (e) {
          if (isTroupeError(e, 'concurrency-conflict') && tries < 20) { cursors.delete(stream); continue; }
          throw e;
        }
        cell.state = foldCursor(cell.state, d);
        cell.version += 1;
        if (++cell.sinceSnapshot >= SNAPSHOT_EVERY) {
          cell.sinceSnapshot = 0;
          await journal.saveSnapshot(stream, cell.version, cell.state).catch(() => undefined);
        }
        return cell.state;
      }
    });

  const stale = (topic: string, consumer: string, partition: number, generation: number, current: number): TroupeError =>
    new TroupeError('stale-generation', `Consumer "${consumer}" on topic "${topic}" partition ${partition}: generation ${generation} is no longer current (now ${current}); another member owns this partition, so this member's acks no longer count.`, { topic, consumer, partition, generation, current });

  const notify = (topic: string, last: number): void => {
    const set = listeners.get(topic);
    if (set === undefined) return;
    for (const l of [...set]) { try { l(last); } catch { /* a listener's failure is its own */ } }
  };

  return {
    name,

    async append(topic: string, records: readonly NewLogRecord[]): Promise<number[]> {
      guard();
      checkName('topic', topic, 'append');
      if (derived.has(topic)) throw new TroupeError('invalid-argument', `Topic "${topic}" is derived from the journal's streams: append events to those streams (e.g. through an event-sourced actor) instead of publishing to it.`, { topic });
      if (!Array.isArray(records) || records.length === 0) throw new TroupeError('invalid-argument', `append to "${topic}": give at least one record.`, { topic });
      const events: NewEvent[] = records.map((r) => {
        checkPartition(r.partition, `append to "${topic}"`);
        const body: { -readonly [K in keyof RecordBody]: RecordBody[K] } = { t: r.type, p: r.partition, d: r.data };
        if (r.key !== undefined) body.k = r.key;
        if (r.headers !== undefined) body.h = r.headers;
        return { type: 'bus-record', schemaVersion: r.schemaVersion, data: body, meta: { id: r.id, timestampMs: r.publishedAtMs } };
      });
      const result = await journal.append(logStream(topic), events, { expectedVersion: 'any' });
      notify(topic, result.streamVersion);
      return [...result.versions];
    },

    async read(topic: string, fromOffset: number, maxCount: number): Promise<LogRecord[]> {
      guard();
      checkName('topic', topic, 'read');
      checkOffset(fromOffset, `read "${topic}"`, 'fromOffset');
      if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new TroupeError('invalid-argument', `read "${topic}": maxCount must be an integer ≥ 1, got ${maxCount}.`);
      const d = derived.get(topic);
      const from = Math.max(fromOffset, await floorOf(topic), 1);
      if (d === undefined) return (await journal.readStream(logStream(topic), { fromVersion: from, maxCount })).map((e) => toRecord(topic, e));
      const out: LogRecord[] = [];
      let at = from;
      for (;;) {
        const page = await journal.readAll({ fromPosition: at, maxCount: Math.max(PAGE, maxCount) });
        for (const e of page) {
          if (matches(d, e.stream)) { out.push(fromJournalEvent(topic, e)); if (out.length === maxCount) return out; }
        }
        if (page.length === 0) return out;
        at = page[page.length - 1].position + 1;
      }
    },

    async head(topic: string): Promise<LogHead> {
      guard();
      checkName('topic', topic, 'head');
      const first = await floorOf(topic);
      if (!derived.has(topic)) return { first, last: await journal.streamVersion(logStream(topic)) };
      let last = 0;
      for (let at = Math.max(first, 1); ;) {
        const page = await journal.readAll({ fromPosition: at, maxCount: PAGE * 10 });
        if (page.length === 0) return { first, last };
        last = page[page.length - 1].position;
        at = last + 1;
      }
    },

    async cursor(topic: string, consumer: string, partition: number): Promise<CursorState> {
      guard();
      checkName('topic', topic, 'cursor'); checkName('consumer', consumer, 'cursor'); checkPartition(partition, 'cursor');
      const s = cursorStream(topic, consumer, partition);
      return lock.run(s, async () => (await loadCursor(s)).state);
    },

    async claim(topic, consumer, partition, owner, seenGeneration) {
      guard();
      checkName('topic', topic, 'claim'); checkName('consumer', consumer, 'claim'); checkPartition(partition, 'claim');
      if (typeof owner !== 'string' || owner.length === 0) throw new TroupeError('invalid-argument', 'claim: owner must be a non-empty string.');
      return changeCursor(cursorStream(topic, consumer, partition), (s) =>
        s.generation !== seenGeneration ? 'keep' : { kind: 'claim', g: s.generation + 1, owner });
    },

    async commit(topic, consumer, partition, offset, generation) {
      guard();
      checkName('topic', topic, 'commit'); checkName('consumer', consumer, 'commit'); checkPartition(partition, 'commit');
      checkOffset(offset, `commit "${topic}"`, 'offset');
      await changeCursor(cursorStream(topic, consumer, partition), (s) => {
        if (s.generation !== generation) return stale(topic, consumer, partition, generation, s.generation);
        return offset <= s.offset ? 'keep' : { kind: 'commit', g: generation, o: offset };
      });
    },

    async release(topic, consumer, partition, generation) {
      guard();
      checkName('topic', topic, 'release'); checkName('consumer', consumer, 'release'); checkPartition(partition, 'release');
      await changeCursor(cursorStream(topic, consumer, partition), (s) =>
        s.generation !== generation || s.owner === null ? 'keep' : { kind: 'release', g: generation });
    },

    async deadLetter(topic, entry) {
      guard();
      checkName('topic', topic, 'deadLetter'); checkName('consumer', entry.consumer, 'deadLetter');
      await journal.append(dlqStream(topic, entry.consumer), [{ type: 'dead', data: entry, meta: { timestampMs: entry.deadAtMs } }], { expectedVersion: 'any' });
    },

    async deadLetters(topic, consumer) {
      guard();
      checkName('topic', topic, 'deadLetters'); checkName('consumer', consumer, 'deadLetters');
      const s = dlqStream(topic, consumer);
      const kept = new Map<string, DeadLetterRecord>();
      for (let v = 1; ;) {
        const page = await journal.readStream(s, { fromVersion: v, maxCount: PAGE });
        for (const e of page) {
          if (e.type === 'dead') { const d = e.data as DeadLetterRecord; kept.delete(d.record.id); kept.set(d.record.id, d); }
          else for (const id of (e.data as { ids: string[] }).ids) kept.delete(id);
        }
        if (page.length < PAGE) break;
        v = page[page.length - 1].version + 1;
      }
      return [...kept.values()];
    },

    async purgeDeadLetters(topic, consumer, ids) {
      guard();
      checkName('topic', topic, 'purgeDeadLetters'); checkName('consumer', consumer, 'purgeDeadLetters');
      const present = new Set((await this.deadLetters(topic, consumer)).map((d) => d.record.id));
      const gone = [...new Set(ids)].filter((id) => present.has(id));
      if (gone.length === 0) return 0;
      await journal.append(dlqStream(topic, consumer), [{ type: 'purged', data: { ids: gone } }], { expectedVersion: 'any' });
      return gone.length;
    },

    async trim(topic, retention: Retention, nowMs) {
      guard();
      checkName('topic', topic, 'trim');
      for (const [k, v] of Object.entries(retention)) {
        if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))) throw new TroupeError('invalid-argument', `trim "${topic}": retention.${k} must be a finite number ≥ 0, got ${String(v)}.`);
      }
      const head = await this.head(topic);
      let floor = head.first;
      if (retention.maxCount !== undefined) floor = Math.max(floor, head.last - retention.maxCount + 1);
      if (retention.maxAgeMs !== undefined || retention.maxBytes !== undefined) {
        const sizes: { offset: number; bytes: number; at: number }[] = [];
        for (let at = floor; at <= head.last;) {
          const page = await this.read(topic, at, PAGE);
          if (page.length === 0) break;
          for (const r of page) sizes.push({ offset: r.offset, bytes: recordBytes(r.data), at: r.publishedAtMs });
          at = page[page.length - 1].offset + 1;
        }
        if (retention.maxAgeMs !== undefined) {
          const oldest = nowMs - retention.maxAgeMs;
          const firstKept = sizes.find((s) => s.at >= oldest);
          floor = Math.max(floor, firstKept === undefined ? head.last + 1 : firstKept.offset);
        }
        if (retention.maxBytes !== undefined) {
          let total = 0;
          let keepFrom = head.last + 1;
          for (let i = sizes.length - 1; i >= 0; i--) {
            total += sizes[i].bytes;
            if (total > retention.maxBytes) break;
            keepFrom = sizes[i].offset;
          }
          floor = Math.max(floor, keepFrom);
        }
      }
      if (floor > head.first) {
        await lock.run(trimStream(topic), async () => {
          await journal.append(trimStream(topic), [{ type: 'floor', data: { f: floor } }], { expectedVersion: 'any' });
          floors.set(topic, Math.max(floor, floors.get(topic) ?? 1));
        });
      }
      return { first: await floorOf(topic), last: head.last };
    },

    watch(topic, listener) {
      checkName('topic', topic, 'watch');
      let set = listeners.get(topic);
      if (set === undefined) { set = new Set(); listeners.set(topic, set); }
      set.add(listener);
      return () => { set!.delete(listener); };
    },

    async close() {
      closed = true;
      unhint?.();
      listeners.clear();
    },
  };
}
