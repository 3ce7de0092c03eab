// Sample 06 — an event-driven shop on embedded defaults (a file journal in a temp folder).
// Teaches: event-sourced services (orders, inventory) whose replies mean "durable", a plain
// payments actor, an order saga (reserve stock → charge → confirm, compensating on failure), a
// topic derived from the orders' own journal stream (the transactional outbox with no second
// write: an order event is on the topic the moment it is stored), a read model of order
// summaries, and a durable notification consumer that is stopped for a while and resumes after
// the last event it acknowledged.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  assertNever, createEventBus, createFileJournal, createFileLogBackend, createMemoryProjectionStore, createProjection, createSystem, defineActor,
  defineEventSourced, defineSaga, reject, startSaga, wallClockMs, withAppendHints,
  type ActorRef, type BusEvent, type CommandResult, type Journal, type SagaStepContext,
} from '../runtime/index.ts';

// ---- inventory: event-sourced stock with reservations per order -----------------------------
type Reservation = { readonly sku: string; readonly qty: number };
type Stock = { readonly onHand: Readonly<Record<string, number>>; readonly reserved: Readonly<Record<string, Reservation>> };
type InventoryCmd =
  | { type: 'reserve'; orderId: string; sku: string; qty: number; replyTo: ActorRef<CommandResult<Stock, undefined>> }
  | { type: 'release'; orderId: string; replyTo: ActorRef<CommandResult<Stock, undefined>> };
type InventoryEvt = { type: 'stock-reserved'; orderId: string; sku: string; qty: number } | { type: 'stock-released'; orderId: string };

const inventory = (journal: Journal) => defineEventSourced<InventoryCmd, InventoryEvt, Stock>({
  name: 'inventory',
  journal,
  streamOf: () => 'inventory',
  initialState: { onHand: { 'sku-1': 6 }, reserved: {} },
  decide: (s, c) => {
    switch (c.type) {
      case 'reserve':
        if (s.reserved[c.orderId]) return []; // retried by the saga: already done
        if ((s.onHand[c.sku] ?? 0) < c.qty) return reject(`only ${s.onHand[c.sku] ?? 0} × ${c.sku} left`);
        return [{ type: 'stock-reserved', orderId: c.orderId, sku: c.sku, qty: c.qty }];
      case 'release':
        return s.reserved[c.orderId] ? [{ type: 'stock-released', orderId: c.orderId }] : [];
      default: return assertNever(c);
    }
  },
  apply: (s, e) => {
    switch (e.type) {
      case 'stock-reserved':
        return { onHand: { ...s.onHand, [e.sku]: s.onHand[e.sku] - e.qty }, reserved: { ...s.reserved, [e.orderId]: { sku: e.sku, qty: e.qty } } };
      case 'stock-released': {
        const r = s.reserved[e.orderId];
        const { [e.orderId]: _gone, ...rest } = s.reserved;
        return { onHand: { ...s.onHand, [r.sku]: s.onHand[r.sku] + r.qty }, reserved: rest };
      }
      default: return assertNever(e);
    }
  },
});

// ---- orders: event-sourced order records --------------------------------------------------------
type Order = { readonly sku: string; readonly qty: number; readonly card: string; readonly status: 'placed' | 'confirmed' | 'cancelled' };
type Orders = Readonly<Record<string, Order>>;
type OrdersCmd =
  | { type: 'place'; orderId: string; sku: string; qty: number; card: string; replyTo: ActorRef<CommandResult<Orders, undefined>> }
  | { type: 'confirm' | 'cancel'; orderId: string; reason?: string; replyTo: ActorRef<CommandResult<Orders, undefined>> };
export type OrderEvt =
  | { type: 'order-placed'; orderId: string; sku: string; qty: number; card: string }
  | { type: 'order-confirmed'; orderId: string }
  | { type: 'order-cancelled'; orderId: string; reason: string };

