// The Journal contract as one behaviour spec, run against every adapter (memory, file, pg) by
// that adapter's spec file with a harness that opens journals on fresh storage.

import { suite } from './uvu.ts';
import * as assert from 'uvu/assert';
import type { Journal, JournalDeps, StoredEvent } from '../../actors/journal/journal.ts';
import { isTroupeError, type TroupeError, type TroupeErrorCode } from '../../runtime/errors.ts';
import { createIdSource } from '../../runtime/ids.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import { createVirtualScheduler } from '../../runtime/virtual-clock.ts';

/** Fresh storage for one test: open journals on it (again, for durable adapters), then dispose. */
export interface JournalHarness {
  open(deps: JournalDeps): Promise<Journal>;
  /** Removes the storage; journals opened on it are closed first by the spec. */
  dispose(): Promise<void>;
}

/** What the behaviour spec needs from an adapter's spec file. */
export interface JournalBehaviourOptions {
  /** True when a journal reopened on the same storage sees what an earlier one stored. */
  readonly durable: boolean;
  readonly harness: () => Promise<JournalHarness>;
}

/** Asserts that `p` rejects with a TroupeError of `code`, and returns it. */
export async function rejectsWith(p: Promise<unknown>, code: TroupeErrorCode): Promise<TroupeError> {
  try {
    await p;
  } catch (e) {
    if (!isTroupeError(e, code)) throw new assert.Assertion({ message: `expected ${code}, got ${String(e)}`, generated: false, operator: 'rejects', expects: code, actual: e });
    return e;
  }
  throw new assert.Assertion({ message: `expected a ${code} rejection, but it resolved`, generated: false, operator: 'rejects', expects: code, actual: 'resolved' });
}

interface Ctx { journal: Journal; deps: JournalDeps; harness: JournalHarness; open: Journal[]; reopen(): Promise<Journal> }

const ev = (type: string, data: unknown): { type: string; data: unknown } => ({ type, data });
const summary = (es: StoredEvent[]): string[] => es.map((e) => `${e.stream}@${e.version}:${e.type}`);

