// The shop on a simulated cluster, for the seed runner's specs and benchmark: node a runs the
// order sagas and publishes confirmations on the bus, b an event-sourced inventory, c event-sourced
// payments and a durable notification consumer; every node keeps its data on its simulated disk.

import { assertNever, createMessageRegistry, isTroupeError, type ActorRef, type ClusterNode } from '../../runtime/index.ts';
import { defineEventSourced, reject, type CommandResult } from '../../actors/event-sourced.ts';
import { defineSaga, resumeSagas, startSaga, type SagaDefinition, type SagaStep } from '../../actors/saga.ts';
import type { Journal } from '../../actors/journal/journal.ts';
import { registerReceptionistMessages } from '../../actors/receptionist.ts';
import { createEventBus, createMemoryLogBackend, registerEventBusMessages, type Topic } from '../../actors/streams/index.ts';
import { planFaults, type Invariant, type SeedRun, type SimCluster, type SimFault, type SimNodeStart } from '../../runtime/testing.ts';
import type { Random } from '../../runtime/random.ts';

export const INITIAL_STOCK = 1_000;

// ---- inventory (node b) and payments (node c): event-sourced, idempotent per order ------------
// A release or refund that arrives before the request it undoes (overtaken on the network, or
// retried) leaves a tombstone, so the late request is refused: without it, the seed runner finds
// failed orders still charged (the refund ran first, then the charge).
type Stock = { readonly onHand: number; readonly reserved: Readonly<Record<string, number>>; readonly released: Readonly<Record<string, true>> };
type InventoryCmd =
  | { type: 'reserve'; orderId: string; qty: number; replyTo?: ActorRef<CommandResult<Stock>> }
  | { type: 'release'; orderId: string; replyTo?: ActorRef<CommandResult<Stock>> };
type InventoryEvt = { type: 'reserved'; orderId: string; qty: number } | { type: 'released'; orderId: string };

type Ledger = { readonly charged: Readonly<Record<string, number>>; readonly refunded: Readonly<Record<string, true>> };
type PaymentsCmd =
  | { type: 'charge'; orderId: string; cents: number; card: string; replyTo?: ActorRef<CommandResult<Ledger>> }
  | { type: 'refund'; orderId: string; replyTo?: ActorRef<CommandResult<Ledger>> };
type PaymentsEvt = { type: 'charged'; orderId: string; cents: number } | { type: 'refunded'; orderId: string };

/** What the invariants look at: the latest state each service folded (updated as it applies events). */
export interface ShopViews {
  stock: Stock;
  ledger: Ledger;
}

const inventory = (journal: Journal, views: ShopViews) => defineEventSourced<InventoryCmd, InventoryEvt, Stock>({
  name: 'inventory', journal, streamOf: () => 'inventory', initialState: { onHand: INITIAL_STOCK, reserved: {}, released: {} },
  decide: (s, c) => {
    switch (c.type) {
      case 'reserve':
        if (s.reserved[c.orderId] !== undefined) return [];
        if (s.released[c.orderId]) return reject('released already');
        return s.onHand < c.qty ? reject(`only ${s.onHand} left`) : [{ type: 'reserved', orderId: c.orderId, qty: c.qty }];
      case 'release': return s.released[c.orderId] ? [] : [{ type: 'released', orderId: c.orderId }];
      default: return assertNever(c);
    }
  },
  apply: (s, e) => {
    let next: Stock;
    if (e.type === 'reserved') next = { ...s, onHand: s.onHand - e.qty, reserved: { ...s.reserved, [e.orderId]: e.qty } };
    else {
      const { [e.orderId]: qty, ...rest } = s.reserved;
      next = { onHand: s.onHand + (qty ?? 0), reserved: rest, released: { ...s.released, [e.orderId]: true } };
    }
    views.stock = next;
    return next;
  },
});

const payments = (journal: Journal, views: ShopViews) => defineEventSourced<PaymentsCmd, PaymentsEvt, Ledger>({
  name: 'payments', journal, streamOf: () => 'payments', initialState: { charged: {}, refunded: {} },
  decide: (s, c) => {
    switch (c.type) {
      case 'charge':
        if (s.charged[c.orderId] !== undefined) return [];
        if (s.refunded[c.orderId]) return reject('refunded already');
        return c.card === 'declined' ? reject('card declined') : [{ type: 'charged', orderId: c.orderId, cents: c.cents }];
      case 'refund': return s.refunded[c.orderId] ? [] : [{ type: 'refunded', orderId: c.orderId }];
      default: return assertNever(c);
    }
  },
  apply: (s, e) => {
    let next: Ledger;
    if (e.type === 'charged') next = { ...s, charged: { ...s.charged, [e.orderId]: e.cents } };
    else {
      const { [e.orderId]: _gone, ...rest } = s.charged;
      next = { charged: rest, refunded: { ...s.refunded, [e.orderId]: true } };
    }
    views.ledger = next;
    return next;
  },
});

