// The PostgreSQL journal: events and snapshots in two tables of one schema (created if missing),
// group commit (the appends queued during a transaction share the next), positions from an
// identity column. SQL: internal/pg-sql.ts.

import pg from 'pg';
import { TroupeError } from '../../runtime/errors.ts';
import { decodePayload, type PayloadEncoding } from '../../runtime/payload-codec.ts';
import type {
  AppendOptions, AppendResult, Journal, JournalDeps, NewEvent, ReadAllOptions, ReadStreamOptions, Snapshot, StoredEvent,
} from './journal.ts';
import { checkOptionalInt, checkSnapshotVersion, concurrencyConflict, journalClosed } from './internal/guards.ts';
import { pgSql } from './internal/pg-sql.ts';
import { encodeChecked, makeMeta, prepareAppend, type PreparedEvent } from './internal/prepare-events.ts';
import { assertStreamName } from './stream-name.ts';
import { inTransaction as withTransaction } from './internal/pg-transaction.ts';

/** Options of {@link createPgJournal}: a pool to borrow, or a connection string to own a pool for. */
export interface PgJournalOptions extends JournalDeps {
  /** A pool the journal uses but never ends. */
  readonly pool?: pg.Pool;
  /** Used when `pool` is absent; the journal creates a pool and ends it on close. */
  readonly connectionString?: string;
  /** Schema holding the tables; default `'troupe'`. Lower-case identifier characters only. */
  readonly schema?: string;
}

/** A {@link Journal} on PostgreSQL. */
export interface PgJournal extends Journal {
  readonly schema: string;
  /** Creates the schema and tables if missing (idempotent, safe to race; run by createPgJournal). */
  ensureSchema(): Promise<void>;
}

interface EventRow {
  position: string; stream: string; version: number; type: string; schema_version: number; encoding: PayloadEncoding;
  data: string; event_id: string; correlation_id: string | null; causation_id: string | null; timestamp_ms: number; traceparent: string | null;
}

const toStored = (r: EventRow): StoredEvent => ({
  stream: r.stream, version: r.version, position: Number(r.position), type: r.type, schemaVersion: r.schema_version,
  data: decodePayload(r.encoding, r.data),
  meta: makeMeta(r.event_id, r.timestamp_ms, r.correlation_id ?? undefined, r.causation_id ?? undefined, r.traceparent ?? undefined),
});

const UNIQUE_VIOLATION = '23505';

/**
 * Connects to PostgreSQL and ensures the schema. Appends take a transaction-scoped advisory lock
 * per schema, so positions become visible in increasing order and a projection tailing `readAll`
 * never skips an event that commits late. So that the lock does not make appends one at a time,
 * appends are group-committed: those that queue while a transaction runs (up to 1 000) share the
 * next one — one lock, one version query, one insert, one COMMIT. Each append's concurrency check
 * is still its own: a conflicting append fails alone. UNIQUE (stream, version) backs the check
 * against writers that bypass the lock. Resolve == committed.
 *
 * @example
 * const journal = await createPgJournal({ connectionString: process.env.DATABASE_URL, schema: 'orders', clock, ids });
 */
