import * as assert from 'uvu/assert';
import { lastValueFrom, of, take, toArray } from 'rxjs';
import { createTestSystem, type TestSystem } from '../../../runtime/testing.ts';
import { defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import {
  ack, createEventBus, createMemoryLogBackend, createJournalIdempotencyStore, idempotent, nack,
  type BusEvent, type Delivery, type EventBus, type LogBackend,
} from '../../../actors/streams/index.ts';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import { partitionOf } from '../../../actors/streams/partitions.ts';
import { suite } from '../../helpers/uvu.ts';

type Order = { orderId: string; n: number };

function setup(o: { backend?: LogBackend; seed?: number } = {}) {
  const kit = createTestSystem({ seed: o.seed ?? 1 });
  const backend = o.backend ?? createMemoryLogBackend({ clock: kit.clock, ids: kit.ids });
  const bus = createEventBus(kit, { backend, delivery: { backoff: { minMs: 100, maxMs: 1_000 } } });
  return { kit, bus, backend, orders: bus.topic<Order>('orders') };
}

async function publishAll(orders: ReturnType<EventBus['topic']>, from: number, to: number, key?: (n: number) => string): Promise<void> {
  for (let n = from; n <= to; n++) await orders.publish({ orderId: `o${n}`, n }, key ? { key: key(n) } : {});
}

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<{ code: string; message: string }> {
  try { await (typeof p === 'function' ? p() : p); } catch (e) { if (isTroupeError(e)) return e; throw e; }
  throw new Error('expected a TroupeError');
}

const test = suite('event bus on the log', undefined, { limitMs: 30_000 });

test('publish is durable with no subscriber: a durable consumer that comes later gets every event, in order, with where it is stored', async () => {
  const { kit, orders } = setup();
  const receipts = [];
  for (let n = 1; n <= 3; n++) receipts.push(await orders.publish({ orderId: `o${n}`, n }, n === 2 ? { id: 'given-id', key: 'k' } : {}));
  assert.equal(receipts.map((r) => r.offset), [1, 2, 3]);
  assert.is(receipts[1].id, 'given-id');
  const seen: BusEvent<Order>[] = [];
  orders.subscribe((e) => { seen.push(e); }, { id: 'audit' });
  assert.ok(await kit.runUntil(() => seen.length === 3, 5_000));
  assert.equal(seen.map((e) => [e.data.n, e.offset, e.source, e.topic]), [[1, 1, 'local', 'orders'], [2, 2, 'local', 'orders'], [3, 3, 'local', 'orders']]);
  assert.is(seen[1].id, 'given-id'); assert.is(seen[1].key, 'k');
  await kit.terminate();
});

test('an ephemeral subscriber starts at the next event; broadcast: every subscriber gets every event', async () => {
  const { kit, orders } = setup();
  await publishAll(orders, 1, 2);
  const a: number[] = [], b: number[] = [];
  orders.subscribe((e) => { a.push(e.data.n); });
  orders.subscribe((e) => { b.push(e.data.n); });
  await kit.runUntilIdle();
  await publishAll(orders, 3, 6);
  assert.ok(await kit.runUntil(() => a.length === 4 && b.length === 4, 5_000));
  assert.equal(a, [3, 4, 5, 6]); assert.equal(b, [3, 4, 5, 6]);
  await kit.terminate();
});

test('a durable subscriber that is down misses nothing: it resumes after its last acknowledged event', async () => {
  const { kit, orders } = setup();
  const seen: number[] = [];
  let sub = orders.subscribe((e) => { seen.push(e.data.n); }, { id: 'notifications' });
  await publishAll(orders, 1, 3);
  assert.ok(await kit.runUntil(() => seen.length === 3, 5_000));
  sub.detach();
  await kit.advance(10);
  await publishAll(orders, 4, 7);
  await kit.advance(2_000);
  assert.equal(seen, [1, 2, 3], 'nothing while detached');
  sub = orders.subscribe((e) => { seen.push(e.data.n); }, { id: 'notifications' });
  assert.ok(await kit.runUntil(() => seen.length === 7, 5_000));
  assert.equal(seen, [1, 2, 3, 4, 5, 6, 7], 'no loss, no duplicate');
  assert.equal(await sub.lag(), { events: 0, ageMs: 0 });
  await kit.terminate();
});

test('consumer group: each event to exactly one member; one key to one member, in order', async () => {
  const { kit, orders } = setup();
  const byMember: Record<string, Order[]> = { m1: [], m2: [], m3: [] };
  for (const id of Object.keys(byMember)) orders.subscribe((e) => { byMember[id].push(e.data); }, { group: 'inventory' });
  await kit.advance(50);
  await publishAll(orders, 1, 60, (n) => `key-${n % 12}`);
  assert.ok(await kit.runUntil(() => Object.values(byMember).flat().length === 60, 10_000));
  const all = Object.values(byMember).flat().map((o) => o.n).sort((x, y) => x - y);
  assert.equal(all, Array.from({ length: 60 }, (_, i) => i + 1), 'every event exactly once in the group');
  assert.ok(Object.values(byMember).filter((l) => l.length > 0).length >= 2, 'the work is spread');
  for (const list of Object.values(byMember)) {
    const byKey = new Map<number, number[]>();
    for (const o of list) byKey.set(o.n % 12, [...(byKey.get(o.n % 12) ?? []), o.n]);
    for (const ns of byKey.values()) assert.equal(ns, [...ns].sort((x, y) => x - y), 'per-key order');
  }
  const owners = new Map<number, string>();
  for (const [m, list] of Object.entries(byMember)) for (const o of list) {
    const k = o.n % 12;
    assert.ok(owners.get(k) === undefined || owners.get(k) === m, `key ${k} went to one member`);
    owners.set(k, m);
  }
  await kit.terminate();
});

test('rebalance: a member that leaves hands its partitions over; its unacknowledged events go to the survivor, per-key order kept', async () => {
  const { kit, orders } = setup();
  const a: Order[] = [], b: Order[] = [];
  let stuck = true;
  const subA = orders.subscribe(async (e) => { a.push(e.data); if (stuck) await new Promise(() => undefined); }, { group: 'g', ackTimeoutMs: 60_000 });
  orders.subscribe((e) => { b.push(e.data); }, { group: 'g' });
  await kit.advance(50);
  await publishAll(orders, 1, 40, (n) => `k${n % 8}`);
  await kit.advance(500);
  assert.is(a.length, 1, 'member a is stuck on its first event');
  const stuckOn = a[0].n;
  stuck = false;
  subA.detach();
  assert.ok(await kit.runUntil(() => b.length >= 40 - (a.length - 1), 10_000));
  await kit.advance(2_000);
  const handled = new Set([...b.map((o) => o.n)]);
  for (let n = 1; n <= 40; n++) assert.ok(handled.has(n) || a.some((o) => o.n === n && n !== stuckOn), `event ${n} handled`);
  assert.ok(b.some((o) => o.n === stuckOn), 'the event a never acknowledged went to b');
  const keyOf = (o: Order) => o.n % 8;
  const perKey = new Map<number, number[]>();
  for (const o of b) perKey.set(keyOf(o), [...(perKey.get(keyOf(o)) ?? []), o.n]);
  for (const ns of perKey.values()) assert.equal(ns, [...ns].sort((x, y) => x - y), 'per-key order at the new owner');
  await kit.terminate();
});

test('a member that joins later gets a share of the partitions and continues where the others committed', async () => {
  const { kit, orders } = setup();
  const a: number[] = [], b: number[] = [];
  orders.subscribe((e) => { a.push(e.data.n); }, { group: 'g' });
  await kit.advance(50);
  await publishAll(orders, 1, 20, (n) => `k${n}`);
  assert.ok(await kit.runUntil(() => a.length === 20, 5_000));
  const subB = orders.subscribe((e) => { b.push(e.data.n); }, { group: 'g' });
  await kit.advance(3_000);
  await publishAll(orders, 21, 60, (n) => `k${n}`);
  assert.ok(await kit.runUntil(() => a.length + b.length === 60, 10_000));
  assert.ok(b.length > 0 && b.every((n) => n > 20), `b only gets new events: ${b}`);
  assert.equal([...a, ...b].sort((x, y) => x - y), Array.from({ length: 60 }, (_, i) => i + 1));
  const status = await subB.status();
  assert.ok(status.owned.length > 0 && status.owned.length < 8, `b owns some partitions: ${status.owned.length}`);
  await kit.terminate();
});

test('at-least-once: a failing handler is retried with backoff, then the event goes to the durable dead-letter stream; others go on', async () => {
  const { kit, bus, orders } = setup();
  const attempts: number[] = [];
  const ok: number[] = [];
  orders.subscribe((e, info) => {
    if (e.data.n === 2) { attempts.push(info.attempt); throw new Error('payment service down'); }
    ok.push(e.data.n);
  }, { id: 'billing', maxAttempts: 3 });
  await publishAll(orders, 1, 3, (n) => `k${n}`);
  await kit.advance(10_000);
  assert.equal(attempts, [1, 2, 3]);
  assert.equal(ok.sort(), [1, 3]);
  const dead = await bus.deadLetters<Order>('orders', 'billing');
  assert.equal(dead.map((d) => [d.event.data.n, d.error, d.attempts, d.consumer]), [[2, 'payment service down', 3, 'billing']]);
  await kit.terminate();
});

test('dead letters are replayed to their consumer only, and purged', async () => {
  const { kit, bus, orders } = setup();
  let failing = true;
  const billing: number[] = [], audit: number[] = [];
  orders.subscribe((e) => { if (failing && e.data.n === 1) throw new Error('down'); billing.push(e.data.n); }, { id: 'billing', maxAttempts: 1 });
  orders.subscribe((e) => { audit.push(e.data.n); }, { id: 'audit' });
  await publishAll(orders, 1, 2);
  await kit.advance(1_000);
  assert.equal(billing, [2]);
  failing = false;
  assert.is(await bus.replayDeadLetters('orders', 'billing'), 1);
  assert.ok(await kit.runUntil(() => billing.length === 2, 5_000));
  assert.equal(billing, [2, 1]);
  await kit.advance(1_000);
  assert.equal(audit, [1, 2], 'the replay is not delivered to other consumers');
  assert.equal(await bus.deadLetters('orders', 'billing'), []);
  orders.subscribe(() => { throw new Error('always'); }, { id: 'broken', maxAttempts: 1 });
  await kit.advance(1_000);
  assert.is((await bus.deadLetters('orders', 'broken')).length, 2, 'the replayed copy is not for it');
  assert.is(await bus.purgeDeadLetters('orders', 'broken', (d) => d.event.offset <= 1), 1);
  assert.is((await bus.deadLetters('orders', 'broken')).length, 1);
  await kit.terminate();
});

test('a poison event under default settings goes to the dead letters; the consumer and the system keep serving', async () => {
  const { kit, bus, orders } = setup();
  const ok: number[] = [];
  orders.subscribe((e) => { if (e.data.n === 1) throw new Error('poison'); ok.push(e.data.n); }, { group: 'g' });
  await publishAll(orders, 1, 3, () => 'same-key');
  await kit.advance(60_000);
  assert.equal(ok, [2, 3], 'the key is not blocked for ever');
  assert.is((await bus.deadLetters('orders', 'g')).length, 1);
  assert.not.ok(kit.isTerminated);
  await kit.terminate();
});

test('filter: events it refuses are acknowledged unhandled; a throwing filter counts as a failed delivery', async () => {
  const { kit, bus, orders } = setup();
  const big: number[] = [];
  orders.subscribe((e) => { big.push(e.data.n); }, { id: 'big', filter: (e) => e.data.n >= 3 });
  orders.subscribe(() => undefined, { id: 'picky', maxAttempts: 1, filter: (e) => { if (e.data.n === 2) throw new Error('bad filter'); return true; } });
  await publishAll(orders, 1, 4);
  await kit.advance(1_000);
  assert.equal(big, [3, 4]);
  assert.equal((await bus.deadLetters<Order>('orders', 'picky')).map((d) => [d.event.data.n, d.error]), [[2, 'filter threw: bad filter']]);
  await kit.terminate();
});

test('a handler actor acks and nacks; an unacknowledged delivery times out and is redelivered', async () => {
  const { kit, orders } = setup();
  const seen: [number, number][] = [];
  const handler = kit.spawn(defineActor<Delivery<Order>, undefined>({
    name: 'h', init: () => undefined,
    receive: (_s, d) => {
      seen.push([d.event.data.n, d.attempt]);
      if (d.event.data.n === 1 && d.attempt === 1) return; // never answered: times out
      if (d.event.data.n === 2 && d.attempt === 1) { nack(d, 'try again'); return; }
      ack(d);
    },
  }), 'handler');
  orders.subscribe(handler as ActorRef<Delivery<Order>>, { id: 'h', ackTimeoutMs: 1_000, maxUnacked: 10 });
  await publishAll(orders, 1, 3, (n) => `k${n}`);
  await kit.advance(5_000);
  assert.equal(seen.filter(([n]) => n === 1).map(([, a]) => a), [1, 2]);
  assert.equal(seen.filter(([n]) => n === 2).map(([, a]) => a), [1, 2]);
  assert.equal(seen.filter(([n]) => n === 3).map(([, a]) => a), [1]);
  await kit.terminate();
});

test('high priority events overtake normal ones of other partitions already read ahead; a partition keeps its order', async () => {
  const { kit, orders } = setup();
  const seen: string[] = [];
  let release: () => void = () => undefined;
  // Keys in three different partitions: the blocker's, the normal events', the urgent one's.
  const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
  const blockKey = keys[0];
  const normalKey = keys.find((k) => partitionOf(k, '', 8) !== partitionOf(blockKey, '', 8))!;
  const urgent = keys.find((k) => ![blockKey, normalKey].some((o) => partitionOf(o, '', 8) === partitionOf(k, '', 8)))!;
  orders.subscribe(async (e) => { seen.push(e.data.orderId); if (e.data.orderId === 'block') await new Promise<void>((r) => { release = r; }); }, { id: 'p' });
  await orders.publish({ orderId: 'block', n: 0 }, { key: blockKey });
  await kit.advance(10);
  for (let n = 1; n <= 3; n++) await orders.publish({ orderId: `normal-${n}`, n }, { key: normalKey });
  await orders.publish({ orderId: 'urgent', n: 9 }, { priority: 'high', key: urgent });
  await orders.publish({ orderId: 'after-block', n: 10 }, { priority: 'high', key: blockKey });
  await kit.advance(10);
  release();
  assert.ok(await kit.runUntil(() => seen.length === 6, 5_000));
  assert.equal(seen, ['block', 'urgent', 'after-block', 'normal-1', 'normal-2', 'normal-3']);
  await kit.terminate();
});

test('at-most-once: a failure is not retried', async () => {
  const { kit, bus, orders } = setup();
  const calls: number[] = [];
  orders.subscribe((e) => { calls.push(e.data.n); throw new Error('x'); }, { guarantee: 'at-most-once' });
  await kit.runUntilIdle();
  await publishAll(orders, 1, 2);
  await kit.advance(5_000);
  assert.equal(calls, [1, 2]);
  await kit.terminate();
  void bus;
});

test('typed topics: the registry validates on publish and upcasts on read; an unreadable record is dead-lettered', async () => {
  const kit = createTestSystem({ seed: 1 });
  const registry = createMessageRegistry();
  registry.define('order-placed', { version: 2, validate: (p) => typeof (p as { total?: unknown }).total === 'number' || 'total must be a number', upcasters: { 1: (p) => ({ ...(p as object), total: (p as { amount: number }).amount }) } });
  const backend = createMemoryLogBackend({ clock: kit.clock, ids: kit.ids });
  const bus = createEventBus(kit, { backend, registry });
  const placed = bus.topic<{ total: number }>('placed', { messageType: 'order-placed' });
  const e1 = await errorOf(placed.publish({ total: 'x' as unknown as number }));
  assert.is(e1.code, 'schema-invalid');
  await placed.publish({ total: 5 });
  await backend.local.append('placed', [{ id: 'old', partition: 0, type: 'order-placed', schemaVersion: 1, data: { amount: 7 }, publishedAtMs: 0 }]);
  await backend.local.append('placed', [{ id: 'future', partition: 0, type: 'order-placed', schemaVersion: 9, data: {}, publishedAtMs: 0 }]);
  const totals: number[] = [];
  placed.subscribe((e) => { totals.push(e.data.total); }, { id: 'c' });
  await kit.advance(1_000);
  assert.equal(totals, [5, 7]);
  const dead = await bus.deadLetters('placed', 'c');
  assert.equal(dead.map((d) => [d.event.id, d.attempts]), [['future', 5]]);
  assert.match(dead[0].error, /cannot decode/);
  assert.is((await errorOf(() => bus.topic('x', { messageType: 'nope' }))).code, 'unknown-message-type');
  await kit.terminate();
});

test('bad names and options are refused with invalid-argument, nothing stored', async () => {
  const { kit, bus, orders } = setup();
  for (const bad of ['', 'a b', '-x', 'x::y', 'a'.repeat(101)]) assert.is((await errorOf(() => bus.topic(bad))).code, 'invalid-argument', bad);
  assert.is((await errorOf(() => orders.subscribe(() => undefined, { group: 'a b' }))).code, 'invalid-argument');
  assert.is((await errorOf(() => orders.subscribe(() => undefined, { id: 'x', group: 'y' }))).code, 'invalid-argument');
  assert.is((await errorOf(() => orders.subscribe(() => undefined, { maxAttempts: 0 }))).code, 'invalid-argument');
  assert.is((await errorOf(() => orders.subscribe(() => undefined, { startAt: 'middle' as never }))).code, 'invalid-argument');
  assert.is((await errorOf(orders.publish({ orderId: 'x', n: 1 }, { priority: 'urgent' as never }))).code, 'invalid-argument');
  assert.is((await errorOf(orders.publish({ orderId: 'x', n: 1 }, { headers: { 'troupe-x': 'y' } }))).code, 'invalid-argument');
  assert.is((await errorOf(orders.publish({ orderId: 'x', n: 1, f: () => 1 } as never))).code, 'schema-invalid');
  assert.equal(await orders.stats(), { local: { first: 1, last: 0 } });
  await kit.terminate();
});

test('publishBatch is one append; lag counts events not yet handled and the age of the oldest', async () => {
  const { kit, orders } = setup();
  const receipts = await orders.publishBatch([1, 2, 3].map((n) => ({ data: { orderId: `o${n}`, n }, options: { key: `k${n}` } })));
  assert.equal(receipts.map((r) => r.offset), [1, 2, 3]);
  await kit.advance(1_000);
  let release: () => void = () => undefined;
  const sub = orders.subscribe(async () => { await new Promise<void>((r) => { release = r; }); }, { id: 'slow' });
  await kit.advance(100);
  const lag = await sub.lag();
  assert.is(lag.events, 3);
  assert.ok(lag.ageMs >= 1_000, `age ${lag.ageMs}`);
  release();
  await kit.terminate();
});

test('idempotent() with a durable store: a redelivered or replayed event is handled once, across a restart of the consumer', async () => {
  const { kit, orders } = setup();
  const journal = createMemoryJournal({ clock: kit.clock, ids: kit.ids });
  const effects: number[] = [];
  const handle = (e: BusEvent<Order>) => { effects.push(e.data.n); };
  let sub = orders.subscribe(idempotent(handle, { store: createJournalIdempotencyStore({ journal, name: 'ship' }) }), { id: 'ship' });
  await orders.publish({ orderId: 'o1', n: 1 }, { id: 'evt-1' });
  await kit.advance(500);
  sub.detach();
  await kit.advance(10);
  await orders.publish({ orderId: 'o1', n: 1 }, { id: 'evt-1' }); // a publisher retrying with the same id
  sub = orders.subscribe(idempotent(handle, { store: createJournalIdempotencyStore({ journal, name: 'ship' }) }), { id: 'ship' });
  await kit.advance(500);
  assert.equal(effects, [1]);
  await kit.terminate();
});

test('rxjs: events$ is a subscription per observer; publishFrom publishes every value in order', async () => {
  const { kit, bus } = setup();
  const ticks = bus.topic<number>('ticks');
  const firstTwo = lastValueFrom(ticks.events$().pipe(take(2), toArray()));
  await kit.runUntilIdle();
  ticks.publishFrom(of(1, 2, 3), { options: (v) => ({ key: `k${v}` }) });
  await kit.advance(100);
  const got: number[] = [];
  ticks.subscribe((e) => { got.push(e.data); }, { id: 'x' });
  await kit.advance(1_000);
  assert.equal(got, [1, 2, 3]);
  const two = await firstTwo;
  assert.equal(two.map((e) => e.data), [1, 2]);
  await kit.terminate();
});

test.run();
