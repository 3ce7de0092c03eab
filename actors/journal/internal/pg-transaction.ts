// One PostgreSQL transaction on a pooled client: BEGIN, the work, COMMIT; ROLLBACK on failure.

import type pg from 'pg';

/**
 * Runs `work` in a transaction on a client from `pool` and releases the client whatever happens.
 * A connection lost mid-transaction rejects the work (the client's `error` event is caught, so it
 * cannot crash the process) and the broken client is destroyed on release, not pooled again.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (e: Error): void => { lost = e; };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