const orders = (journal: Journal) => defineEventSourced<OrdersCmd, OrderEvt, Orders>({
  name: 'orders',
  journal,
  streamOf: () => 'orders',
  initialState: {},
  decide: (s, c) => {
    switch (c.type) {
      case 'place': return s[c.orderId] ? reject(`order ${c.orderId} exists`) : [{ type: 'order-placed', orderId: c.orderId, sku: c.sku, qty: c.qty, card: c.card }];
      case 'confirm': return s[c.orderId]?.status === 'placed' ? [{ type: 'order-confirmed', orderId: c.orderId }] : [];
      case 'cancel': return s[c.orderId]?.status === 'placed' ? [{ type: 'order-cancelled', orderId: c.orderId, reason: c.reason ?? 'cancelled' }] : [];
      default: return assertNever(c);
    }
  },
  apply: (s, e) => {
    switch (e.type) {
      case 'order-placed': return { ...s, [e.orderId]: { sku: e.sku, qty: e.qty, card: e.card, status: 'placed' } };
      case 'order-confirmed': return { ...s, [e.orderId]: { ...s[e.orderId], status: 'confirmed' } };
      case 'order-cancelled': return { ...s, [e.orderId]: { ...s[e.orderId], status: 'cancelled' } };
      default: return assertNever(e);
    }
  },
});

// ---- payments: a plain actor; the card 'declined' is declined ---------------------------------
type PaymentsMsg =
  | { type: 'charge'; orderId: string; card: string; cents: number; replyTo: ActorRef<{ ok: boolean; reason?: string }> }
  | { type: 'refund'; orderId: string; replyTo: ActorRef<{ ok: boolean }> };
const payments = defineActor<PaymentsMsg, Readonly<Record<string, number>>>({
  name: 'payments',
  init: () => ({}),
  receive: (charged, m) => {
    switch (m.type) {
      case 'charge':
        if (m.card === 'declined') { m.replyTo.tell({ ok: false, reason: 'card declined' }); return charged; }
        m.replyTo.tell({ ok: true });
        return { ...charged, [m.orderId]: m.cents };
      case 'refund': {
        const { [m.orderId]: _refunded, ...rest } = charged;
        m.replyTo.tell({ ok: true });
        return rest;
      }
      default: return assertNever(m);
    }
  },
});

