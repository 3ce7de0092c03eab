// Event-sourced actors: persist-before-reply, recovery (restart, new incarnation, snapshots),
// optimistic concurrency, upcasting, typed bad input, supervision of journal failures, file durability.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineEventSourced, reject, type CommandResult, type EventSourcedSpec } from '../../actors/event-sourced.ts';
import { createFileJournal } from '../../actors/journal/file-journal.ts';
import type { Journal, NewEvent, StoredEvent } from '../../actors/journal/journal.ts';
import { createMemoryJournal } from '../../actors/journal/memory-journal.ts';
import { createPgJournal } from '../../actors/journal/pg-journal.ts';
import { defineSupervisor, child, isTroupeError, type ActorRef, type SystemEvent } from '../../runtime/index.ts';
import { createIdSource } from '../../runtime/ids.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import { createTestSystem, type TestSystem } from '../../runtime/testing.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { serviceUrl } from '../helpers/services.ts';

interface Account { readonly balance: number; readonly ops: number }
type Result = CommandResult<Account, number>;
type Cmd =
  | { readonly type: 'deposit'; readonly amount: number; readonly replyTo?: ActorRef<Result> }
  | { readonly type: 'withdraw'; readonly amount: number; readonly replyTo?: ActorRef<Result> }
  | { readonly type: 'get'; readonly replyTo: ActorRef<Result> }
  | { readonly type: 'bug'; readonly replyTo?: ActorRef<Result> };
type Evt = { readonly type: 'deposited'; readonly amount: number } | { readonly type: 'withdrawn'; readonly amount: number };

const accountSpec = (journal: Journal, extra: Partial<EventSourcedSpec<Cmd, Evt, Account, number>> = {}): EventSourcedSpec<Cmd, Evt, Account, number> => ({
  name: 'account',
  journal,
  initialState: { balance: 0, ops: 0 },
  decide: (s, c) => {
    switch (c.type) {
      case 'deposit': return c.amount > 0 ? [{ type: 'deposited', amount: c.amount }] : reject('deposit a positive amount', { amount: c.amount });
      case 'withdraw': return c.amount <= s.balance ? { events: [{ type: 'withdrawn', amount: c.amount }], reply: s.balance - c.amount } : reject('insufficient funds', { balance: s.balance });
      case 'get': return [];
      case 'bug': throw new Error('decide has a bug');
    }
  },
  apply: (s, e) => ({ balance: e.type === 'deposited' ? s.balance + e.amount : s.balance - e.amount, ops: s.ops + 1 }),
  ...extra,
});

const memoryJournal = (kit: TestSystem): Journal => createMemoryJournal({ clock: kit.clock, ids: createIdSource(createSeededRandom(3)) });

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

const send = (kit: TestSystem, ref: ActorRef<Cmd>, make: (replyTo: ActorRef<Result>) => Cmd): Promise<Result> =>
  drive(kit, ref.ask<Result>(make, { timeoutMs: 60_000 }));
const deposit = (kit: TestSystem, ref: ActorRef<Cmd>, amount: number): Promise<Result> => send(kit, ref, (replyTo) => ({ type: 'deposit', amount, replyTo }));
const get = (kit: TestSystem, ref: ActorRef<Cmd>): Promise<Result> => send(kit, ref, (replyTo) => ({ type: 'get', replyTo }));