export async function createPgJournal(options: PgJournalOptions): Promise<PgJournal> {
  const schema = options.schema ?? 'troupe';
  const sql = pgSql(schema);
  if (!options.pool && !options.connectionString) {
    throw new TroupeError('invalid-argument', 'createPgJournal needs a `pool` or a `connectionString`.');
  }
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
  const deps: JournalDeps = { clock: options.clock, ids: options.ids };
  let closed = false;
  let closing: Promise<void> | undefined;
  const inflight = new Set<Promise<unknown>>();

  const run = <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(journalClosed());
    const p = work();
    inflight.add(p);
    const done = (): void => { inflight.delete(p); };
    p.then(done, done);
    return p;
  };

  const inTransaction = <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => withTransaction(pool, work);

  const versionOf = async (q: pg.Pool | pg.PoolClient, stream: string): Promise<number> =>
    Number((await q.query<{ v: number }>(sql.currentVersion, [stream])).rows[0].v);

  // Group commit: appends that queue while a transaction runs go into the next one — one
  // advisory lock, one version query, one insert and one COMMIT for the lot. The lock keeps
  // positions committing in order (a projection tailing readAll never skips a late commit).
  type Pending = { stream: string; expected: AppendOptions['expectedVersion']; prepared: PreparedEvent[]; resolve: (r: AppendResult) => void; reject: (e: unknown) => void };
  const queue: Pending[] = [];
  let committing = false;
  const MAX_GROUP = 1_000;

  const commitGroup = async (group: Pending[]): Promise<void> => {
    const accepted: { p: Pending; from: number }[] = [];
    const refused: { p: Pending; error: unknown }[] = [];
    await inTransaction(async (c) => {
      await c.query(sql.lock, [sql.lockKey]);
      const streams = [...new Set(group.map((g) => g.stream))];
      const current = new Map<string, number>();
      for (const r of (await c.query<{ stream: string; v: number }>(sql.currentVersions, [streams])).rows) current.set(r.stream, Number(r.v));
      const cols: unknown[][] = [[], [], [], [], [], [], [], [], [], [], []];
      for (const p of group) {
        const version = current.get(p.stream) ?? 0;
        if (p.expected !== 'any' && p.expected !== version) { refused.push({ p, error: concurrencyConflict(p.stream, p.expected, version) }); continue; }
        accepted.push({ p, from: version + 1 });
        p.prepared.forEach((e, i) => {
          cols[0].push(p.stream); cols[1].push(version + 1 + i); cols[2].push(e.type); cols[3].push(e.schemaVersion); cols[4].push(e.encoding);
          cols[5].push(e.dataText); cols[6].push(e.meta.id); cols[7].push(e.meta.correlationId ?? null); cols[8].push(e.meta.causationId ?? null); cols[9].push(e.meta.timestampMs); cols[10].push(e.meta.traceparent ?? null);
        });
        current.set(p.stream, version + p.prepared.length);
      }
      if (accepted.length === 0) return;
      const positions = new Map<string, number>();
      for (const r of (await c.query<{ position: string; stream: string; version: number }>(sql.insertMany, cols)).rows) positions.set(`${r.version}:${r.stream}`, Number(r.position));
      for (const a of accepted) {
        const versions = a.p.prepared.map((_, i) => a.from + i);
        (a as { result?: AppendResult }).result = { streamVersion: a.from + versions.length - 1, versions, positions: versions.map((v) => positions.get(`${v}:${a.p.stream}`)!) };
      }
    });
    for (const a of accepted) a.p.resolve((a as { result?: AppendResult }).result!);
    for (const r of refused) r.p.reject(r.error);
  };

  const asConflict = async (p: Pending, e: unknown): Promise<unknown> =>
    (e as { code?: string }).code === UNIQUE_VIOLATION && p.expected !== 'any' ? concurrencyConflict(p.stream, p.expected, await versionOf(pool, p.stream)) : e;

  const commitLoop = async (): Promise<void> => {
    committing = true;
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, MAX_GROUP);
        try {
          await commitGroup(group);
        } catch (e) {
          // A writer that bypasses the advisory lock took a version: retry the group one append
          // at a time, so only the append that really conflicts fails (as a conflict).
          if ((e as { code?: string }).code === UNIQUE_VIOLATION && group.length > 1) {
            for (const p of group) await commitGroup([p]).catch(async (err: unknown) => p.reject(await asConflict(p, err)));
          } else if ((e as { code?: string }).code === UNIQUE_VIOLATION) {
            for (const p of group) p.reject(await asConflict(p, e));
          } else {
            for (const p of group) p.reject(e);
          }
        }
      }
    } finally {
      committing = false;
    }
  };

  const journal: PgJournal = {
    schema,

    ensureSchema: () => inTransaction(async (c) => {
      await c.query(sql.lock, [`${sql.lockKey}:ddl`]);
      await c.query(sql.ddl);
    }),

    append(stream: string, events: readonly NewEvent[], opts: AppendOptions): Promise<AppendResult> {
      return run(async () => {
        const { expected, prepared } = prepareAppend(stream, events, opts, deps);
        return new Promise<AppendResult>((resolve, reject) => {
          queue.push({ stream, expected, prepared, resolve, reject });
          if (!committing) void commitLoop();
        });
      });
    },

    readStream(stream: string, opts: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      return run(async () => {
        assertStreamName(stream);
        checkOptionalInt(opts.fromVersion, 'fromVersion', 0);
        checkOptionalInt(opts.maxCount, 'maxCount', 0);
        const limit = opts.maxCount === undefined || opts.maxCount === Infinity ? null : opts.maxCount;
        return (await pool.query<EventRow>(sql.readStream, [stream, opts.fromVersion ?? 1, limit])).rows.map(toStored);
      });
    },

    readAll(opts: ReadAllOptions = {}): Promise<StoredEvent[]> {
      return run(async () => {
        checkOptionalInt(opts.fromPosition, 'fromPosition', 0);
        checkOptionalInt(opts.maxCount, 'maxCount', 0);
        const limit = opts.maxCount === undefined || opts.maxCount === Infinity ? null : opts.maxCount;
        return (await pool.query<EventRow>(sql.readAll, [opts.fromPosition ?? 1, limit])).rows.map(toStored);
      });
    },

    streamVersion(stream: string): Promise<number> {
      return run(async () => {
        assertStreamName(stream);
        return versionOf(pool, stream);
      });
    },

    saveSnapshot(stream: string, version: number, state: unknown): Promise<void> {
      return run(async () => {
        assertStreamName(stream);
        const { encoding, text } = encodeChecked(state, `the snapshot of "${stream}"`);
        checkSnapshotVersion(stream, version, await versionOf(pool, stream));
        await pool.query(sql.upsertSnapshot, [stream, version, encoding, text, deps.clock.now()]);
      });
    },

    loadSnapshot(stream: string): Promise<Snapshot | undefined> {
      return run(async () => {
        assertStreamName(stream);
        const row = (await pool.query<{ version: number; encoding: PayloadEncoding; state: string; saved_at_ms: number }>(sql.loadSnapshot, [stream])).rows[0];
        return row && { stream, version: row.version, state: decodePayload(row.encoding, row.state), savedAtMs: row.saved_at_ms };
      });
    },

    close(): Promise<void> {
      closed = true;
      closing ??= (async () => {
        await Promise.allSettled([...inflight]);
        if (owned) await pool.end();
      })();
      return closing;
    },
  };

  try {
    await journal.ensureSchema();
  } catch (e) {
    if (owned) await pool.end().catch(() => undefined);
    throw e;
  }
  return journal;
}
