// The PostgreSQL journal against the shared Journal behaviour spec, on a real server, plus what
// only it has: schema handling, borrowed pools, and two journal instances racing on one schema.

import pg from 'pg';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import type { JournalDeps } from '../../../actors/journal/journal.ts';
import { createPgJournal } from '../../../actors/journal/pg-journal.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { journalBehaviour, rejectsWith } from '../../helpers/journal-behaviour.ts';
import { serviceUrl } from '../../helpers/services.ts';

const url = serviceUrl('postgres', 'pg journal');

if (url) {
  const run = `${process.pid}_${Date.now() % 1_000_000}`;
  let n = 0;
  const dropSchema = async (schema: string): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
  };

  journalBehaviour('pg journal', {
    durable: true,
    harness: async () => {
      const schema = `troupe_spec_${run}_${++n}`;
      return {
        open: (deps: JournalDeps) => createPgJournal({ ...deps, connectionString: url, schema }),
        dispose: () => dropSchema(schema),
      };
    },
  });

  const test = suite('pg journal: PostgreSQL specifics');
  const deps: JournalDeps = { clock: { now: () => 5 }, ids: createIdSource(createSeededRandom(11)) };

  test('two journals on one schema (two processes) still admit one winner per expected version, and share one global order', async () => {
    const schema = `troupe_spec_${run}_race`;
    const a = await createPgJournal({ ...deps, connectionString: url, schema });
    const b = await createPgJournal({ ...deps, connectionString: url, schema });
    try {
      await a.ensureSchema();
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).append('shared', [{ type: 't', data: i }], { expectedVersion: 0 })));
      assert.is(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || isTroupeError(r.reason, 'concurrency-conflict')));
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).append(`s${i % 3}`, [{ type: 't', data: i }, { type: 'u', data: i }], { expectedVersion: 'any' })));
      const all = await b.readAll();
      assert.is(all.length, 41);
      for (let i = 1; i < all.length; i++) assert.ok(all[i].position > all[i - 1].position);
      for (let i = 0; i < all.length - 1; i++) {
        if (all[i].type === 't' && all[i].stream !== 'shared') assert.is(all[i + 1].type, 'u', 'one append is contiguous in the global order');
      }
    } finally {
      await a.close();
      await b.close();
      await dropSchema(schema);
    }
  });

  test('a borrowed pool is left open on close; a bad schema name is invalid-argument', async () => {
    const schema = `troupe_spec_${run}_pool`;
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const j = await createPgJournal({ ...deps, pool, schema });
      await j.append('p', [{ type: 't', data: 1 }], { expectedVersion: 0 });
      await j.close();
      assert.is((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".events`)).rows[0].n, 1);
      await rejectsWith(createPgJournal({ ...deps, pool, schema: 'Robert"; DROP TABLE x;--' }), 'invalid-argument');
      await rejectsWith(createPgJournal({ ...deps, schema }), 'invalid-argument');
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });

  test.run();
}