const okState = (r: Result): Account => { if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`); return r.state; };
const errCode = (r: Result): string => (r.ok ? 'ok' : r.error.code);

/** A journal that counts the events its reads return and lets a test hold appends/reads open. */
function instrument(inner: Journal) {
  const stats = { streamEventsRead: 0, appends: 0 };
  let holdAppends = false;
  let holdReads = false;
  const heldAppends: (() => void)[] = [];
  const heldReads: (() => void)[] = [];
  let failNextAppend: Error | undefined;
  const gate = (hold: boolean, queue: (() => void)[]): Promise<void> => (hold ? new Promise<void>((r) => queue.push(r)) : Promise.resolve());
  const journal: Journal = {
    ...inner,
    async append(stream: string, events: readonly NewEvent[], opts) {
      stats.appends++;
      await gate(holdAppends, heldAppends);
      if (failNextAppend) { const e = failNextAppend; failNextAppend = undefined; throw e; }
      return inner.append(stream, events, opts);
    },
    async readStream(stream, opts): Promise<StoredEvent[]> {
      await gate(holdReads, heldReads);
      const r = await inner.readStream(stream, opts);
      stats.streamEventsRead += r.length;
      return r;
    },
  };
  return {
    journal, stats,
    holdAppends(on: boolean) { holdAppends = on; },
    holdReads(on: boolean) { holdReads = on; },
    releaseAppends() { for (const r of heldAppends.splice(0)) r(); },
    releaseReads() { for (const r of heldReads.splice(0)) r(); },
    get heldAppends() { return heldAppends.length; },
    failNextAppend(e: Error) { failNextAppend = e; },
  };
}

const test = suite('event-sourced actors');

test('a command decides events, they are stored in the stream, and the state is their fold', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  const acc = kit.spawn(defineEventSourced(accountSpec(journal)), 'acc-1');
  assert.equal(okState(await deposit(kit, acc, 10)), { balance: 10, ops: 1 });
  const w = await send(kit, acc, (replyTo) => ({ type: 'withdraw', amount: 3, replyTo }));
  assert.equal(w, { ok: true, version: 2, state: { balance: 7, ops: 2 }, reply: 7 });
  const stored = await journal.readStream('acc-1');
  assert.equal(stored.map((e) => [e.version, e.type, e.schemaVersion, e.data]), [[1, 'deposited', 1, { type: 'deposited', amount: 10 }], [2, 'withdrawn', 1, { type: 'withdrawn', amount: 3 }]]);
  // a rejection is a typed reply and writes nothing; a query ([] events) just reports
  const no = await send(kit, acc, (replyTo) => ({ type: 'withdraw', amount: 100, replyTo }));
  assert.equal(no, { ok: false, error: { code: 'rejected', message: 'insufficient funds', data: { balance: 7 } } });
  assert.is(await journal.streamVersion('acc-1'), 2);
  assert.equal(await get(kit, acc), { ok: true, version: 2, state: { balance: 7, ops: 2 } });
  await kit.terminate();
});

test('the reply waits for the append: none while the journal holds it, and the next command waits too', async () => {
  const kit = createTestSystem();
  const j = instrument(memoryJournal(kit));
  const acc = kit.spawn(defineEventSourced(accountSpec(j.journal)), 'acc');
  await kit.runUntilIdle();
  j.holdAppends(true);
  const probe = kit.createProbe<Result>();
  acc.tell({ type: 'deposit', amount: 5, replyTo: probe.ref });
  acc.tell({ type: 'deposit', amount: 6, replyTo: probe.ref });
  await probe.expectNoMessage(1_000);
  assert.is(j.heldAppends, 1, 'the second command is not decided while the first append is pending');
  j.holdAppends(false);
  j.releaseAppends();
  const first = await probe.expectMessage();
  assert.equal(first, { ok: true, version: 1, state: { balance: 5, ops: 1 } });
  assert.equal(okState(await probe.expectMessage()), { balance: 11, ops: 2 });
  assert.is(await j.journal.streamVersion('acc'), 2);
  await kit.terminate();
});

test('recovery: a restart and a new incarnation replay the stream to the same state; commands sent meanwhile are stashed, in order', async () => {
  const kit = createTestSystem();
  const events: SystemEvent[] = [];
  kit.events$.subscribe((e) => events.push(e));
  const j = instrument(memoryJournal(kit));
  const def = defineEventSourced(accountSpec(j.journal));
  const acc = kit.spawn(def, 'acc');
  for (const a of [1, 2, 3]) await deposit(kit, acc, a);
  // decide throws: the supervisor restarts the actor, which recovers from the journal
  acc.tell({ type: 'bug' });
  await kit.runUntilIdle();
  assert.ok(events.some((e) => e.type === 'restarted' && e.path === '/user/acc'));
  assert.equal(await get(kit, acc), { ok: true, version: 3, state: { balance: 6, ops: 3 } });
  // stop, spawn again: the new incarnation reads the same stream; hold its reads to see the stash work
  kit.stop(acc as ActorRef<never>);
  await kit.runUntilIdle();
  j.holdReads(true);
  const again = kit.spawn(def, 'acc');
  const probe = kit.createProbe<Result>();
  again.tell({ type: 'deposit', amount: 10, replyTo: probe.ref });
  again.tell({ type: 'withdraw', amount: 16, replyTo: probe.ref });
  await probe.expectNoMessage(500);
  j.holdReads(false);
  j.releaseReads();
  assert.equal(okState(await probe.expectMessage()), { balance: 16, ops: 4 });
  assert.equal(await probe.expectMessage(), { ok: true, version: 5, state: { balance: 0, ops: 5 }, reply: 0 });
  await kit.terminate();
});

test('snapshots every N events; recovery starts from the snapshot and reads only the tail', async () => {
  const kit = createTestSystem();
  const j = instrument(memoryJournal(kit));
  const withSnapshots = defineEventSourced(accountSpec(j.journal, { snapshotEvery: 3 }));
  const acc = kit.spawn(withSnapshots, 'acc');
  for (let i = 1; i <= 7; i++) await deposit(kit, acc, i);
  const snap = await j.journal.loadSnapshot('acc');
  assert.equal(snap && { version: snap.version, state: snap.state }, { version: 6, state: { balance: 21, ops: 6 } });
  kit.stop(acc as ActorRef<never>);
  await kit.runUntilIdle();

  j.stats.streamEventsRead = 0;
  const again = kit.spawn(withSnapshots, 'acc');
  assert.equal(await get(kit, again), { ok: true, version: 7, state: { balance: 28, ops: 7 } });
  assert.is(j.stats.streamEventsRead, 1, 'only the event after the snapshot is read');
  kit.stop(again as ActorRef<never>);
  await kit.runUntilIdle();

  j.stats.streamEventsRead = 0;
  const noSnapshots = kit.spawn(defineEventSourced(accountSpec(j.journal)), 'acc');
  assert.equal(okState(await get(kit, noSnapshots)), { balance: 28, ops: 7 });
  assert.is(j.stats.streamEventsRead, 7, 'without snapshots every event is replayed');
  kit.stop(noSnapshots as ActorRef<never>);
  await kit.runUntilIdle();
  // counting resumes from the snapshot recovered from: the next one is 3 events after it (version 9)
  const fourth = kit.spawn(withSnapshots, 'acc');
  await deposit(kit, fourth, 1);
  assert.is((await j.journal.loadSnapshot('acc'))?.version, 6);
  await deposit(kit, fourth, 1);
  assert.is((await j.journal.loadSnapshot('acc'))?.version, 9);
  await kit.terminate();
});

test('two writers of one stream: the loser gets concurrency-conflict, catches up, and its retry succeeds', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  const def = defineEventSourced(accountSpec(journal, { streamOf: () => 'shared-acc' }));
  const a = kit.spawn(def, 'writer-a');
  const b = kit.spawn(def, 'writer-b');
  await kit.runUntilIdle();
  assert.is((await deposit(kit, a, 5)).ok, true);
  const lost = await deposit(kit, b, 7);
  assert.is(errCode(lost), 'concurrency-conflict');
  assert.equal(!lost.ok && { e: lost.error.data.expectedVersion, a: lost.error.data.actualVersion }, { e: 0, a: 1 });
  assert.is(await journal.streamVersion('shared-acc'), 1, 'the losing append wrote nothing');
  const retry = await deposit(kit, b, 7);
  assert.equal(retry, { ok: true, version: 2, state: { balance: 12, ops: 2 } });
  await kit.terminate();
});

test('upcasting: a stored v1 event is read through the registry; new events are written at the current version', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await journal.append('acc', [{ type: 'deposited', schemaVersion: 1, data: { type: 'deposited', euros: 2 } }], { expectedVersion: 0 });
  const registry = createMessageRegistry()
    .define('deposited', {
      version: 2,
      upcasters: { 1: (p) => ({ type: 'deposited', amount: (p as { euros: number }).euros * 100 }) },
      validate: (p) => Number.isInteger((p as { amount?: unknown }).amount) || 'amount must be an integer number of cents',
    })
    .define('withdrawn', { version: 1 });
  const acc = kit.spawn(defineEventSourced(accountSpec(journal, { registry })), 'acc');
  assert.equal(await get(kit, acc), { ok: true, version: 1, state: { balance: 200, ops: 1 } });
  assert.is((await deposit(kit, acc, 50)).ok, true);
  const stored = await journal.readStream('acc');
  assert.equal(stored.map((e) => e.schemaVersion), [1, 2]);
  await kit.terminate();
});

test('bad input is a typed error and writes nothing: invalid payload, unknown version, unknown type, bad stream, unstorable data', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  const registry = createMessageRegistry()
    .define('deposited', { version: 2, upcasters: { 1: (p) => p }, validate: (p) => Number.isInteger((p as { amount?: unknown }).amount) || 'amount must be an integer' });
  const acc = kit.spawn(defineEventSourced(accountSpec(journal, { registry })), 'acc');
  assert.is(errCode(await deposit(kit, acc, 1.5)), 'schema-invalid');
  assert.is(errCode(await send(kit, acc, (replyTo) => ({ type: 'withdraw', amount: 0, replyTo }))), 'unknown-message-type');
  const future = kit.spawn(defineEventSourced(accountSpec(journal, { registry, eventVersion: () => 3 })), 'future');
  const r = await deposit(kit, future, 1);
  assert.is(errCode(r), 'unsupported-version');
  assert.match(!r.ok ? r.error.message : '', /newer than v2/);
  const badStream = kit.spawn(defineEventSourced(accountSpec(journal, { streamOf: () => 'no/slashes' })), 'bad-stream');
  assert.is(errCode(await deposit(kit, badStream, 1)), 'invalid-stream');
  const unstorable = kit.spawn(defineEventSourced<Cmd, Evt, Account, number>({
    ...accountSpec(journal),
    decide: () => [{ type: 'deposited', amount: 1, note: () => 'a function' } as unknown as Evt],
  }), 'unstorable');
  assert.is(errCode(await deposit(kit, unstorable, 1)), 'schema-invalid');
  assert.equal(await journal.readAll(), []);
  // a command without replyTo that fails is simply dropped; the actor keeps going
  acc.tell({ type: 'deposit', amount: 0.5 });
  assert.equal(await get(kit, acc), { ok: true, version: 0, state: { balance: 0, ops: 0 } });
  await kit.terminate();
});

test('a stored event newer than the registry knows fails recovery: the supervisor gets unsupported-version', async () => {
  const kit = createTestSystem();
  const journal = memoryJournal(kit);
  await journal.append('acc', [{ type: 'deposited', schemaVersion: 3, data: { type: 'deposited', amount: 1 } }], { expectedVersion: 0 });
  const registry = createMessageRegistry().define('deposited', { version: 2, upcasters: { 1: (p) => p } });
  const failures: unknown[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'failed') failures.push(e.error); });
  const sup = defineSupervisor({ name: 'sup', decider: () => 'stop', children: [child('acc', defineEventSourced(accountSpec(journal, { registry, streamOf: () => 'acc' })))] });
  kit.spawn(sup, 'sup');
  await kit.runUntilIdle();
  assert.is(failures.length, 1);
  assert.ok(isTroupeError(failures[0], 'unsupported-version'));
  assert.is(kit.lookup('/user/sup/acc'), undefined);
  await kit.terminate();
});

test('a journal failure answers journal-failed and goes to the supervisor; the restarted actor recovers and serves', async () => {
  const kit = createTestSystem();
  const restarts: string[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'restarted') restarts.push(e.path); });
  const j = instrument(memoryJournal(kit));
  const acc = kit.spawn(defineEventSourced(accountSpec(j.journal)), 'acc');
  await deposit(kit, acc, 4);
  j.failNextAppend(new Error('disk on fire'));
  const r = await deposit(kit, acc, 5);
  assert.is(errCode(r), 'journal-failed');
  assert.match(!r.ok ? r.error.message : '', /unknown/);
  await kit.runUntilIdle();
  assert.equal(restarts, ['/user/acc']);
  assert.equal(await deposit(kit, acc, 6), { ok: true, version: 2, state: { balance: 10, ops: 2 } });
  await kit.terminate();
});

test('durability on the file journal: a new system and a reopened journal recover the same state', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-es-'));
  const ids = createIdSource(createSeededRandom(5));
  try {
    const kit1 = createTestSystem({ escapes: 'allow' }); // real file I/O on purpose
    const j1 = await createFileJournal({ dir, clock: kit1.clock, ids });
    const acc1 = kit1.spawn(defineEventSourced(accountSpec(j1, { snapshotEvery: 2 })), 'acc');
    for (const a of [5, 6, 7]) assert.is((await deposit(kit1, acc1, a)).ok, true);
    await drive(kit1, kit1.terminate());
    await j1.close();

    const kit2 = createTestSystem({ escapes: 'allow' });
    const j2 = await createFileJournal({ dir, clock: kit2.clock, ids });
    const acc2 = kit2.spawn(defineEventSourced(accountSpec(j2, { snapshotEvery: 2 })), 'acc');
    assert.equal(await get(kit2, acc2), { ok: true, version: 3, state: { balance: 18, ops: 3 } });
    assert.is((await deposit(kit2, acc2, 2)).ok, true);
    await drive(kit2, kit2.terminate());
    await j2.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const url = serviceUrl('postgres', 'event-sourced actors on PostgreSQL');
if (url) {
  test('PostgreSQL: two processes writing one stream conflict and converge; a new incarnation recovers from the server', async () => {
    const schema = `troupe_es_${process.pid}_${Date.now() % 1_000_000}`;
    const kitA = createTestSystem();
    const kitB = createTestSystem();
    const ja = await createPgJournal({ connectionString: url, schema, clock: kitA.clock, ids: createIdSource(createSeededRandom(1)) });
    const jb = await createPgJournal({ connectionString: url, schema, clock: kitB.clock, ids: createIdSource(createSeededRandom(2)) });
    try {
      const a = kitA.spawn(defineEventSourced(accountSpec(ja, { snapshotEvery: 2 })), 'acc');
      const b = kitB.spawn(defineEventSourced(accountSpec(jb, { snapshotEvery: 2 })), 'acc');
      await get(kitA, a);
      await get(kitB, b);
      assert.is((await deposit(kitA, a, 5)).ok, true);
      assert.is(errCode(await deposit(kitB, b, 7)), 'concurrency-conflict');
      assert.equal(await deposit(kitB, b, 7), { ok: true, version: 2, state: { balance: 12, ops: 2 } });
      await get(kitB, b); // the snapshot is saved after the reply, before the next command
      assert.is((await ja.loadSnapshot('acc'))?.version, 2);
      kitA.stop(a as ActorRef<never>);
      await drive(kitA, kitA.runUntilIdle());
      const again = kitA.spawn(defineEventSourced(accountSpec(ja, { snapshotEvery: 2 })), 'acc');
      assert.equal(await get(kitA, again), { ok: true, version: 2, state: { balance: 12, ops: 2 } });
    } finally {
      await drive(kitA, kitA.terminate());
      await drive(kitB, kitB.terminate());
      await ja.close();
      await jb.close();
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try { await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`); } finally { await c.end(); }
    }
  });
}

test('definition errors are caught at once with the fix', () => {
  const kit = createTestSystem();
  const j = memoryJournal(kit);
  for (const bad of [{ snapshotEvery: 0 }, { snapshotEvery: 1.5 }, { recoveryPageSize: 0 }, { decide: 3 }, { journal: {} }]) {
    try { defineEventSourced(accountSpec(j, bad as never)); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-spec'), String(e)); }
  }
});

test.run();
