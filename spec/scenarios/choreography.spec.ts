// Choreography: orders, inventory and payments react to each other's events with no coordinator
// (the orchestrated alternative is actors/saga.ts). A tiny fan-out actor stands in for an event bus.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { assertNever, defineActor, type ActorRef } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

/** The events the services publish; each service keeps its own view of an order from them. */
type ShopEvent =
  | { readonly type: 'order-placed'; readonly orderId: string; readonly sku: string; readonly qty: number; readonly amount: number }
  | { readonly type: 'stock-reserved'; readonly orderId: string }
  | { readonly type: 'stock-unavailable'; readonly orderId: string }
  | { readonly type: 'payment-captured'; readonly orderId: string }
  | { readonly type: 'payment-failed'; readonly orderId: string; readonly reason: string }
  | { readonly type: 'stock-released'; readonly orderId: string };

// The fan-out: every published event goes to every subscriber, in publish order; `history` answers the log.
type BusMsg =
  | { readonly type: 'subscribe'; readonly ref: ActorRef<ShopEvent> }
  | { readonly type: 'publish'; readonly event: ShopEvent }
  | { readonly type: 'history'; readonly replyTo: ActorRef<string[]> };
const fanOut = defineActor<BusMsg, { subs: ActorRef<ShopEvent>[]; log: string[] }>({
  name: 'fan-out',
  init: () => ({ subs: [], log: [] }),
  receive: (s, m, ctx) => {
    switch (m.type) {
      case 'subscribe': return { ...s, subs: [...s.subs, m.ref] };
      case 'publish':
        for (const sub of s.subs) ctx.send(sub, m.event);
        return { ...s, log: [...s.log, `${m.event.type} ${m.event.orderId}`] };
      case 'history': ctx.send(m.replyTo, s.log); return s;
      default: return assertNever(m);
    }
  },
});

/** Each service subscribes its own ref (typed by its message union) when it starts. */
const subscribe = (bus: ActorRef<BusMsg>, self: ActorRef<never>): void => bus.tell({ type: 'subscribe', ref: self as unknown as ActorRef<ShopEvent> });

type OrderStatus = 'pending' | 'confirmed' | 'rejected' | 'cancelled';
type OrdersMsg =
  | ShopEvent
  | { readonly type: 'place'; readonly orderId: string; readonly sku: string; readonly qty: number; readonly amount: number }
  | { readonly type: 'status'; readonly orderId: string; readonly replyTo: ActorRef<OrderStatus | undefined> };
const orders = (bus: ActorRef<BusMsg>) => defineActor<OrdersMsg, ReadonlyMap<string, OrderStatus>>({
  name: 'orders',
  init: (ctx) => { subscribe(bus, ctx.self as ActorRef<never>); return new Map(); },
  receive: (s, m, ctx) => {
    const set = (id: string, st: OrderStatus) => new Map(s).set(id, st);
    switch (m.type) {
      case 'place':
        bus.tell({ type: 'publish', event: { type: 'order-placed', orderId: m.orderId, sku: m.sku, qty: m.qty, amount: m.amount } });
        return set(m.orderId, 'pending');
      case 'payment-captured': return set(m.orderId, 'confirmed');
      case 'stock-unavailable': return set(m.orderId, 'rejected');
      case 'payment-failed': return set(m.orderId, 'cancelled');
      case 'status': ctx.send(m.replyTo, s.get(m.orderId)); return s;
      case 'order-placed': case 'stock-reserved': case 'stock-released': return s;
      default: return assertNever(m);
    }
  },
});

interface Stock { readonly available: number; readonly sold: number; readonly held: ReadonlyMap<string, number> }
type InventoryMsg = ShopEvent | { readonly type: 'stock'; readonly replyTo: ActorRef<{ available: number; sold: number; held: number }> };
const inventory = (bus: ActorRef<BusMsg>, initial: number) => defineActor<InventoryMsg, Stock>({
  name: 'inventory',
  init: (ctx) => { subscribe(bus, ctx.self as ActorRef<never>); return { available: initial, sold: 0, held: new Map() }; },
  receive: (s, m, ctx) => {
    const publish = (event: ShopEvent) => bus.tell({ type: 'publish', event });
    switch (m.type) {
      case 'order-placed':
        if (m.qty > s.available) { publish({ type: 'stock-unavailable', orderId: m.orderId }); return s; }
        publish({ type: 'stock-reserved', orderId: m.orderId });
        return { ...s, available: s.available - m.qty, held: new Map(s.held).set(m.orderId, m.qty) };
      case 'payment-captured': {
        const held = new Map(s.held);
        held.delete(m.orderId);
        return { ...s, sold: s.sold + (s.held.get(m.orderId) ?? 0), held };
      }
      case 'payment-failed': {
        const qty = s.held.get(m.orderId);
        if (qty === undefined) return s;
        const held = new Map(s.held);
        held.delete(m.orderId);
        publish({ type: 'stock-released', orderId: m.orderId });
        return { ...s, available: s.available + qty, held };
      }
      case 'stock': ctx.send(m.replyTo, { available: s.available, sold: s.sold, held: s.held.size }); return s;
      case 'stock-reserved': case 'stock-unavailable': case 'stock-released': return s;
      default: return assertNever(m);
    }
  },
});

