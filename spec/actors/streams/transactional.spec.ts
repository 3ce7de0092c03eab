import * as assert from 'uvu/assert';
import pg from 'pg';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createMemoryProjectionStore, createPgProjectionStore } from '../../../actors/projection-stores.ts';
import { createEventBus, createMemoryLogBackend, createPgLogBackend, transactional, type BusEvent } from '../../../actors/streams/index.ts';
import { serviceUrl } from '../../helpers/services.ts';
import { suite } from '../../helpers/uvu.ts';

type Sale = { cents: number };
const test = suite('transactional subscriptions (exactly-once in effect)', undefined, { limitMs: 60_000 });

test('memory store: each event changes the model once, even when the log hands it over again', async () => {
  const kit = createTestSystem({ seed: 3 });
  const bus = createEventBus(kit, { backend: createMemoryLogBackend({ clock: kit.clock, ids: kit.ids }) });
  const sales = bus.topic<Sale>('sales');
  const store = createMemoryProjectionStore<number>();
  let calls = 0;
  const handle = transactional<Sale, Parameters<Parameters<typeof store.commit>[2]>[0]>(store, 'revenue', (e: BusEvent<Sale>, tx) => {
    calls++;
    tx.set('total', (tx.get('total') ?? 0) + e.data.cents);
  });
  for (let i = 1; i <= 10; i++) await sales.publish({ cents: i }, { key: `k${i}` });
  const first = sales.subscribe(handle, { id: 'revenue-a' });
  await kit.advance(1_000);
  assert.is(store.get('total'), 55);
  first.detach();
  // A second consumer with no stored position reads everything again: the positions in the store say it is applied.
  sales.subscribe(handle, { id: 'revenue-b' });
  await kit.advance(1_000);
  assert.is(store.get('total'), 55, 'nothing applied twice');
  assert.is(calls, 10);
  await sales.publish({ cents: 100 }, { key: 'k1' });
  await kit.advance(1_000);
  assert.is(store.get('total'), 155);
  await kit.terminate();
});

test('a handler that fails rolls back its writes with the position: the retry applies it once', async () => {
  const kit = createTestSystem({ seed: 4 });
  const bus = createEventBus(kit, { backend: createMemoryLogBackend({ clock: kit.clock, ids: kit.ids }), delivery: { backoff: { minMs: 10, maxMs: 10 } } });
  const sales = bus.topic<Sale>('sales');
  const store = createMemoryProjectionStore<number>();
  let failOnce = true;
  sales.subscribe(transactional(store, 'revenue', (e: BusEvent<Sale>, tx) => {
    tx.set('total', (tx.get('total') ?? 0) + e.data.cents);
    if (failOnce) { failOnce = false; throw new Error('after writing'); }
  }), { id: 'revenue' });
  await sales.publish({ cents: 7 });
  await kit.advance(1_000);
  assert.is(store.get('total'), 7);
  await kit.terminate();
});

const url = serviceUrl('postgres', 'transactional subscriptions on PostgreSQL');
if (url) {
  test('PostgreSQL: two processes sharing a log and a store apply each event once in effect', async () => {
    const schema = `troupe_tx_${process.pid}_${Date.now() % 1_000_000}`;
    const pool = new pg.Pool({ connectionString: url, max: 6 });
    const kits = [createTestSystem({ seed: 1, escapes: 'allow' }), createTestSystem({ seed: 2, escapes: 'allow' })]; // real PostgreSQL on purpose
    const backends: Awaited<ReturnType<typeof createPgLogBackend>>[] = [];
    try {
      const store = await createPgProjectionStore({ pool, schema });
      await pool.query(`CREATE TABLE "${schema}".revenue (id int PRIMARY KEY, total int NOT NULL)`);
      await pool.query(`INSERT INTO "${schema}".revenue VALUES (1, 0)`);
      const handle = transactional(store, 'revenue', async (e: BusEvent<Sale>, c: pg.PoolClient) => {
        await c.query(`UPDATE "${schema}".revenue SET total = total + $1 WHERE id = 1`, [e.data.cents]);
      });
      backends.push(...await Promise.all(kits.map(() => createPgLogBackend({ pool, schema }))));
      const topics = kits.map((k, i) => createEventBus(k, { backend: backends[i] }).topic<Sale>('sales'));
      for (let i = 1; i <= 20; i++) await topics[i % 2].publish({ cents: i }, { key: `k${i}` });
      // Both read the whole log under different consumer names: every event reaches the handler twice.
      const subs = topics.map((t, i) => t.subscribe(handle, { id: `revenue-${i}` }));
      const total = async (): Promise<number> => (await pool.query(`SELECT total FROM "${schema}".revenue WHERE id = 1`)).rows[0].total;
      // Virtual time for the consumers' timers, real time for PostgreSQL's answers.
      for (let i = 0; i < 400; i++) {
        await Promise.all(kits.map((k) => k.advance(50)));
        await new Promise((r) => setTimeout(r, 10));
        const st = await Promise.all(subs.map((s) => s.status()));
        if (st.every((x) => x.owned.length === 8 && x.owned.every((o) => o.committed >= 20))) break;
      }
      assert.is(await total(), 210, 'sum of 1..20, each once');
    } finally {
      for (const k of kits) await k.terminate();
      for (const b of backends) await b.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });
}

test.run();