// ---- the order saga (node a) ------------------------------------------------------------------
type OrderInput = { readonly orderId: string; readonly qty: number; readonly card: string };
type OrderEvent = { readonly orderId: string; readonly status: 'confirmed' };

const registry = () => registerReceptionistMessages(registerEventBusMessages(
  createMessageRegistry().define('reserve', { version: 1 }).define('release', { version: 1 }).define('charge', { version: 1 }).define('refund', { version: 1 }),
));

/** Finds (and caches) the live actor at `path` on `node`, looking it up again after a failure. */
function remote<M>(from: () => ClusterNode, node: string, path: string) {
  let cached: ActorRef<M> | undefined;
  return {
    async ask<R>(make: (replyTo: ActorRef<R>) => M, timeoutMs: number): Promise<R> {
      cached ??= await from().cluster.identify<M>(node, path, timeoutMs);
      if (cached === undefined) throw new Error(`${path} is not running on ${node}`);
      try {
        return await cached.ask<R>(make, { timeoutMs });
      } catch (e) {
        if (isTroupeError(e) && e.code !== 'ask-timeout') cached = undefined; // dead or unreachable: look it up again next time
        throw e;
      }
    },
  };
}

const ok = <S>(r: CommandResult<S>): void => { if (!r.ok) throw new Error(r.error.message); };

/** Options of {@link shopScenario}. */
export interface ShopOptions {
  /** Orders placed, one every 20 ms of virtual time (default 50). */
  readonly orders?: number;
  /** The planted bug: the reserve step is tried once and not compensated when its outcome is unknown (its reply lost). */
  readonly plantSkipCompensation?: boolean;
}

/** What a shop run ends with, for the invariants. */
export interface ShopResult {
  readonly placed: readonly string[];
  readonly outcomes: ReadonlyMap<string, 'completed' | 'failed' | 'compensation-failed'>;
  readonly notified: ReadonlySet<string>;
  readonly views: ShopViews;
}

/** The shop's fault schedule for a seed: one partition, one lossy link and one kill (of b or c, restarted) within the first second. */
export function shopFaults(random: Random): SimFault[] {
  return planFaults(random, { nodes: ['a', 'b', 'c'], partitions: 1, kills: 1, lossyLinks: 1, spare: ['a'], withinMs: 1_000, maxOutageMs: 800 });
}

