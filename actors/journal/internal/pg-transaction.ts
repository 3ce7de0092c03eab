// One PostgreSQL transaction on a pooled client: BEGIN, the work, COMMIT; ROLLBACK on failure.

import type pg from 'pg';

/** Runs `work` in a transaction on a client from `pool` and releases the client whatever happens. */
export async function inTransaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}