/** Registers and runs the behaviour suite for one adapter. */
export function journalBehaviour(adapter: string, opts: JournalBehaviourOptions): void {
  const test = suite<Ctx>(`${adapter}: Journal behaviour`);

  test.before.each(async (ctx) => {
    const scheduler = createVirtualScheduler(1_700_000_000_000, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
    ctx.deps = { clock: scheduler.clock, ids: createIdSource(createSeededRandom(7)) };
    ctx.harness = await opts.harness();
    ctx.open = [];
    ctx.reopen = async () => {
      const j = await ctx.harness.open(ctx.deps);
      ctx.open.push(j);
      return j;
    };
    ctx.journal = await ctx.reopen();
  });

  test.after.each(async (ctx) => {
    for (const j of ctx.open) await j.close();
    await ctx.harness.dispose();
  });

  test('append to a new stream assigns versions 1..n and increasing positions, stamped from the clock and id source', async ({ journal, deps }) => {
    const r = await journal.append('cart-1', [ev('opened', { user: 'ann' }), ev('item-added', { sku: 'a', qty: 2 })], { expectedVersion: 0 });
    assert.equal(r.streamVersion, 2);
    assert.equal(r.versions, [1, 2]);
    assert.ok(r.positions[0] >= 1 && r.positions[1] > r.positions[0]);
    assert.is(await journal.streamVersion('cart-1'), 2);
    const events = await journal.readStream('cart-1');
    assert.equal(summary(events), ['cart-1@1:opened', 'cart-1@2:item-added']);
    assert.equal(events[1].data, { sku: 'a', qty: 2 });
    assert.equal(events.map((e) => e.position), r.positions);
    assert.is(events[0].schemaVersion, 1);
    assert.is(events[0].meta.timestampMs, deps.clock.now());
    assert.is(typeof events[0].meta.id, 'string');
    assert.is(events[0].meta.id.length, 21);
    assert.is.not(events[0].meta.id, events[1].meta.id);
    assert.not.ok('correlationId' in events[0].meta, 'absent optional meta is absent, not undefined');
  });

  test('caller-supplied schemaVersion and meta are kept as given', async ({ journal }) => {
    await journal.append('order-1', [{
      type: 'placed', schemaVersion: 3, data: { total: 10 },
      meta: { id: 'evt-1', correlationId: 'req-9', causationId: 'cmd-4', timestampMs: 42 },
    }], { expectedVersion: 'any' });
    const [e] = await journal.readStream('order-1');
    assert.is(e.schemaVersion, 3);
    assert.equal(e.meta, { id: 'evt-1', correlationId: 'req-9', causationId: 'cmd-4', timestampMs: 42 });
  });

  test('meta.traceparent is kept beside the other meta (and after a reopen); a bad one is schema-invalid', async ({ journal, reopen }) => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await journal.append('trip-1', [
      { type: 'booked', data: { when: new Date(5) }, meta: { id: 'e1', correlationId: 'c', traceparent: tp, timestampMs: 1 } },
      { type: 'paid', data: { n: 1 }, meta: { id: 'e2', traceparent: tp, timestampMs: 2 } },
      { type: 'noted', data: 'x', meta: { id: 'e3', timestampMs: 3 } },
    ], { expectedVersion: 0 });
    const expected = [
      { id: 'e1', correlationId: 'c', traceparent: tp, timestampMs: 1 }, { id: 'e2', traceparent: tp, timestampMs: 2 }, { id: 'e3', timestampMs: 3 },
    ];
    assert.equal((await journal.readStream('trip-1')).map((e) => e.meta), expected);
    assert.equal((await journal.readAll()).map((e) => e.meta), expected);
    assert.equal((await journal.readStream('trip-1'))[0].data, { when: new Date(5) }, 'the payload after a traceparent reads back');
    for (const bad of ['', 'x'.repeat(513), 7]) {
      await rejectsWith(journal.append('trip-2', [{ type: 't', data: {}, meta: { traceparent: bad as string } }], { expectedVersion: 'any' }), 'schema-invalid');
    }
    if (opts.durable) {
      await journal.close();
      assert.equal((await (await reopen()).readStream('trip-1')).map((e) => e.meta), expected);
    }
  });

  test('a stale expectedVersion rejects with concurrency-conflict carrying expected/actual in data, and writes nothing', async ({ journal }) => {
    await journal.append('acct-1', [ev('opened', {})], { expectedVersion: 0 });
    const err = await rejectsWith(journal.append('acct-1', [ev('deposited', { n: 1 }), ev('deposited', { n: 2 })], { expectedVersion: 0 }), 'concurrency-conflict');
    assert.equal({ ...err.data }, { stream: 'acct-1', expectedVersion: 0, actualVersion: 1 });
    await rejectsWith(journal.append('acct-2', [ev('x', {})], { expectedVersion: 3 }), 'concurrency-conflict');
    assert.is(await journal.streamVersion('acct-1'), 1);
    assert.is(await journal.streamVersion('acct-2'), 0);
    assert.equal(summary(await journal.readAll()), ['acct-1@1:opened']);
    const r = await journal.append('acct-1', [ev('deposited', { n: 3 })], { expectedVersion: 1 });
    assert.is(r.streamVersion, 2);
  });

  test("'any' appends whatever the stream's version", async ({ journal }) => {
    await journal.append('log', [ev('a', 1)], { expectedVersion: 'any' });
    await journal.append('log', [ev('b', 2)], { expectedVersion: 'any' });
    assert.equal((await journal.readStream('log')).map((e) => e.data), [1, 2]);
  });

  test('of two concurrent appends expecting the same version, exactly one wins', async ({ journal }) => {
    await journal.append('race', [ev('start', {})], { expectedVersion: 0 });
    const results = await Promise.allSettled([
      journal.append('race', [ev('left', {})], { expectedVersion: 1 }),
      journal.append('race', [ev('right', {})], { expectedVersion: 1 }),
    ]);
    assert.equal(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(isTroupeError(lost.reason, 'concurrency-conflict'));
    assert.is((await journal.readStream('race')).length, 2);
  });

  test('readStream honours fromVersion and maxCount; an unknown stream is empty at version 0', async ({ journal }) => {
    await journal.append('s', Array.from({ length: 10 }, (_, i) => ev('n', i + 1)), { expectedVersion: 0 });
    assert.equal((await journal.readStream('s', { fromVersion: 4, maxCount: 3 })).map((e) => e.version), [4, 5, 6]);
    assert.equal((await journal.readStream('s', { fromVersion: 9 })).map((e) => e.data), [9, 10]);
    assert.equal(await journal.readStream('s', { fromVersion: 11 }), []);
    assert.equal(await journal.readStream('s', { maxCount: 0 }), []);
    assert.equal(await journal.readStream('nobody'), []);
    assert.is(await journal.streamVersion('nobody'), 0);
  });

  test('readAll returns every stream in one global order, and paging by fromPosition visits each event once', async ({ journal }) => {
    const order: string[] = [];
    for (let i = 0; i < 30; i++) {
      const stream = `s-${i % 3}`;
      await journal.append(stream, [ev(`e${i}`, { i })], { expectedVersion: 'any' });
      order.push(`e${i}`);
    }
    const all = await journal.readAll();
    assert.equal(all.map((e) => e.type), order);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].position > all[i - 1].position, 'positions strictly increase');
    const paged: string[] = [];
    let from = 1;
    for (let guard = 0; guard < 20; guard++) {
      const page = await journal.readAll({ fromPosition: from, maxCount: 7 });
      if (page.length === 0) break;
      paged.push(...page.map((e) => e.type));
      from = page[page.length - 1].position + 1;
    }
    assert.equal(paged, order);
    assert.equal((await journal.readAll({ fromPosition: all[28].position })).map((e) => e.type), ['e28', 'e29']);
  });

  test('a bad stream name rejects with invalid-stream from every method, and nothing is written', async ({ journal }) => {
    for (const bad of ['', '$all', 'a b', 'a/b', 'x'.repeat(201), 'ünïcode']) {
      await rejectsWith(journal.append(bad, [ev('x', {})], { expectedVersion: 'any' }), 'invalid-stream');
      await rejectsWith(journal.readStream(bad), 'invalid-stream');
      await rejectsWith(journal.streamVersion(bad), 'invalid-stream');
      await rejectsWith(journal.loadSnapshot(bad), 'invalid-stream');
    }
    assert.equal(await journal.readAll(), []);
    const edge = `${'a'.repeat(190)}-_.:Z09`;
    await journal.append(edge, [ev('ok', {})], { expectedVersion: 0 });
    assert.is((await journal.readStream(edge))[0].stream, edge);
  });

  test('an unserializable payload rejects with schema-invalid and the whole append is dropped', async ({ journal }) => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    class Point { constructor(readonly x: number) {} }
    const bad: unknown[] = [{ f: () => 1 }, cyclic, { s: Symbol('x') }, new Point(1), [1, () => 2]];
    for (const data of bad) {
      await rejectsWith(journal.append('p', [ev('fine', { ok: true }), ev('bad', data)], { expectedVersion: 0 }), 'schema-invalid');
    }
    await rejectsWith(journal.append('p', [{ type: '', data: {} }], { expectedVersion: 0 }), 'schema-invalid');
    await rejectsWith(journal.append('p', [{ type: 't', schemaVersion: 0, data: {} }], { expectedVersion: 0 }), 'schema-invalid');
    await rejectsWith(journal.append('p', [{ type: 't', data: {}, meta: { id: '' } }], { expectedVersion: 0 }), 'schema-invalid');
    await rejectsWith(journal.append('p', [], { expectedVersion: 0 }), 'invalid-argument');
    await rejectsWith(journal.append('p', [ev('t', {})], { expectedVersion: -1 }), 'invalid-argument');
    assert.is(await journal.streamVersion('p'), 0);
    assert.equal(await journal.readAll(), []);
  });

  test('Dates, Maps, Sets, BigInts, undefined and unicode round-trip; plain JSON comes back equal', async ({ journal }) => {
    const rich = { at: new Date(1_000), tags: new Set(['a', 'b']), byId: new Map([[1, 'x']]), big: 2n ** 70n, gone: undefined, nested: [{ d: new Date(5) }] };
    const plain = { s: 'héllo 🌍 — 日本', n: -1.5, b: false, z: null, arr: [1, [2, { k: 'v' }]] };
    await journal.append('rich', [ev('r', rich), { type: 'ünï-type', data: plain }], { expectedVersion: 0 });
    const [a, b] = await journal.readStream('rich');
    const d = a.data as typeof rich;
    assert.instance(d.at, Date);
    assert.is(d.at.getTime(), 1_000);
    assert.equal([...d.tags], ['a', 'b']);
    assert.equal([...d.byId], [[1, 'x']]);
    assert.is(d.big, 2n ** 70n);
    assert.ok('gone' in d && d.gone === undefined);
    assert.is(d.nested[0].d.getTime(), 5);
    assert.equal(b.data, plain);
    assert.is(b.type, 'ünï-type');
  });

  test('snapshots: save and load, older saves ignored, only versions that exist accepted', async ({ journal, deps }) => {
    assert.is(await journal.loadSnapshot('agg'), undefined);
    await journal.append('agg', [ev('a', 1), ev('b', 2), ev('c', 3)], { expectedVersion: 0 });
    await journal.saveSnapshot('agg', 2, { sum: 3, at: new Date(7) });
    let snap = await journal.loadSnapshot('agg');
    assert.is(snap?.version, 2);
    assert.is(snap?.stream, 'agg');
    assert.is(snap?.savedAtMs, deps.clock.now());
    assert.is((snap?.state as { at: Date }).at.getTime(), 7);
    await journal.saveSnapshot('agg', 3, { sum: 6 });
    await journal.saveSnapshot('agg', 1, { sum: 1 });
    snap = await journal.loadSnapshot('agg');
    assert.equal({ v: snap?.version, s: snap?.state }, { v: 3, s: { sum: 6 } });
    await rejectsWith(journal.saveSnapshot('agg', 4, {}), 'invalid-argument');
    await rejectsWith(journal.saveSnapshot('agg', 0, {}), 'invalid-argument');
    await rejectsWith(journal.saveSnapshot('other', 1, {}), 'invalid-argument');
    await rejectsWith(journal.saveSnapshot('agg', 3, { f: () => 1 }), 'schema-invalid');
    assert.equal((await journal.loadSnapshot('agg'))?.state, { sum: 6 });
  });

  test('close lets pending appends finish, then every call rejects with journal-closed', async ({ journal }) => {
    const pending = journal.append('c', [ev('x', 1)], { expectedVersion: 0 });
    const closing = journal.close();
    assert.is((await pending).streamVersion, 1);
    await closing;
    await journal.close();
    await rejectsWith(journal.append('c', [ev('y', 2)], { expectedVersion: 1 }), 'journal-closed');
    await rejectsWith(journal.readStream('c'), 'journal-closed');
    await rejectsWith(journal.readAll(), 'journal-closed');
    await rejectsWith(journal.streamVersion('c'), 'journal-closed');
    await rejectsWith(journal.saveSnapshot('c', 1, {}), 'journal-closed');
    await rejectsWith(journal.loadSnapshot('c'), 'journal-closed');
  });

  test('many appends in flight at once all land whole, each stream with versions 1..n and distinct positions', async ({ journal }) => {
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) writes.push(journal.append(`w-${i % 5}`, [ev('n', i), ev('m', i)], { expectedVersion: 'any' }));
    await Promise.all(writes);
    const all = await journal.readAll();
    assert.is(all.length, 400);
    assert.is(new Set(all.map((e) => e.position)).size, 400);
    for (let s = 0; s < 5; s++) {
      const events = await journal.readStream(`w-${s}`);
      assert.equal(events.map((e) => e.version), Array.from({ length: 80 }, (_, i) => i + 1));
      // Call order of unawaited appends is an adapter matter (memory/file keep it); the set is not.
      assert.equal(events.filter((e) => e.type === 'n').map((e) => e.data as number).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i * 5 + s));
      for (let i = 0; i < events.length; i += 2) assert.equal([events[i].type, events[i + 1].type, events[i + 1].data], ['n', 'm', events[i].data], 'an append stays contiguous');
    }
  });

  if (opts.durable) {
    test('a reopened journal has every event and snapshot, and continues versions and positions', async (ctx) => {
      const r1 = await ctx.journal.append('d', [ev('a', { n: 1 }), ev('b', { at: new Date(3) })], { expectedVersion: 0 });
      await ctx.journal.append('e', [ev('c', 3)], { expectedVersion: 0 });
      await ctx.journal.saveSnapshot('d', 2, { n: 2 });
      const before = await ctx.journal.readAll();
      await ctx.journal.close();
      const j2 = await ctx.reopen();
      assert.equal(await j2.readAll(), before);
      assert.is(await j2.streamVersion('d'), 2);
      assert.equal((await j2.loadSnapshot('d'))?.state, { n: 2 });
      await rejectsWith(j2.append('d', [ev('x', {})], { expectedVersion: 0 }), 'concurrency-conflict');
      const r2 = await j2.append('d', [ev('z', {})], { expectedVersion: 2 });
      assert.equal(r2.versions, [3]);
      assert.ok(r2.positions[0] > before[before.length - 1].position && r2.positions[0] > r1.positions[1]);
    });
  }

  test.run();
}
