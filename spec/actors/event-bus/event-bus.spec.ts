import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type TroupeError } from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing.ts';
import { ack, createEventBus, type BusEvent, type Delivery } from '../../../actors/event-bus/index.ts';

type Order = { orderId: string; n: number };

function setup(seed = 1) {
  const kit = createTestSystem({ seed });
  const bus = createEventBus(kit);
  return { kit, bus, orders: bus.topic<Order>('orders') };
}

const sleep = (kit: TestSystem, ms: number) => new Promise<void>((r) => kit.scheduler.startTimer(ms, r));

/** A handler actor that records deliveries and acks them unless told not to. */
function recorder(seen: Delivery<Order>[], autoAck = true) {
  return defineActor<Delivery<Order>, undefined>({
    name: 'recorder',
    init: () => undefined,
    receive: (_s, d) => { seen.push(d); if (autoAck) ack(d); },
  });
}

const test = suite('event-bus');

test('broadcast: every subscriber gets every event, in publish order, stamped with id, sequence, clock and origin', async () => {
  const { kit, orders } = setup();
  const a: BusEvent<Order>[] = [];
  const b: BusEvent<Order>[] = [];
  orders.subscribe((e) => { a.push(e); });
  orders.subscribe((e) => { b.push(e); });
  const receipts = [];
  for (let n = 1; n <= 3; n++) {
    receipts.push(orders.publish({ orderId: `o${n}`, n }, n === 2 ? { id: 'given-id' } : {}));
    await kit.advance(10);
  }
  const r = await Promise.all(receipts);
  assert.equal(a.map((e) => e.data.n), [1, 2, 3]);
  assert.equal(b.map((e) => e.data.n), [1, 2, 3]);
  assert.equal(a.map((e) => e.sequence), [1, 2, 3]);
  assert.equal(a.map((e) => e.publishedAtMs), [0, 10, 20], 'timestamps come from the system clock');
  assert.is(a[1].id, 'given-id');
  assert.is(new Set(a.map((e) => e.id)).size, 3);
  assert.equal(r.map((x) => [x.id, x.sequence, x.routedTo]), a.map((e) => [e.id, e.sequence, 2]));
  assert.is(a[0].origin, 'local');
  assert.is(a[0].topic, 'orders');
  await kit.terminate();
});

test('content filter: a subscriber only gets the events its filter accepts; a throwing filter dead-letters the event', async () => {
  const { kit, bus, orders } = setup();
  const big: number[] = [];
  orders.subscribe((e) => { big.push(e.data.n); }, { filter: (e) => e.data.n >= 3 });
  orders.subscribe(() => undefined, { id: 'picky', filter: (e) => { if (e.data.n === 2) throw new Error('bad filter'); return true; } });
  for (let n = 1; n <= 4; n++) void orders.publish({ orderId: `o${n}`, n });
  await kit.runUntilIdle();
  assert.equal(big, [3, 4]);
  const dead = await collect(kit, bus.deadLetters('orders'));
  assert.equal(dead.map((d) => [d.subscription, d.event.data, d.attempts, d.lastError]), [['picky', { orderId: 'o2', n: 2 }, 0, 'filter threw: bad filter']]);
  await kit.terminate();
});

test('consumer group: each event goes to exactly one member, balanced; a broadcast subscriber still gets all', async () => {
  const { kit, orders } = setup();
  const byMember: Record<string, number[]> = { m1: [], m2: [], m3: [] };
  for (const id of Object.keys(byMember)) orders.subscribe((e) => { byMember[id].push(e.data.n); }, { id, group: 'inventory' });
  const all: number[] = [];
  orders.subscribe((e) => { all.push(e.data.n); });
  for (let n = 1; n <= 30; n++) void orders.publish({ orderId: `o${n}`, n });
  await kit.runUntilIdle();
  const delivered = [...byMember.m1, ...byMember.m2, ...byMember.m3].sort((x, y) => x - y);
  assert.equal(delivered, Array.from({ length: 30 }, (_, i) => i + 1), 'every event exactly once in the group');
  assert.equal(Object.values(byMember).map((l) => l.length), [10, 10, 10]);
  assert.is(all.length, 30);
  await kit.terminate();
});