/** The shop scenario: places orders through sagas under the run's faults, then waits for every saga and notification. */
export function shopScenario(options: ShopOptions = {}) {
  const orders = options.orders ?? 50;
  return async (run: SeedRun): Promise<ShopResult> => {
    const views: ShopViews = { stock: { onHand: INITIAL_STOCK, reserved: {}, released: {} }, ledger: { charged: {}, refunded: {} } };
    const outcomes = new Map<string, 'completed' | 'failed' | 'compensation-failed'>();
    const notified = new Set<string>();
    let sim!: SimCluster;
    let topic: Topic<OrderEvent> | undefined;
    const inv = remote<InventoryCmd>(() => sim.node('a'), 'b', '/user/inventory');
    const pay = remote<PaymentsCmd>(() => sim.node('a'), 'c', '/user/payments');
    // Compensations outlast a partition: a link cut while connecting comes back only after the
    // transport's handshake timeout (5 s), longer than the default compensationRetry (about 3 s).
    const compensationRetry = { attempts: 10, backoff: { minMs: 200, maxMs: 2_000 } };
    const reserve: SagaStep<OrderInput> = {
      name: 'reserve', timeoutMs: 600, retry: { attempts: 2 }, compensationRetry,
      action: async (x) => ok(await inv.ask<CommandResult<Stock>>((replyTo) => ({ type: 'reserve', orderId: x.input.orderId, qty: x.input.qty, replyTo }), 500)),
      compensate: async (x) => ok(await inv.ask<CommandResult<Stock>>((replyTo) => ({ type: 'release', orderId: x.input.orderId, replyTo }), 500)),
      ...(options.plantSkipCompensation ? { compensateFailed: 'never' as const, retry: { attempts: 1 } } : {}),
    };
    const saga = (journal: Journal): SagaDefinition<OrderInput> => defineSaga<OrderInput>({
      name: 'order', journal,
      onComplete: (o) => { outcomes.set(o.sagaId, 'completed'); },
      onFailed: (o) => { outcomes.set(o.sagaId, o.status); },
      steps: [
        reserve,
        {
          name: 'charge', timeoutMs: 600, retry: { attempts: 2 }, compensationRetry,
          action: async (x) => ok(await pay.ask<CommandResult<Ledger>>((replyTo) => ({ type: 'charge', orderId: x.input.orderId, cents: 100 * x.input.qty, card: x.input.card, replyTo }), 500)),
          compensate: async (x) => ok(await pay.ask<CommandResult<Ledger>>((replyTo) => ({ type: 'refund', orderId: x.input.orderId, replyTo }), 500)),
        },
        { name: 'confirm', action: async (x) => { await topic!.publish({ orderId: x.input.orderId, status: 'confirmed' }); } },
      ],
    });
    let orderSaga: SagaDefinition<OrderInput> | undefined;
    const boot = async ({ name, node, journal }: SimNodeStart): Promise<void> => {
      const backend = createMemoryLogBackend({ name, journal });
      const bus = createEventBus(node, { backend, pollMs: 100 });
      switch (name) {
        case 'a':
            topic = bus.topic<OrderEvent>('orders');
          orderSaga = saga(journal);
          await resumeSagas(node.system, orderSaga);
          return;
        case 'b': node.system.spawn(inventory(journal, views), 'inventory'); return;
        case 'c':
          node.system.spawn(payments(journal, views), 'payments');
          bus.topic<OrderEvent>('orders').subscribe((e) => { notified.add(e.data.orderId); }, { id: 'notify' });
          return;
      }
    };
    sim = await run.cluster({ nodes: ['a', 'b', 'c'], registry, network: { latencyMs: 2, jitterMs: 3 }, boot });
    run.always('stock is never negative', () => views.stock.onHand >= 0 || `on hand: ${views.stock.onHand}`);
    const placed: string[] = [];
    for (let i = 0; i < orders; i++) {
      const orderId = `o${i}`;
      placed.push(orderId);
      const card = run.random.next() < 0.1 ? 'declined' : 'visa';
      startSaga(sim.node('a').system, orderSaga!, { sagaId: orderId, input: { orderId, qty: 1 + run.random.int(3), card } });
      await sim.advance(20);
    }
    await sim.runUntil(() => outcomes.size === orders, 120_000);
    const confirmed = [...outcomes].filter(([, s]) => s === 'completed').map(([id]) => id);
    await sim.runUntil(() => confirmed.every((id) => notified.has(id)), 30_000);
    return { placed, outcomes, notified, views };
  };
}

/** What must hold after every shop run. */
export const shopInvariants: Readonly<Record<string, Invariant<ShopResult>>> = {
  'every saga ends': (r) => r.placed.every((id) => r.outcomes.has(id)) || `unfinished: ${r.placed.filter((id) => !r.outcomes.has(id)).join(', ')}`,
  'no compensation is left failed': (r) => [...r.outcomes.values()].every((s) => s !== 'compensation-failed') || 'a saga ended compensation-failed',
  'stock is conserved': (r) => {
    const reserved = Object.values(r.views.stock.reserved).reduce((a, b) => a + b, 0);
    return r.views.stock.onHand + reserved === INITIAL_STOCK || `on hand ${r.views.stock.onHand} + reserved ${reserved} ≠ ${INITIAL_STOCK}`;
  },
  'a completed order is reserved and charged': (r) => {
    const bad = [...r.outcomes].filter(([id, s]) => s === 'completed' && (r.views.stock.reserved[id] === undefined || r.views.ledger.charged[id] === undefined));
    return bad.length === 0 || `not reserved or not charged: ${bad.map(([id]) => id).join(', ')}`;
  },
  'a failed order holds no reservation and no charge': (r) => {
    const bad = [...r.outcomes].filter(([id, s]) => s === 'failed' && (r.views.stock.reserved[id] !== undefined || r.views.ledger.charged[id] !== undefined));
    return bad.length === 0 || `still held after the saga failed: ${bad.map(([id]) => `${id} (${r.views.stock.reserved[id] !== undefined ? 'reserved' : 'charged'})`).join(', ')}`;
  },
  'every completed order is notified': (r) => {
    const missing = [...r.outcomes].filter(([id, s]) => s === 'completed' && !r.notified.has(id));
    return missing.length === 0 || `not notified: ${missing.map(([id]) => id).join(', ')}`;
  },
};

export type { SimCluster };
