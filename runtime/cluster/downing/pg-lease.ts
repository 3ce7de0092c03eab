// A lease on a PostgreSQL advisory lock: held by one database session at a time, released when
// the holder unlocks it or its connection ends (a crashed holder frees it by itself).

import pg from 'pg';
import type { Lease } from './lease.ts';

/** Options of {@link createPgLease}. */
export interface PgLeaseOptions {
  /** A `postgres://` URL, or a `pg.Client` config. */
  readonly connection: string | pg.ClientConfig;
  /**
   * The advisory lock's key: one per cluster (every node of a cluster uses the same). A 64-bit
   * integer as a bigint or a safe integer, or a name hashed to one. Default: `'troupe-sbr'`.
   */
  readonly key?: bigint | number | string;
}

/**
 * Creates a lease on `pg_try_advisory_lock(key)` over its own connection (opened at the first
 * acquire). `tryAcquire` resolves false, never throws, when the lock is held by another session
 * or the database cannot be reached; it is re-entrant for the holder. `release` unlocks and
 * closes the connection.
 * @example
 * const lease = createPgLease({ connection: process.env.TROUPE_PG_URL!, key: 'shop-cluster' });
 * createNode({ ..., membership: { downing: { strategy: 'lease', lease } } });
 */
export function createPgLease(options: PgLeaseOptions): Lease {
  const key = lockKey(options.key ?? 'troupe-sbr');
  let client: pg.Client | null = null;
  let held = false;
  const drop = (): void => {
    const c = client;
    client = null;
    held = false;
    c?.end().catch(() => {});
  };
  return {
    async tryAcquire() {
      if (held) return true;
      try {
        if (client === null) {
          const c = new pg.Client(typeof options.connection === 'string' ? { connectionString: options.connection } : options.connection);
          c.on('error', () => { if (client === c) drop(); });
          client = c;
          await c.connect();
        }
        const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
        held = r.rows[0]?.ok === true;
        return held;
      } catch {
        drop();
        return false;
      }
    },
    async release() {
      if (client === null) return;
      try { if (held) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]); } catch { /* closing frees it anyway */ }
      drop();
    },
  };
}

/** A signed 64-bit key as decimal text: integers as they are, names by FNV-1a (64-bit). */
function lockKey(key: bigint | number | string): string {
  if (typeof key === 'bigint') return BigInt.asIntN(64, key).toString();
  if (typeof key === 'number') return BigInt.asIntN(64, BigInt(Math.trunc(key))).toString();
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(key, 'utf8')) h = BigInt.asUintN(64, (h ^ BigInt(byte)) * 0x100000001b3n);
  return BigInt.asIntN(64, h).toString();
}