test('per-key ordering: events with the same key reach one group member in publish order, even with slow handlers', async () => {
  const { kit, orders } = setup();
  const seen: { member: string; key: string; n: number }[] = [];
  for (const member of ['m1', 'm2', 'm3']) {
    orders.subscribe(async (e) => {
      await sleep(kit, (e.data.n * 7) % 13); // uneven handler times
      seen.push({ member, key: e.key!, n: e.data.n });
    }, { id: member, group: 'payments', maxUnacked: 4 });
  }
  const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
  for (let n = 1; n <= 60; n++) void orders.publish({ orderId: keys[n % keys.length], n }, { key: keys[n % keys.length] });
  assert.ok(await kit.runUntil(() => seen.length === 60, 10_000));
  for (const key of keys) {
    const mine = seen.filter((s) => s.key === key);
    assert.is(new Set(mine.map((s) => s.member)).size, 1, `${key} stays on one member`);
    assert.equal(mine.map((s) => s.n), [...mine.map((s) => s.n)].sort((x, y) => x - y), `${key} in publish order`);
  }
  assert.ok(new Set(seen.map((s) => s.member)).size >= 2, 'keys are spread over several members');
  await kit.terminate();
});

test('priority: a high-priority event overtakes the normal events queued for a subscriber', async () => {
  const { kit, orders } = setup();
  const order: string[] = [];
  orders.subscribe(async (e) => { await sleep(kit, 100); order.push(e.data.orderId); }, { maxUnacked: 1 });
  for (const id of ['n1', 'n2', 'n3']) void orders.publish({ orderId: id, n: 0 });
  void orders.publish({ orderId: 'halt-sales', n: 0 }, { priority: 'high' });
  assert.ok(await kit.runUntil(() => order.length === 4, 5_000));
  assert.equal(order, ['n1', 'halt-sales', 'n2', 'n3']);
  await kit.terminate();
});

test('at-most-once is fire and forget; at-least-once redelivers a failed event', async () => {
  const { kit, orders } = setup();
  const attempts = { most: [] as number[], least: [] as number[] };
  orders.subscribe((_e, info) => { attempts.most.push(info.attempt); if (info.attempt === 1) throw new Error('down'); }, { guarantee: 'at-most-once' });
  orders.subscribe((_e, info) => { attempts.least.push(info.attempt); if (info.attempt === 1) throw new Error('down'); }, { guarantee: 'at-least-once' });
  void orders.publish({ orderId: 'o1', n: 1 });
  await kit.advance(60_000);
  assert.equal(attempts.most, [1]);
  assert.equal(attempts.least, [1, 2]);
  const stats = await collect(kit, orders.stats());
  assert.equal(stats.subscriptions.map((s) => s.unacked), [0, 0]);
  await kit.terminate();
});

test('backpressure: a full buffer shows in the receipt, then refuses publishes until whenWritable', async () => {
  const { kit, orders } = setup();
  const seen: Delivery<Order>[] = [];
  orders.subscribe(kit.spawn(recorder(seen, false), 'slow'), { id: 'slow', maxUnacked: 2, maxBuffered: 3, ackTimeoutMs: 60_000 });
  const receipts = [];
  for (let n = 1; n <= 5; n++) receipts.push(await collect(kit, orders.publish({ orderId: `o${n}`, n })));
  assert.equal(receipts.map((r) => r.backpressured), [[], [], [], [], ['slow']]);
  const refused = orders.publish({ orderId: 'o6', n: 6 });
  const error = await collect(kit, refused.then(() => undefined, (e: unknown) => e));
  assert.ok(isTroupeError(error, 'mailbox-full'), String(error));
  assert.equal((error as TroupeError).data, { topic: 'orders', subscriptions: ['slow'] });
  let writable = false;
  void orders.whenWritable().then(() => { writable = true; });
  await kit.runUntilIdle();
  assert.is(writable, false);
  ack(seen[0]);
  await kit.runUntilIdle();
  assert.is(writable, false, 'one ack leaves the buffer over half full (2 of 3)');
  ack(seen[1]);
  await kit.runUntilIdle();
  assert.is(writable, true, 'drained to half: publishers may resume');
  assert.equal(seen.map((d) => d.event.data.n), [1, 2, 3, 4]);
  const r6 = await collect(kit, orders.publish({ orderId: 'o6', n: 6 }));
  assert.is(r6.sequence, 6, 'the refused publish did not use a sequence number');
  await kit.terminate();
});

