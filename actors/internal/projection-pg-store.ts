// The PostgreSQL projection store: the handler's statements and the checkpoint update run in one
// transaction, fenced by a row lock on the projection's checkpoint row.
//
//   <schema>.projection_checkpoints   name text primary key, position bigint

import pg from 'pg';
import { TroupeError } from '../../runtime/errors.ts';
import type { ProjectionStore } from '../projection-stores.ts';
import { conflict } from './projection-checkpoints.ts';
import { inTransaction as withTransaction } from '../journal/internal/pg-transaction.ts';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options of {@link createPgProjectionStore}: a pool to borrow, or a connection string to own one for. */
export interface PgProjectionStoreOptions {
  /** A pool the store uses but never ends. */
  readonly pool?: pg.Pool;
  /** Used when `pool` is absent; the store creates a pool and ends it on close. */
  readonly connectionString?: string;
  /** Schema of the checkpoint table; default `'troupe'`. Lower-case identifier characters only. */
  readonly schema?: string;
  /** Empties a projection's read-model tables for a rebuild, inside the reset's transaction; default: nothing. */
  readonly reset?: (client: pg.PoolClient, projection: string) => Promise<void>;
}

/** A {@link ProjectionStore} on PostgreSQL; handlers get the transaction's client. */
export interface PgProjectionStore extends ProjectionStore<pg.PoolClient> {
  readonly schema: string;
  /** Creates the schema and the checkpoint table if missing (idempotent; run by createPgProjectionStore). */
  ensureSchema(): Promise<void>;
  /** Ends the pool if the store owns it. */
  close(): Promise<void>;
}

/**
 * Connects and ensures the checkpoint table. Atomic: `commit` opens a transaction, locks the
 * projection's checkpoint row (`SELECT … FOR UPDATE`), checks it equals `move.from`
 * (`concurrency-conflict` otherwise), runs the handlers on the transaction's client, updates
 * the checkpoint and commits; any failure rolls everything back. Handlers must write through
 * the client they are given (other connections are outside the transaction).
 *
 * @example
 * const store = await createPgProjectionStore({ pool, reset: (c) => c.query('TRUNCATE balances').then(() => undefined) });
 * createProjection({ system, journal, store, name: 'balances', handle: (e, c) => c.query('INSERT …').then(() => undefined) });
 */
export async function createPgProjectionStore(options: PgProjectionStoreOptions): Promise<PgProjectionStore> {
  const schema = options.schema ?? 'troupe';
  if (!SCHEMA_NAME.test(schema)) {
    throw new TroupeError('invalid-argument', `PostgreSQL schema name ${JSON.stringify(schema)} is not allowed: use 1–63 characters of a–z 0–9 _, not starting with a digit (default "troupe").`, { schema });
  }
  if (!options.pool && !options.connectionString) throw new TroupeError('invalid-argument', 'createPgProjectionStore needs a `pool` or a `connectionString`.');
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString });
  const table = `"${schema}".projection_checkpoints`;

  const inTransaction = <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => withTransaction(pool, work);

  const lockRow = async (c: pg.PoolClient, projection: string): Promise<number> => {
    await c.query(`INSERT INTO ${table} (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [projection]);
    return Number((await c.query<{ position: string }>(`SELECT position FROM ${table} WHERE name = $1 FOR UPDATE`, [projection])).rows[0].position);
  };

  const store: PgProjectionStore = {
    schema,
    atomic: true,
    ensureSchema: () => inTransaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`troupe:${schema}:projection-ddl`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"; CREATE TABLE IF NOT EXISTS ${table} (name text PRIMARY KEY, position bigint NOT NULL)`);
    }),
    async loadCheckpoint(projection) {
      const r = await pool.query<{ position: string }>(`SELECT position FROM ${table} WHERE name = $1`, [projection]);
      return r.rows.length === 0 ? 0 : Number(r.rows[0].position);
    },
    commit: (projection, move, apply) => inTransaction(async (c) => {
      const stored = await lockRow(c, projection);
      if (stored !== move.from) throw conflict(projection, move.from, stored);
      await apply(c);
      await c.query(`UPDATE ${table} SET position = $2 WHERE name = $1`, [projection, move.to]);
    }),
    reset: (projection) => inTransaction(async (c) => {
      await lockRow(c, projection);
      await options.reset?.(c, projection);
      await c.query(`UPDATE ${table} SET position = 0 WHERE name = $1`, [projection]);
    }),
    async close() { if (owned) await pool.end(); },
  };
  await store.ensureSchema();
  return store;
}
