// The PostgreSQL lease of the lease strategy: one holder at a time, re-entrant, freed on release;
// an unreachable database is a lease not held (never a throw).

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createPgLease } from '../../../../runtime/cluster/downing/pg-lease.ts';
import { serviceUrl } from '../../../helpers/services.ts';

const url = serviceUrl('postgres', 'pg lease');
if (url) {
  test('one side gets the lease, the other does not until it is released', async () => {
    const key = `sbr-${randomBytes(6).toString('hex')}`;
    const a = createPgLease({ connection: url, key });
    const b = createPgLease({ connection: url, key });
    try {
      assert.is(await a.tryAcquire(), true);
      assert.is(await b.tryAcquire(), false, 'held by the other side');
      assert.is(await a.tryAcquire(), true, 're-entrant for its holder');
      await a.release();
      assert.is(await b.tryAcquire(), true, 'released: the other side may take it');
    } finally {
      await a.release();
      await b.release();
    }
  });

  test('a database that cannot be reached is a lease not held', async () => {
    const lease = createPgLease({ connection: { connectionString: 'postgres://nobody:x@127.0.0.1:1/none', connectionTimeoutMillis: 2_000 } });
    assert.is(await lease.tryAcquire(), false);
    await lease.release();
  });
}

test.run();