// ---- the order saga ----------------------------------------------------------------------------
type OrderInput = { orderId: string; sku: string; qty: number; card: string };
type Ctx = SagaStepContext<OrderInput, Record<string, unknown>>;
const ok = <S>(r: CommandResult<S, undefined>): void => { if (!r.ok) throw new Error(r.error.message); };

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-shop-'));
  const system = createSystem({ name: 'shop' });
  const journal = withAppendHints(await createFileJournal({ dir, clock: { now: wallClockMs }, ids: system.ids }));
  // The bus keeps its logs in the same journal, and the topic 'orders' *is* the journal's 'orders' stream.
  const backend = await createFileLogBackend({ journal, name: system.node, derived: { orders: { streams: ['orders'] } } });
  const bus = createEventBus(system, { backend });
  const topic = bus.topic<OrderEvt>('orders');
  const inv = system.spawn(inventory(journal), 'inventory');
  const ord = system.spawn(orders(journal), 'orders');
  const pay = system.spawn(payments, 'payments');

  const order = defineSaga<OrderInput>({
    name: 'order',
    journal,
    steps: [
      {
        name: 'reserve',
        action: async (c: Ctx) => ok(await inv.ask((replyTo) => ({ type: 'reserve', orderId: c.input.orderId, sku: c.input.sku, qty: c.input.qty, replyTo }))),
        compensate: async (c: Ctx) => ok(await inv.ask((replyTo) => ({ type: 'release', orderId: c.input.orderId, replyTo }))),
      },
      {
        name: 'charge',
        action: async (c: Ctx) => {
          const r = await pay.ask<{ ok: boolean; reason?: string }>((replyTo) => ({ type: 'charge', orderId: c.input.orderId, card: c.input.card, cents: c.input.qty * 1_000, replyTo }));
          if (!r.ok) throw new Error(r.reason);
        },
        compensate: async (c: Ctx) => { await pay.ask((replyTo) => ({ type: 'refund', orderId: c.input.orderId, replyTo })); },
      },
      { name: 'confirm', action: async (c: Ctx) => ok(await ord.ask((replyTo) => ({ type: 'confirm', orderId: c.input.orderId, replyTo }))) },
    ],
  });

  // The read model: one summary per order.
  const summaries = createMemoryProjectionStore<string>();
  const readModel = createProjection({
    system, journal, name: 'order-summaries', store: summaries,
    filter: (e) => e.stream === 'orders',
    handle: (e, tx) => {
      const evt = e.data as OrderEvt;
      if (evt.type === 'order-placed') tx.set(evt.orderId, `${evt.qty} × ${evt.sku}, ${(evt.qty * 10).toFixed(2)} EUR, placed`);
      else tx.set(evt.orderId, (tx.get(evt.orderId) ?? '').replace(/[a-z]+$/, evt.type === 'order-confirmed' ? 'confirmed' : `cancelled (${evt.reason})`));
    },
  });
  // Notifications: a durable at-least-once subscriber.
  const emails: string[] = [];
  const notify = (e: BusEvent<OrderEvt>): void => {
    const d = e.data;
    emails.push(`email: order ${d.orderId} ${d.type === 'order-placed' ? 'received' : d.type === 'order-confirmed' ? 'confirmed' : `cancelled: ${d.reason}`}`);
  };
  let notifications = topic.subscribe(notify, { id: 'notifications' });
  const flushEmails = async (count: number): Promise<void> => {
    for (let i = 0; i < 500 && emails.length < count; i++) await new Promise((r) => setTimeout(r, 10));
    for (const line of emails.splice(0)) log(`  ${line}`);
  };

  const placeAndRun = async (orderId: string, qty: number, card: string): Promise<void> => {
    ok(await ord.ask<CommandResult<Orders, undefined>>((replyTo) => ({ type: 'place', orderId, sku: 'sku-1', qty, card, replyTo })));
    const outcome = await startSaga(system, order, { sagaId: orderId, input: { orderId, sku: 'sku-1', qty, card } }).outcome;
    if (outcome.status !== 'completed') {
      await ord.ask((replyTo) => ({ type: 'cancel', orderId, reason: outcome.failure.message, replyTo }));
      log(`order ${orderId}: ${outcome.status} at ${outcome.failure.step} (${outcome.failure.message}); compensated [${outcome.compensated.join(', ')}]`);
    } else {
      log(`order ${orderId}: completed`);
    }
  };

  try {
    await placeAndRun('o1', 2, 'visa');
    await placeAndRun('o2', 1, 'declined');
    await flushEmails(4);
    notifications.detach();
    log('notification service stopped');
    await placeAndRun('o3', 3, 'visa');
    await placeAndRun('o4', 5, 'visa');
    log('notification service back: it catches up');
    notifications = topic.subscribe(notify, { id: 'notifications' });
    await flushEmails(4);
    for (let i = 0; i < 500 && (await readModel.lag()) > 0; i++) await new Promise((r) => setTimeout(r, 10));
    log('order summaries (read model):');
    for (const id of ['o1', 'o2', 'o3', 'o4']) log(`  ${id}: ${summaries.get(id)}`);
    const stock = await inv.ask<CommandResult<Stock, undefined>>((replyTo) => ({ type: 'release', orderId: 'none', replyTo }));
    if (stock.ok) log(`stock of sku-1: ${stock.state.onHand['sku-1']}`);
  } finally {
    notifications.unsubscribe();
    await bus.close();
    await system.terminate();
    await backend.close();
    await journal.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
order o1: completed
order o2: failed at charge (card declined); compensated [reserve]
  email: order o1 received
  email: order o1 confirmed
  email: order o2 received
  email: order o2 cancelled: card declined
notification service stopped
order o3: completed
order o4: failed at reserve (only 1 × sku-1 left); compensated []
notification service back: it catches up
  email: order o3 received
  email: order o3 confirmed
  email: order o4 received
  email: order o4 cancelled: only 1 × sku-1 left
order summaries (read model):
  o1: 2 × sku-1, 20.00 EUR, confirmed
  o2: 1 × sku-1, 10.00 EUR, cancelled (card declined)
  o3: 3 × sku-1, 30.00 EUR, confirmed
  o4: 5 × sku-1, 50.00 EUR, cancelled (only 1 × sku-1 left)
stock of sku-1: 1
*/
