// Projections: catch-up then live tailing, exactly-once in effect on atomic stores (memory, pg),
// at-least-once on non-atomic ones, fencing, rebuild, lag and pause, file-journal durability.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createFileJournal } from '../../actors/journal/file-journal.ts';
import type { Journal, StoredEvent } from '../../actors/journal/journal.ts';
import { createMemoryJournal } from '../../actors/journal/memory-journal.ts';
import { createPgJournal } from '../../actors/journal/pg-journal.ts';
import { createProjection, withAppendHints, type ProjectionStatus } from '../../actors/projection.ts';
import {
  createAtLeastOnceStore, createFileCheckpoints, createMemoryCheckpoints, createMemoryProjectionStore, createPgProjectionStore,
  type CheckpointStore,
} from '../../actors/projection-stores.ts';
import { isTroupeError } from '../../runtime/errors.ts';
import { createIdSource } from '../../runtime/ids.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import { createTestSystem, type TestSystem } from '../../runtime/testing.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { serviceUrl } from '../helpers/services.ts';

const ids = () => createIdSource(createSeededRandom(9));
const memoryJournal = (kit: TestSystem): Journal => createMemoryJournal({ clock: kit.clock, ids: ids() });

/** Appends `n` deposits of 1 spread over `streams` accounts, one event per append (like real traffic). */
async function deposits(journal: Journal, n: number, streams = 3): Promise<void> {
  for (let i = 0; i < n; i++) await journal.append(`acc-${i % streams}`, [{ type: 'deposited', data: { amount: 1 } }], { expectedVersion: 'any' });
}

/** Sum of deposits per stream: the read model every memory-store test builds. */
const sumPerStream = (e: StoredEvent, tx: { get(k: string): number | undefined; set(k: string, v: number): void }): void => {
  tx.set(e.stream, (tx.get(e.stream) ?? 0) + (e.data as { amount: number }).amount);
};

/** Drives the test system (and real I/O, bounded) until `p` settles. */
async function drive<T>(kit: TestSystem, p: Promise<T>, rounds = 5_000): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < rounds && !done; i++) {
    await kit.runUntilIdle();
    if (!done) await new Promise((r) => setTimeout(r, i < 50 ? 0 : 1));
  }
  return p;
}

/** Drives until `ready()` holds (real I/O allowed, bounded); returns whether it did. */
async function driveUntil(kit: TestSystem, ready: () => boolean, rounds = 5_000): Promise<boolean> {
  for (let i = 0; i < rounds && !ready(); i++) {
    await kit.advance(10); // virtual time too: a failed batch is retried after its backoff
    if (!ready()) await new Promise((r) => setTimeout(r, i < 50 ? 0 : 1));
  }
  return ready();
}

const test = suite('projections');

test('catch-up in batches from position 1, then live: new events arrive at the next poll', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await deposits(journal, 1_200);
  const store = createMemoryProjectionStore<number>();
  const phases: string[] = [];
  const p = createProjection({ system: kit, journal, name: 'sums', store, batchSize: 500, handle: sumPerStream });
  p.status$.subscribe((s) => { if (phases[phases.length - 1] !== s.phase) phases.push(s.phase); });
  await kit.runUntilIdle();
  assert.equal(phases, ['starting', 'catching-up', 'live']);
  assert.equal([store.get('acc-0'), store.get('acc-1'), store.get('acc-2')], [400, 400, 400]);
  assert.equal({ ...p.status(), error: undefined }, { name: 'sums', phase: 'live', checkpoint: 1_200, head: 1_200, lag: 0, handled: 1_200, rebuilds: 0, failures: 0, error: undefined });
  // live: an append is picked up by the next poll (default every 100 ms of virtual time), not before
  await deposits(journal, 2);
  await kit.advance(99);
  assert.is(store.checkpoint(), 1_200);
  await kit.advance(1);
  assert.is(store.checkpoint(), 1_202);
  assert.is(store.get('acc-0'), 401);
  await p.stop();
  assert.is(p.status().phase, 'stopped');
  await kit.terminate();
});

test('with append hints, an append in this process reaches the projection without waiting for a poll', async () => {
  const kit = createTestSystem();
  const journal = withAppendHints(memoryJournal(kit));
  const store = createMemoryProjectionStore<number>();
  createProjection({ system: kit, journal, name: 'hinted', store, pollMs: 60_000, handle: sumPerStream });
  await kit.runUntilIdle();
  await deposits(journal, 3);
  await kit.runUntilIdle();
  assert.is(store.checkpoint(), 3);
  assert.is(kit.now(), 0, 'no virtual time passed');
  await kit.terminate();
});

