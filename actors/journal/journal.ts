// The event journal seam: one async interface for appending to and reading event streams, with
// optimistic concurrency, a global order across streams, and snapshots. Adapters: memory, file, pg.

import type { Clock } from '../../runtime/clock.ts';
import type { IdSource } from '../../runtime/ids.ts';

/**
 * What a caller may assert about a stream before appending: its current version (the number of
 * events it holds; `0` = the stream has no events yet), or `'any'` to skip the check.
 */
export type ExpectedVersion = number | 'any';

/** Metadata of a stored event. Optional fields are absent (not `undefined`) when not given. */
export interface EventMeta {
  /** Unique event id (from the journal's {@link IdSource} unless the caller supplied one). */
  readonly id: string;
  /** Id of the conversation/request this event belongs to. */
  readonly correlationId?: string;
  /** Id of the message or event that caused this one. */
  readonly causationId?: string;
  /**
   * The W3C `traceparent` of the span that appended it (an event-sourced actor's command, a saga
   * step): a projection or saga reading it continues that trace. Filled by Troupe when tracing is
   * on; 1–512 characters. Only `traceparent` is kept (no `tracestate`).
   */
  readonly traceparent?: string;
  /** When the event was appended, from the journal's {@link Clock} unless the caller supplied it. */
  readonly timestampMs: number;
}

/** An event handed to {@link Journal.append}. `data` must be serializable (see payload-codec). */
export interface NewEvent {
  /** The event's type name, 1–200 characters. */
  readonly type: string;
  /** Version of the `data` schema, a positive integer; default `1`. */
  readonly schemaVersion?: number;
  /** The payload: plain JSON, or values holding Date/Map/Set/BigInt/undefined (superjson). */
  readonly data: unknown;
  /** Optional metadata; `id` and `timestampMs` are filled in when absent. */
  readonly meta?: Partial<EventMeta>;
}

/** An event as stored and read back. */
export interface StoredEvent {
  readonly stream: string;
  /** 1-based position of the event within its stream; a stream's version is its last event's. */
  readonly version: number;
  /** Global position across all streams: strictly increasing in append order (gaps allowed). */
  readonly position: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly meta: EventMeta;
}

/** Options of {@link Journal.append}. */
export interface AppendOptions {
  /** The version the stream must have for the append to go ahead (see {@link ExpectedVersion}). */
  readonly expectedVersion: ExpectedVersion;
}

/** What an append assigned. `versions[i]`/`positions[i]` belong to the i-th appended event. */
export interface AppendResult {
  /** The stream's version after the append (pass it as the next `expectedVersion`). */
  readonly streamVersion: number;
  readonly versions: readonly number[];
  readonly positions: readonly number[];
}

/** Options of {@link Journal.readStream}. */
export interface ReadStreamOptions {
  /** First version to return (inclusive); default `1`. */
  readonly fromVersion?: number;
  /** At most this many events; default unlimited. */
  readonly maxCount?: number;
}

/** Options of {@link Journal.readAll}. */
export interface ReadAllOptions {
  /** First global position to return (inclusive); default `1` (positions start at 1). */
  readonly fromPosition?: number;
  /** At most this many events; default unlimited (page with it on large journals). */
  readonly maxCount?: number;
}

/** A saved snapshot of a stream's state as of `version`. */
export interface Snapshot {
  readonly stream: string;
  readonly version: number;
  readonly state: unknown;
  /** When it was saved, from the journal's clock. */
  readonly savedAtMs: number;
}

/** What every journal adapter is built with. */
export interface JournalDeps {
  /** Timestamps events and snapshots (pass `{ now: wallClockMs }` for epoch milliseconds). */
  readonly clock: Clock;
  /** Names events whose `meta.id` the caller left out. */
  readonly ids: IdSource;
}

/**
 * An append-only store of event streams. Every method rejects with a `TroupeError`:
 * `invalid-stream` for a bad stream name (see stream-name.ts), `schema-invalid` for a payload that
 * cannot be stored, `concurrency-conflict` when `expectedVersion` does not match (its `data` carries
 * `expectedVersion` and `actualVersion`), `invalid-argument` for malformed options, and
 * `journal-closed` after {@link Journal.close}. A rejected append writes nothing.
 *
 * @example
 * const r = await journal.append('cart-1', [{ type: 'item-added', data: { sku: 'a' } }], { expectedVersion: 0 });
 * const events = await journal.readStream('cart-1'); // [{ version: 1, position: r.positions[0], … }]
 */
export interface Journal {
  /**
   * Appends `events` (at least one) to `stream`, atomically: all are stored or none. Resolves
   * once they are durable (as the adapter defines it: fsynced for the file journal, committed for pg).
   * Appends issued without awaiting each other are stored in call order by the memory and file
   * journals; the pg journal stores them in the order their transactions take its lock.
   */
  append(stream: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /** Events of one stream in version order; `[]` for a stream that has none. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /** Events of all streams in global position order. */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /** The stream's current version: the number of events it holds (0 if none). */
  streamVersion(stream: string): Promise<number>;
  /**
   * Stores `state` as the stream's snapshot at `version` (1 ≤ version ≤ current version). A save
   * older than the stored snapshot is ignored; the same or a newer version replaces it.
   */
  saveSnapshot(stream: string, version: number, state: unknown): Promise<void>;
  /** The stream's latest snapshot, or `undefined`. */
  loadSnapshot(stream: string): Promise<Snapshot | undefined>;
  /** Finishes pending appends, then releases resources. Idempotent. */
  close(): Promise<void>;
}