test('durable subscriber: stopped for a while, it gets every event it missed, in order, when it subscribes again', async () => {
  const { kit, orders } = setup();
  const seen: Delivery<Order>[] = [];
  const first = kit.spawn(recorder(seen), 'notifications-1');
  orders.subscribe(first, { id: 'notifications', durable: true });
  void orders.publish({ orderId: 'o1', n: 1 });
  await kit.runUntilIdle();
  kit.stop(first as ActorRef<never>);
  await kit.runUntilIdle();
  for (let n = 2; n <= 6; n++) void orders.publish({ orderId: `o${n}`, n });
  await kit.advance(30_000);
  const down = await collect(kit, orders.stats());
  assert.equal(down.subscriptions.map((s) => [s.id, s.attached, s.queued]), [['notifications', false, 5]]);
  const second = kit.spawn(recorder(seen), 'notifications-2');
  orders.subscribe(second, { id: 'notifications', durable: true });
  await kit.runUntilIdle();
  assert.equal(seen.map((d) => d.event.data.n), [1, 2, 3, 4, 5, 6]);
  const up = await collect(kit, orders.stats());
  assert.equal(up.subscriptions.map((s) => [s.attached, s.queued, s.unacked]), [[true, 0, 0]]);
  await kit.terminate();
});

test('durable subscriber detached while events are in flight gets them again on return', async () => {
  const { kit, orders } = setup();
  const got: number[] = [];
  const sub = orders.subscribe(async (e) => { await sleep(kit, 1_000); got.push(e.data.n); }, { id: 'mailer', durable: true });
  for (let n = 1; n <= 3; n++) void orders.publish({ orderId: `o${n}`, n });
  await kit.advance(10);
  sub.detach();
  await kit.advance(5_000);
  const before = got.length;
  orders.subscribe((e) => { got.push(e.data.n); }, { id: 'mailer', durable: true });
  await kit.advance(1_000);
  assert.is(before, 1, 'the first subscriber finished the event it was handling, then stopped');
  assert.equal(got, [1, 2, 3], 'the unacknowledged events came back, in order, nothing lost');
  await kit.terminate();
});

test('a stopped group member hands its unacknowledged events to the other members', async () => {
  const { kit, orders } = setup();
  const seenA: Delivery<Order>[] = [];
  const b: number[] = [];
  const a = kit.spawn(recorder(seenA, false), 'a');
  orders.subscribe(a, { id: 'a', group: 'g', ackTimeoutMs: 60_000 });
  orders.subscribe((e) => { b.push(e.data.n); }, { id: 'b', group: 'g' });
  for (let n = 1; n <= 4; n++) void orders.publish({ orderId: `o${n}`, n });
  await kit.runUntilIdle();
  assert.is(seenA.length, 2);
  kit.stop(a as ActorRef<never>);
  await kit.runUntilIdle();
  assert.equal(b.sort(), [1, 2, 3, 4]);
  await kit.terminate();
});

test('misuse fails at once with the fix: durable without an id, a bad topic name, a bad priority', async () => {
  const { kit, bus, orders } = setup();
  assert.throws(() => orders.subscribe(() => undefined, { durable: true }), (e: unknown) => isTroupeError(e, 'invalid-argument') && /stable id/.test((e as Error).message));
  assert.throws(() => bus.topic('bad topic'), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => orders.subscribe(() => undefined, { maxAttempts: 0 }), (e: unknown) => isTroupeError(e, 'invalid-argument') && /maxAttempts/.test((e as Error).message));
  const err = await orders.publish({ orderId: 'x', n: 0 }, { priority: 'urgent' as never }).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(err, 'invalid-argument'));
  await kit.terminate();
});

async function collect<T>(kit: TestSystem, p: Promise<T>): Promise<T> {
  await kit.runUntilIdle();
  return p;
}

test.run();
