// The PostgreSQL journal: events and snapshots in two tables of one schema (created if missing),
// one transaction per append, positions from an identity column. SQL: internal/pg-sql.ts.

import pg from 'pg';
import { TroupeError } from '../../runtime/errors.ts';
import { decodePayload, type PayloadEncoding } from '../../runtime/payload-codec.ts';
import type {
  AppendOptions, AppendResult, Journal, JournalDeps, NewEvent, ReadAllOptions, ReadStreamOptions, Snapshot, StoredEvent,
} from './journal.ts';
import { checkExpectedVersion, checkOptionalInt, checkSnapshotVersion, concurrencyConflict, journalClosed } from './internal/guards.ts';
import { pgSql } from './internal/pg-sql.ts';
import { encodeChecked, makeMeta, prepareEvents } from './internal/prepare-events.ts';
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
  data: string; event_id: string; correlation_id: string | null; causation_id: string | null; timestamp_ms: number;
}

const toStored = (r: EventRow): StoredEvent => ({
  stream: r.stream, version: r.version, position: Number(r.position), type: r.type, schemaVersion: r.schema_version,
  data: decodePayload(r.encoding, r.data),
  meta: makeMeta(r.event_id, r.timestamp_ms, r.correlation_id ?? undefined, r.causation_id ?? undefined),
});

const UNIQUE_VIOLATION = '23505';

/**
 * Connects to PostgreSQL and ensures the schema. Appends take a transaction-scoped advisory lock
 * per schema, so positions become visible in increasing order and a projection tailing `readAll`
 * never skips an event that commits late; the price is one append at a time per schema. The
 * concurrency check reads the stream's version under that lock; UNIQUE (stream, version) backs
 * it against writers that bypass the lock. Resolve == committed.
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

  const journal: PgJournal = {
    schema,

    ensureSchema: () => inTransaction(async (c) => {
      await c.query(sql.lock, [`${sql.lockKey}:ddl`]);
      await c.query(sql.ddl);
    }),

    append(stream: string, events: readonly NewEvent[], opts: AppendOptions): Promise<AppendResult> {
      return run(async () => {
        assertStreamName(stream);
        const expected = opts?.expectedVersion;
        checkExpectedVersion(stream, expected);
        const prepared = prepareEvents(stream, events, deps);
        try {
          return await inTransaction(async (c) => {
            await c.query(sql.lock, [sql.lockKey]);
            const current = await versionOf(c, stream);
            if (expected !== 'any' && expected !== current) throw concurrencyConflict(stream, expected, current);
            const rows = (await c.query<{ position: string; version: number }>(sql.insert, [
              stream,
              prepared.map((_, i) => current + 1 + i),
              prepared.map((e) => e.type),
              prepared.map((e) => e.schemaVersion),
              prepared.map((e) => e.encoding),
              prepared.map((e) => e.dataText),
              prepared.map((e) => e.meta.id),
              prepared.map((e) => e.meta.correlationId ?? null),
              prepared.map((e) => e.meta.causationId ?? null),
              prepared.map((e) => e.meta.timestampMs),
            ])).rows.sort((a, b) => a.version - b.version);
            return { streamVersion: current + prepared.length, versions: rows.map((r) => r.version), positions: rows.map((r) => Number(r.position)) };
          });
        } catch (e) {
          if ((e as { code?: string }).code === UNIQUE_VIOLATION && expected !== 'any') {
            throw concurrencyConflict(stream, expected, await versionOf(pool, stream));
          }
          throw e;
        }
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
