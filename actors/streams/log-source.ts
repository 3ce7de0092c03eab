// The durable log seam under the event bus: one ordered, append-only log of records per topic,
// with per-consumer cursors fenced by a generation, dead letters and retention. Backends:
// memory and file (over a journal, one log per node), PostgreSQL and NATS JetStream (shared).

/**
 * A record as handed to {@link LogSource.append}. The bus fills every field: `partition` is
 * `hash(key ?? id) mod partitions`, `type`/`schemaVersion` name the payload's registered message
 * type (`''` and `1` for untyped topics), `headers` carry trace context, correlation ids and the
 * bus's own marks (e.g. `troupe-replay-for`).
 */
export interface NewLogRecord {
  /** Unique id of the event (the publisher's or a system id), 1–1024 characters. */
  readonly id: string;
  /** Routing key: all records of one key go to one partition, so one group member, in order. */
  readonly key?: string;
  /** Partition number, 0 ≤ partition < the topic's partition count. */
  readonly partition: number;
  readonly type: string;
  readonly schemaVersion: number;
  /** The payload: plain JSON, or values holding Date/Map/Set/BigInt/undefined (superjson). */
  readonly data: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** The publishing system's clock at publish time. */
  readonly publishedAtMs: number;
}

/** A stored record, as read back. */
export interface LogRecord extends NewLogRecord {
  readonly topic: string;
  /** The log it was read from ({@link LogSource.name}): the publishing node for per-node backends. */
  readonly source: string;
  /** Position in this source's log of `topic`: strictly increasing in append order, starting at 1, gaps allowed. */
  readonly offset: number;
}

/**
 * Where a consumer stands on one partition of one source's log. `offset`: every record of this
 * partition at or below it is done (acknowledged or dead-lettered); 0 = nothing done yet.
 * `generation` grows by one with every claim; `owner` is the member that claimed it last (null
 * when released or never claimed).
 */
export interface CursorState {
  readonly offset: number;
  readonly generation: number;
  readonly owner: string | null;
}

/** A record that exhausted its delivery attempts, as kept in the durable dead-letter stream. */
export interface DeadLetterRecord {
  readonly record: LogRecord;
  /** The consumer (group name or durable subscription id) that gave up on it. */
  readonly consumer: string;
  /** The last error's text. */
  readonly error: string;
  readonly attempts: number;
  /** The consumer's clock when it gave up. */
  readonly deadAtMs: number;
}

/**
 * Retention of one topic's log. Every field optional; default: keep everything. A record goes
 * once any limit says so: older than `maxAgeMs` (by `publishedAtMs`), beyond the newest
 * `maxCount`, or beyond the newest `maxBytes` of payload. Retention never waits for consumers
 * (as in Kafka): a consumer behind the trimmed start resumes at the first kept record.
 */
export interface Retention {
  readonly maxAgeMs?: number;
  readonly maxCount?: number;
  readonly maxBytes?: number;
}

/** The first readable and the last written offset of a topic's log (`last` 0 = empty; `first` > `last` when all is trimmed). */
export interface LogHead {
  readonly first: number;
  readonly last: number;
}

/**
 * One ordered log per topic, possibly on another node. Every method rejects with a
 * `TroupeError`: `invalid-argument` for a bad topic/consumer name or option, `stale-generation`
 * for a commit or release with a generation that is no longer current (data: `{ topic, consumer,
 * partition, generation, current }`), `backend-unavailable` when the store cannot be reached
 * (data: `{ backend }`; retry later, nothing was half-written), `storage-full` when the disk or
 * server is out of space, `journal-closed` after {@link LogSource.close}.
 */
export interface LogSource {
  /** Names this log: the node name for per-node backends, the backend's name for shared ones. */
  readonly name: string;
  /**
   * Appends `records` (at least one) to `topic`'s log atomically: all or none. Resolves with
   * their offsets once durable (fsynced / committed / acknowledged by the server). Concurrent
   * appends are group-committed. Rejects `invalid-argument` on a source that is read-only here
   * (another node's log).
   */
  append(topic: string, records: readonly NewLogRecord[]): Promise<number[]>;
  /** Up to `maxCount` records of `topic` with offset ≥ `fromOffset`, in offset order (trimmed ones skipped). */
  read(topic: string, fromOffset: number, maxCount: number): Promise<LogRecord[]>;
  /** The topic's first readable and last written offsets. */
  head(topic: string): Promise<LogHead>;
  /** The consumer's cursor on `partition` (`{ offset: 0, generation: 0, owner: null }` when none is stored). */
  cursor(topic: string, consumer: string, partition: number): Promise<CursorState>;
  /**
   * Takes `partition` for `owner` if the stored generation still equals `seenGeneration`
   * (compare-and-set): stores generation + 1 and owner, keeping the offset, and resolves with the
   * new state. When the generation moved on, changes nothing and resolves with the current state
   * (the caller sees another owner and decides again).
   */
  claim(topic: string, consumer: string, partition: number, owner: string, seenGeneration: number): Promise<CursorState>;
  /**
   * Moves the cursor to `offset` (never backwards) if `generation` is current; else rejects with
   * `stale-generation` and changes nothing. Durable when it resolves.
   */
  commit(topic: string, consumer: string, partition: number, offset: number, generation: number): Promise<void>;
  /** Clears the owner (keeping offset and generation) if `generation` is current; a no-op otherwise. */
  release(topic: string, consumer: string, partition: number, generation: number): Promise<void>;
  /** Stores a dead letter durably (the consumer then counts the record as done). */
  deadLetter(topic: string, entry: DeadLetterRecord): Promise<void>;
  /** The dead letters of `consumer` on `topic` still kept (not purged), oldest first. */
  deadLetters(topic: string, consumer: string): Promise<DeadLetterRecord[]>;
  /** Removes the dead letters of `consumer` whose record ids are in `ids`; resolves with how many went. */
  purgeDeadLetters(topic: string, consumer: string, ids: readonly string[]): Promise<number>;
  /** Applies `retention` as of `nowMs`; resolves with the new head. */
  trim(topic: string, retention: Retention, nowMs: number): Promise<LogHead>;
  /**
   * Calls `listener` with the new last offset after appends to `topic` (possibly coalesced, at
   * least once per batch of appends). Returns the function that stops it.
   */
  watch(topic: string, listener: (last: number) => void): () => void;
  /** Releases resources. Idempotent. */
  close(): Promise<void>;
}

/**
 * A bus backend: where this node's events go and where consumers read. `shared: true`
 * (PostgreSQL, JetStream): one log every node reads and writes. `shared: false` (memory, file):
 * each node appends to its own log and consumers read every node's log through that node.
 */
export interface LogBackend {
  readonly kind: 'memory' | 'file' | 'pg' | 'jetstream';
  readonly shared: boolean;
  /** The log this node appends to. */
  readonly local: LogSource;
  /** Closes the backend (and the journal or connection it owns, if it created them). */
  close(): Promise<void>;
}
