import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { filter, from, map, Subject, take } from 'rxjs';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createEventBus } from '../../../actors/event-bus/index.ts';

type Stock = { sku: string; qty: number };
const test = suite('rx');

test('events$ is an Observable of the topic; unsubscribing ends the bus subscription', async () => {
  const kit = createTestSystem();
  const stock = createEventBus(kit).topic<Stock>('stock');
  const low: string[] = [];
  const sub = stock.events$().pipe(filter((e) => e.data.qty < 5), map((e) => e.data.sku)).subscribe((sku) => low.push(sku));
  await kit.runUntilIdle();
  assert.is((await stock.stats()).subscriptions.length, 1);
  void stock.publish({ sku: 'a', qty: 1 });
  void stock.publish({ sku: 'b', qty: 9 });
  void stock.publish({ sku: 'c', qty: 3 });
  await kit.runUntilIdle();
  assert.equal(low, ['a', 'c']);
  sub.unsubscribe();
  await kit.runUntilIdle();
  assert.is((await stock.stats()).subscriptions.length, 0);
  void stock.publish({ sku: 'd', qty: 0 });
  await kit.runUntilIdle();
  assert.equal(low, ['a', 'c']);
  await kit.terminate();
});

test('events$ with take(n) completes and leaves no subscription behind', async () => {
  const kit = createTestSystem();
  const stock = createEventBus(kit).topic<Stock>('stock');
  let completed = false;
  const got: number[] = [];
  stock.events$({ guarantee: 'at-most-once' }).pipe(take(2)).subscribe({ next: (e) => got.push(e.data.qty), complete: () => { completed = true; } });
  await kit.runUntilIdle();
  for (let qty = 1; qty <= 3; qty++) void stock.publish({ sku: 's', qty });
  await kit.runUntilIdle();
  assert.equal([got, completed], [[1, 2], true]);
  assert.is((await stock.stats()).subscriptions.length, 0);
  await kit.terminate();
});

test('publishFrom publishes every value in order and returns an rxjs Subscription', async () => {
  const kit = createTestSystem();
  const stock = createEventBus(kit).topic<Stock>('stock');
  const got: string[] = [];
  stock.subscribe((e) => { got.push(`${e.data.sku}:${e.key}`); });
  const sub = stock.publishFrom(from([{ sku: 'a', qty: 1 }, { sku: 'b', qty: 2 }]), { options: (v) => ({ key: v.sku }) });
  assert.is(typeof sub.unsubscribe, 'function');
  await kit.runUntilIdle();
  assert.equal(got, ['a:a', 'b:b']);
  await kit.terminate();
});

test('publishFrom waits out backpressure: a slow subscriber still gets every value, in order', async () => {
  const kit = createTestSystem();
  const stock = createEventBus(kit).topic<Stock>('stock');
  const got: number[] = [];
  stock.subscribe(async (e) => {
    await new Promise<void>((r) => kit.scheduler.startTimer(50, r));
    got.push(e.data.qty);
  }, { maxUnacked: 1, maxBuffered: 2 });
  const source = new Subject<Stock>();
  stock.publishFrom(source);
  for (let qty = 1; qty <= 20; qty++) source.next({ sku: 's', qty });
  assert.ok(await kit.runUntil(() => got.length === 20, 10_000));
  assert.equal(got, Array.from({ length: 20 }, (_, i) => i + 1));
  await kit.terminate();
});

test.run();
