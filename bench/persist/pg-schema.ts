// A throwaway PostgreSQL schema per pass: a unique name, a pool of the pg default size (10), and
// the journal's table shape (internal/pg-sql.ts) for the raw baselines; dropped when done.

import pg from 'pg';
import { pgSql, type PgSql } from '../../actors/journal/internal/pg-sql.ts';
import { PG_URL } from './require-pg.ts';

/** Connections in every case's pool: pg's default `max`. */
export const POOL_SIZE = 10;

/** One pass's schema and pool. */
export interface BenchSchema {
  readonly name: string;
  readonly pool: pg.Pool;
  /** The journal's statements for this schema (its DDL builds the same tables for raw cases). */
  readonly sql: PgSql;
}

let counter = 0;

/** Runs `work` with a fresh schema `bench_persist_<pid>_<n>_<rand>`, then drops it (CASCADE) and ends the pool. */
export async function withSchema<T>(work: (s: BenchSchema) => Promise<T>): Promise<T> {
  const name = `bench_persist_${process.pid}_${++counter}_${Math.floor(Math.random() * 1e6)}`;
  const pool = new pg.Pool({ connectionString: PG_URL, max: POOL_SIZE });
  try {
    return await work({ name, pool, sql: pgSql(name) });
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