test('atomic store: a handler failure mid-batch rolls the batch back; the retried batch applies each event exactly once', async () => {
  const kit = createTestSystem();
  const restarts: string[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'restarted') restarts.push(e.path); });
  const journal = memoryJournal(kit);
  await deposits(journal, 10);
  const store = createMemoryProjectionStore<number>();
  let calls = 0;
  let failOnce = true;
  const p = createProjection({
    system: kit, journal, name: 'sums', store, batchSize: 4,
    handle: (e, tx) => {
      calls++;
      if (e.position === 6 && failOnce) { failOnce = false; throw new Error('read model hiccup'); }
      sumPerStream(e, tx);
    },
  });
  const failed: ProjectionStatus[] = [];
  p.status$.subscribe((s) => { if (s.phase === 'failed') failed.push(s); });
  await kit.runUntilIdle();
  assert.is(p.status().phase, 'failed', 'the failure is kept in the projection, waiting for its retry');
  await kit.advance(200);
  assert.equal(restarts, [], 'not a supervision matter');
  assert.is((failed[0]?.error as Error).message, 'read model hiccup');
  assert.is(failed[0]?.failures, 1);
  assert.is(calls, 12, 'the failed batch (positions 5–8) was handed over twice: 4 + 2 + 4 + 2');
  assert.equal([store.get('acc-0'), store.get('acc-1'), store.get('acc-2')], [4, 3, 3], 'but applied once');
  assert.is(p.status().phase, 'live');
  assert.is(p.status().error, undefined);

  // a new projection instance on the same store resumes from its checkpoint: nothing applied again
  await p.stop();
  calls = 0;
  const again = createProjection({ system: kit, journal, name: 'sums', store, handle: (e, tx) => { calls++; sumPerStream(e, tx); } });
  await kit.runUntilIdle();
  assert.is(calls, 0);
  await deposits(journal, 1);
  await kit.advance(100);
  assert.is(calls, 1);
  assert.equal([store.get('acc-0'), again.status().checkpoint], [5, 11]);
  await kit.terminate();
});

test('a poison event: the projection retries with backoff and stalls at it (status failed, counted); the system keeps serving', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await deposits(journal, 5);
  const store = createMemoryProjectionStore<number>();
  const p = createProjection({ system: kit, journal, name: 'sums', store, batchSize: 1, retry: { minMs: 100, maxMs: 1_000, jitter: 0 }, handle: (e, tx) => {
    if (e.position === 3) throw new Error('poison');
    sumPerStream(e, tx);
  } });
  await kit.advance(10_000);
  assert.is(p.status().phase, 'failed');
  assert.is(p.status().checkpoint, 2, 'it stops before the poison event: order is kept');
  assert.ok(p.status().failures >= 5, `retried with backoff: ${p.status().failures}`);
  assert.not.ok(kit.isTerminated);
  await kit.terminate();
});

test('two instances of one projection on an atomic store: the second is fenced by the checkpoint, nothing applied twice', async () => {
  const kitA = createTestSystem();
  const kitB = createTestSystem();
  const journal = memoryJournal(kitA);
  await deposits(journal, 6);
  const store = createMemoryProjectionStore<number>();
  let calls = 0;
  const conflicts: unknown[] = [];
  const handle = (e: StoredEvent, tx: Parameters<typeof sumPerStream>[1]): void => { calls++; sumPerStream(e, tx); };
  createProjection({ system: kitA, journal, name: 'sums', store, handle });
  const b = createProjection({ system: kitB, journal, name: 'sums', store, handle });
  b.status$.subscribe((s) => { if (s.phase === 'failed') conflicts.push(s.error); });
  await Promise.all([kitA.runUntilIdle(), kitB.runUntilIdle()]);
  await kitB.advance(1_000);
  assert.equal([store.get('acc-0'), store.get('acc-1'), store.get('acc-2'), store.checkpoint()], [2, 2, 2, 6]);
  assert.ok(conflicts.length >= 1 && conflicts.every((e) => isTroupeError(e, 'concurrency-conflict')), 'B lost the race and was fenced');
  assert.is(calls, 12, 'B ran its handlers, but its staged writes were discarded');
  await kitA.terminate();
  await kitB.terminate();
});