type PaymentsMsg = ShopEvent | { readonly type: 'captured'; readonly replyTo: ActorRef<string[]> };
/** Charges an order once its stock is reserved; declines amounts over `limit`. */
const payments = (bus: ActorRef<BusMsg>, limit: number) => defineActor<PaymentsMsg, { amounts: ReadonlyMap<string, number>; captured: string[] }>({
  name: 'payments',
  init: (ctx) => { subscribe(bus, ctx.self as ActorRef<never>); return { amounts: new Map(), captured: [] }; },
  receive: (s, m, ctx) => {
    switch (m.type) {
      case 'order-placed': return { ...s, amounts: new Map(s.amounts).set(m.orderId, m.amount) };
      case 'stock-reserved': {
        const amount = s.amounts.get(m.orderId) ?? 0;
        if (amount > limit) {
          bus.tell({ type: 'publish', event: { type: 'payment-failed', orderId: m.orderId, reason: `${amount} is over the limit of ${limit}` } });
          return s;
        }
        bus.tell({ type: 'publish', event: { type: 'payment-captured', orderId: m.orderId } });
        return { ...s, captured: [...s.captured, m.orderId] };
      }
      case 'captured': ctx.send(m.replyTo, s.captured); return s;
      case 'stock-unavailable': case 'payment-captured': case 'payment-failed': case 'stock-released': return s;
      default: return assertNever(m);
    }
  },
});

async function shop(stock: number, limit: number) {
  const kit = createTestSystem();
  const bus = kit.spawn(fanOut, 'bus');
  const refs = {
    orders: kit.spawn(orders(bus), 'orders'),
    inventory: kit.spawn(inventory(bus, stock), 'inventory'),
    payments: kit.spawn(payments(bus, limit), 'payments'),
  };
  await kit.runUntilIdle();
  const ask = async <R>(p: Promise<R>): Promise<R> => { await kit.runUntilIdle(); return p; };
  return {
    kit, ...refs,
    place: (orderId: string, qty: number, amount: number) => refs.orders.tell({ type: 'place', orderId, sku: 'mug', qty, amount }),
    status: (orderId: string) => ask(refs.orders.ask<OrderStatus | undefined>((replyTo) => ({ type: 'status', orderId, replyTo }))),
    stock: () => ask(refs.inventory.ask<{ available: number; sold: number; held: number }>((replyTo) => ({ type: 'stock', replyTo }))),
    captured: () => ask(refs.payments.ask<string[]>((replyTo) => ({ type: 'captured', replyTo }))),
    history: () => ask(bus.ask<string[]>((replyTo) => ({ type: 'history', replyTo }))),
  };
}

const test = suite('choreography');

test('success: order-placed → stock-reserved → payment-captured; the order is confirmed and the stock sold', async () => {
  const s = await shop(10, 100);
  s.place('o-1', 2, 50);
  await s.kit.runUntilIdle();
  assert.is(await s.status('o-1'), 'confirmed');
  assert.equal(await s.stock(), { available: 8, sold: 2, held: 0 });
  assert.equal(await s.captured(), ['o-1']);
  assert.equal(await s.history(), ['order-placed o-1', 'stock-reserved o-1', 'payment-captured o-1']);
  await s.kit.terminate();
});

test('payment failure: inventory reacts to payment-failed by releasing the stock; the order is cancelled', async () => {
  const s = await shop(10, 100);
  s.place('o-2', 3, 500);
  await s.kit.runUntilIdle();
  assert.is(await s.status('o-2'), 'cancelled');
  assert.equal(await s.stock(), { available: 10, sold: 0, held: 0 });
  assert.equal(await s.captured(), []);
  assert.equal(await s.history(), ['order-placed o-2', 'stock-reserved o-2', 'payment-failed o-2', 'stock-released o-2']);
  await s.kit.terminate();
});

test('competing orders: the one that finds no stock is rejected and never charged', async () => {
  const s = await shop(3, 100);
  s.place('o-3', 2, 20);
  s.place('o-4', 2, 20);
  await s.kit.runUntilIdle();
  assert.equal([await s.status('o-3'), await s.status('o-4')], ['confirmed', 'rejected']);
  assert.equal(await s.stock(), { available: 1, sold: 2, held: 0 });
  assert.equal(await s.captured(), ['o-3']);
  await s.kit.terminate();
});

test.run();