test('non-atomic store: after a crash between the handler and the checkpoint the batch comes again; an idempotent handler absorbs it', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await deposits(journal, 5);
  const inner = createMemoryCheckpoints();
  let failSave = true;
  const checkpoints: CheckpointStore = {
    load: (n) => inner.load(n),
    save: async (n, pos) => { if (failSave) { failSave = false; throw new Error('crash before the checkpoint'); } return inner.save(n, pos); },
  };
  // the target: a naive counter (not idempotent) and a per-event-id upsert (idempotent)
  const target = { naive: 0, byId: new Map<string, number>() };
  const store = createAtLeastOnceStore({ target, checkpoints, reset: (t) => { t.naive = 0; t.byId.clear(); } });
  assert.is(store.atomic, false);
  createProjection({
    system: kit, journal, name: 'counts', store,
    handle: (e, t) => { t.naive++; t.byId.set(e.meta.id, (e.data as { amount: number }).amount); },
  });
  await kit.advance(1_000); // the failed batch is retried after its backoff
  assert.is(await inner.load('counts'), 5);
  assert.is(target.byId.size, 5, 'the idempotent read model is right');
  assert.is(target.naive, 10, 'a non-idempotent handler double-counts: the contract says make handlers idempotent here');
  await kit.terminate();
});

test('rebuild resets the read model and checkpoint, replays from zero, and resolves when caught up', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await deposits(journal, 9);
  const store = createMemoryProjectionStore<number>();
  let calls = 0;
  let bonus = 0;
  const p = createProjection({ system: kit, journal, name: 'sums', store, batchSize: 4, handle: (e, tx) => { calls++; tx.set(e.stream, (tx.get(e.stream) ?? 0) + (e.data as { amount: number }).amount + bonus); } });
  await kit.runUntilIdle();
  assert.equal([store.get('acc-0'), calls], [3, 9]);
  bonus = 10; // a new version of the handler: the read model must be rebuilt
  const rebuilt = p.rebuild();
  let done = false;
  rebuilt.then(() => { done = true; });
  await kit.runUntilIdle();
  assert.ok(done);
  await rebuilt;
  assert.equal([store.get('acc-0'), store.get('acc-1'), store.get('acc-2'), calls], [33, 33, 33, 18]);
  assert.equal([p.status().rebuilds, p.status().checkpoint, p.status().phase], [1, 9, 'live']);
  await kit.terminate();
});

test('a rebuild whose reset fails rejects with the failure; the projection goes on with its read model', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await deposits(journal, 3);
  const inner = createMemoryProjectionStore<number>();
  const store = { ...inner, atomic: true, reset: async () => { throw new Error('cannot truncate'); } };
  const p = createProjection({ system: kit, journal, name: 'sums', store, handle: sumPerStream });
  await kit.runUntilIdle();
  const outcome = p.rebuild().then(() => 'resolved', (e: Error) => e.message);
  await kit.runUntilIdle();
  assert.is(await outcome, 'cannot truncate');
  await kit.advance(1_000); // the projection retries from its checkpoint after the backoff
  assert.equal([inner.get('acc-0'), p.status().phase, p.status().checkpoint], [1, 'live', 3]);
  await kit.terminate();
});

test('lag: grows while paused (in lag() and in status$), back to 0 after resume and catch-up', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  const store = createMemoryProjectionStore<number>();
  const p = createProjection({ system: kit, journal, name: 'sums', store, batchSize: 8, handle: sumPerStream });
  await kit.runUntilIdle();
  assert.is(await p.lag(), 0);
  p.pause();
  await kit.runUntilIdle();
  await deposits(journal, 30);
  assert.is(await p.lag(), 30);
  await kit.advance(100);
  assert.equal([p.status().phase, p.status().lag, store.checkpoint()], ['paused', 30, 0]);
  await deposits(journal, 3);
  await kit.advance(100);
  assert.is(p.status().lag, 33);
  const lags: number[] = [];
  p.status$.subscribe((s) => lags.push(s.lag));
  p.resume();
  await kit.runUntilIdle();
  assert.equal(lags.slice(1), [25, 17, 9, 1, 0], 'lag shrinks batch by batch');
  assert.is(await p.lag(), 0);
  assert.equal([p.status().phase, store.checkpoint()], ['live', 33]);
  await kit.terminate();
});

test('filter and registry: the handler sees upcast events of the chosen types; the checkpoint passes the others', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await journal.append('acc-1', [
    { type: 'deposited', schemaVersion: 1, data: { euros: 2 } },
    { type: 'note', data: 'ignored' },
    { type: 'deposited', schemaVersion: 2, data: { amount: 50 } },
  ], { expectedVersion: 0 });
  const registry = createMessageRegistry()
    .define('deposited', { version: 2, upcasters: { 1: (p) => ({ amount: (p as { euros: number }).euros * 100 }) } })
    .define('note', { version: 1 });
  const store = createMemoryProjectionStore<number>();
  const seen: number[] = [];
  createProjection({ system: kit, journal, name: 'cents', store, registry, filter: (e) => e.type === 'deposited', handle: (e, tx) => { seen.push(e.schemaVersion); sumPerStream(e, tx); } });
  await kit.runUntilIdle();
  assert.equal([store.get('acc-1'), seen, store.checkpoint()], [250, [2, 2], 3]);
  await kit.terminate();
});

test('fromPosition starts a new projection part-way; a bad option is invalid-spec', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await deposits(journal, 6);
  const store = createMemoryProjectionStore<number>();
  const p = createProjection({ system: kit, journal, name: 'tail', store, fromPosition: 5, handle: sumPerStream });
  await kit.runUntilIdle();
  assert.equal([store.keys().sort(), store.checkpoint(), p.status().lag], [['acc-1', 'acc-2'], 6, 0]);
  for (const bad of [{ name: 'a/b' }, { batchSize: 0 }, { pollMs: -1 }, { store: {} }]) {
    try { createProjection({ system: kit, journal, name: 'x', store, handle: sumPerStream, ...bad } as never); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-spec'), String(e)); }
  }
  await kit.terminate();
});

test('durability on the file journal with file checkpoints: a new process resumes where the last one stopped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-projection-'));
  try {
    const target = new Map<number, number>(); // position → amount: idempotent by construction
    let calls = 0;
    const run = async (append: number): Promise<number> => {
      const kit = createTestSystem({ escapes: 'allow' }); // real file I/O on purpose
      const journal = await createFileJournal({ dir: join(dir, 'journal'), clock: kit.clock, ids: ids() });
      await deposits(journal, append);
      const store = createAtLeastOnceStore({ target, checkpoints: await createFileCheckpoints(join(dir, 'checkpoints')) });
      const p = createProjection({ system: kit, journal, name: 'by-position', store, handle: (e, t) => { calls++; t.set(e.position, (e.data as { amount: number }).amount); } });
      assert.ok(await driveUntil(kit, () => p.status().phase === 'live'));
      const checkpoint = p.status().checkpoint;
      await drive(kit, p.stop());
      await drive(kit, kit.terminate());
      await journal.close();
      return checkpoint;
    };
    assert.is(await run(4), 4);
    assert.is(calls, 4);
    assert.is(await run(3), 7);
    assert.is(calls, 7, 'the second process handled only the 3 new events');
    assert.is(target.size, 7);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const url = serviceUrl('postgres', 'projections on PostgreSQL');
if (url) {
  test('PostgreSQL: handler statements and checkpoint commit together; a failure rolls both back; resume and rebuild', async () => {
    const schema = `troupe_proj_${process.pid}_${Date.now() % 1_000_000}`;
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const kit = createTestSystem();
    try {
      const journal = await createPgJournal({ pool, schema, clock: kit.clock, ids: ids() });
      const options = { pool, schema, reset: async (c: pg.PoolClient) => { await c.query(`TRUNCATE "${schema}".balances`); } };
      const store = await createPgProjectionStore(options);
      await pool.query(`CREATE TABLE "${schema}".balances (stream text PRIMARY KEY, total int NOT NULL, events int NOT NULL)`);
      await deposits(journal, 12);
      let failOnce = true;
      const handle = async (e: StoredEvent, c: pg.PoolClient): Promise<void> => {
        await c.query(`INSERT INTO "${schema}".balances VALUES ($1, $2, 1) ON CONFLICT (stream) DO UPDATE SET total = balances.total + $2, events = balances.events + 1`, [e.stream, (e.data as { amount: number }).amount]);
        if (e.position === 7 && failOnce) { failOnce = false; throw new Error('fails after writing'); }
      };
      const rows = async (): Promise<unknown[]> => (await pool.query(`SELECT stream, total, events FROM "${schema}".balances ORDER BY stream`)).rows;
      const p = createProjection({ system: kit, journal, name: 'balances', store, batchSize: 5, handle });
      assert.ok(await driveUntil(kit, () => p.status().phase === 'live' && p.status().checkpoint === 12));
      assert.equal(await rows(), [{ stream: 'acc-0', total: 4, events: 4 }, { stream: 'acc-1', total: 4, events: 4 }, { stream: 'acc-2', total: 4, events: 4 }]);
      await drive(kit, p.stop());
      // a new store object (another process) resumes from the committed checkpoint
      const store2 = await createPgProjectionStore(options);
      assert.is(await store2.loadCheckpoint('balances'), 12);
      await deposits(journal, 3);
      const p2 = createProjection({ system: kit, journal, name: 'balances', store: store2, handle });
      assert.ok(await driveUntil(kit, () => p2.status().checkpoint === 15));
      assert.is(p2.status().handled, 3);
      await drive(kit, p2.rebuild());
      assert.equal(await rows(), [{ stream: 'acc-0', total: 5, events: 5 }, { stream: 'acc-1', total: 5, events: 5 }, { stream: 'acc-2', total: 5, events: 5 }]);
      await drive(kit, p2.stop());
      await journal.close();
    } finally {
      await drive(kit, kit.terminate());
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  });
}

test.run();
