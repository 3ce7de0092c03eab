// One request followed end to end on a simulated three-node cluster: tell → ask → reply → a
// remote node → a bus publish and its consumer → a third node → an event-sourced append read by a projection,
// all one trace with every span under the right parent; and a saga started in a trace, whose
// steps (and a resumed run of it) stay in that trace.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createMemoryJournal } from '../../actors/journal/memory-journal.ts';
import {
  createEventBus, createIdSource, createMemoryProjectionStore, createProjection, createSeededRandom, createSpanCollector, defineActor,
  defineEventSourced, defineSaga, renderTrace, resumeSagas, sagaStreamName, startSaga,
  type ActorRef, type CollectedSpan, type CommandResult, type SagaStepContext,
} from '../../runtime/index.ts';
import { createSimCluster, createTestSystem } from '../../runtime/testing.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';

const test = suite('a traced request across actors, nodes, the bus and the journal');

// ---- node a: the gateway and its pricing service -------------------------------------------------
type Quote = { type: 'quote'; sku: string; replyTo: ActorRef<number> };
const pricing = defineActor<Quote, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, m.sku.length * 10); } });

type Submit = { type: 'submit'; orderId: string; price: number };
type Place = { type: 'place'; orderId: string; sku: string };
const gateway = (prices: ActorRef<Quote>, desk: ActorRef<Submit>) => defineActor<Place, undefined>({
  init: () => undefined,
  receive: async (_s, m, ctx) => {
    const price = await ctx.ask<number, Quote>(prices, (replyTo) => ({ type: 'quote', sku: m.sku, replyTo }));
    ctx.send(desk, { type: 'submit', orderId: m.orderId, price });
  },
});

// ---- node b: the order desk, the order book (event-sourced), shipping -----------------------------
type BookCmd = { type: 'record'; orderId: string; price: number; replyTo?: ActorRef<CommandResult<number>> };
type BookEvt = { type: 'order-recorded'; orderId: string; price: number };
type Ship = { type: 'ship'; orderId: string };

test('one trace, parented hop by hop, printable as a tree', async () => {
  const collector = createSpanCollector();
  const registry = () => createMessageRegistry().define('submit', { version: 1 }).define('ship', { version: 1 });
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], registry, network: { latencyMs: 3 }, nodeOptions: { tracing: { collector } } });
  try {
    const a = sim.node('a').system;
    const b = sim.node('b').system;
    const journal = createMemoryJournal({ clock: b.clock, ids: createIdSource(createSeededRandom(3)) });
    const book = b.spawn(defineEventSourced<BookCmd, BookEvt, number>({
      journal, initialState: 0,
      decide: (_s, c) => [{ type: 'order-recorded', orderId: c.orderId, price: c.price }],
      apply: (s) => s + 1,
    }), 'book');
    const shipped: string[] = [];
    const onC = sim.node('c').system.spawn(defineActor<Ship, undefined>({ init: () => undefined, receive: (_s, m) => { shipped.push(m.orderId); } }), 'shipping');
    const shipping = sim.node('b').cluster.refFor<Ship>(String(onC));
    const bus = createEventBus(b);
    const orders = bus.topic<{ orderId: string; price: number }>('orders');
    orders.subscribe((e) => { shipping.tell({ type: 'ship', orderId: e.data.orderId }); }, { group: 'shipping' });
    const projected: string[] = [];
    const view = createProjection({
      system: b, journal, name: 'order-view', store: createMemoryProjectionStore<string>(),
      handle: (e, tx) => { tx.set((e.data as BookEvt).orderId, 'recorded'); projected.push((e.data as BookEvt).orderId); },
    });
    const desk = b.spawn(defineActor<Submit, undefined>({
      init: () => undefined,
      receive: async (_s, m, ctx) => {
        await orders.publish({ orderId: m.orderId, price: m.price }, { key: m.orderId });
        await ctx.ask<CommandResult<number>, BookCmd>(book, (replyTo) => ({ type: 'record', orderId: m.orderId, price: m.price, replyTo }));
      },
    }), 'desk');

    const prices = a.spawn(pricing, 'pricing');
    const front = a.spawn(gateway(prices, sim.node('a').cluster.refFor<Submit>(String(desk))), 'gateway');
    a.tracing!.inSpan('POST /orders', () => front.tell({ type: 'place', orderId: 'o-1', sku: 'book' }), { kind: 'server' });
    assert.ok(await sim.runUntil(() => shipped.length === 1 && projected.length === 1, 5_000), 'the request went all the way');
    await sim.runUntilIdle();

    const traces = collector.traces();
    assert.is(traces.length, 1, `one trace, got:\n${traces.map((t) => renderTrace(collector.trace(t.traceId))).join('\n')}`);
    const spans = collector.trace(traces[0].traceId);
    const tree = renderTrace(spans);
    const find = (name: string, where?: string): CollectedSpan => {
      const s = spans.find((x) => x.name === name && (where === undefined || x.attributes['troupe.actor.path'] === where || x.attributes['troupe.node'] === where));
      assert.ok(s, `no span ${name}${where ? ` @ ${where}` : ''} in\n${tree}`);
      return s!;
    };
    const under = (child: CollectedSpan, parent: CollectedSpan): void => assert.is(child.parentSpanId, parent.spanId, `${child.name} under ${parent.name}\n${tree}`);
    const root = find('POST /orders');
    const place = find('process place');
    const ask = find('ask quote');
    const quote = find('process quote');
    const send = find('send submit');
    const submit = find('process submit');
    const publish = find('publish orders');
    const consume = find('process orders');
    const sendShip = find('send ship');
    const ship = find('process ship');
    const askBook = find('ask record');
    const record = find('process record');
    const append = find('journal append');
    const project = find('project order-view');
    under(place, root); under(ask, place); under(quote, ask); under(send, place); under(submit, send);
    under(publish, submit); under(consume, publish); under(sendShip, consume); under(ship, sendShip);
    under(askBook, submit); under(record, askBook); under(append, record); under(project, append);
    assert.equal([send.attributes['troupe.node'], submit.attributes['troupe.node'], ship.attributes['troupe.node']], ['a', 'b', 'c'], 'the hops crossed nodes');
    assert.equal([publish.kind, consume.kind, consume.attributes['messaging.destination.name'], consume.attributes['messaging.consumer.group.name']], ['producer', 'consumer', 'orders', 'shipping']);
    assert.equal([append.attributes['troupe.journal.stream'], project.attributes['troupe.journal.position'], project.attributes['troupe.projection.name']], ['book', 1, 'order-view']);
    const [stored] = await journal.readAll();
    assert.match(stored.meta.traceparent!, new RegExp(`^00-${root.traceId}-${append.spanId}-01$`), 'the event keeps the append’s traceparent');
    assert.ok(spans.every((s) => s.status !== 'error'), tree);
    assert.ok(!spans.some((s) => /^process (c\.|bus\.|poll)/.test(s.name)), `no infrastructure bookkeeping in the trace:\n${tree}`);
    if (process.env.TROUPE_PRINT_TRACE) console.log(tree);
    await view.stop();
    await bus.close();
  } finally {
    await sim.shutdown();
  }
});

type SagaIn = { orderId: string };
type SagaOut = { reserve: string; charge: string };
type Svc = { type: 'do'; op: string; replyTo: ActorRef<string> };

test('a saga started in a trace: its steps run there, its records keep it, a resumed run continues it', async () => {
  const kit = createTestSystem({ tracing: true });
  const journal = createMemoryJournal({ clock: kit.clock, ids: createIdSource(createSeededRandom(5)) });
  let holdCharge = true;
  const svc = kit.spawn(defineActor<Svc, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { if (m.op !== 'charge' || !holdCharge) ctx.send(m.replyTo, `${m.op}:ok`); } }), 'svc');
  const step = (op: string) => (c: SagaStepContext<SagaIn, SagaOut>) => svc.ask<string>((replyTo) => ({ type: 'do', op, replyTo }), { timeoutMs: 3_600_000 }).then((v) => `${v}@${c.attempt}`);
  const saga = defineSaga<SagaIn, SagaOut>({ name: 'order', journal, steps: [{ name: 'reserve', action: step('reserve') }, { name: 'charge', action: step('charge') }] });
  const h = kit.tracing!.inSpan('checkout', () => startSaga(kit, saga, { sagaId: 'o-9', input: { orderId: 'o-9' } }));
  await kit.runUntil(() => h.status().step === 'charge', 10_000);
  const spans = kit.tracing!.collector!.spans();
  const checkout = spans.find((s) => s.name === 'checkout')!;
  const reserve = spans.find((s) => s.name === 'saga step reserve')!;
  assert.ok(reserve, renderTrace(spans));
  assert.equal([reserve.traceId, reserve.attributes['troupe.saga.step'], reserve.attributes['troupe.saga.id']], [checkout.traceId, 'reserve', 'o-9']);
  assert.ok(spans.some((s) => s.name === 'process do' && s.parentSpanId === spans.find((x) => x.name === 'ask do' && x.parentSpanId === reserve.spanId)?.spanId), 'the step’s ask runs under the step');
  const stored = await journal.readStream(sagaStreamName('order', 'o-9'));
  assert.ok(stored.every((e) => e.meta.traceparent?.startsWith(`00-${checkout.traceId}-`)), 'every record keeps the saga’s trace');

  // the node goes away mid-saga; another system resumes it from the journal and stays in the trace
  await kit.terminate();
  const kit2 = createTestSystem({ seed: 2, tracing: true });
  holdCharge = false;
  kit2.spawn(defineActor<Svc, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, `${m.op}:ok`); } }), 'svc');
  const saga2 = defineSaga<SagaIn, SagaOut>({ name: 'order', journal, steps: [{ name: 'reserve', action: step('reserve') }, { name: 'charge', action: async () => 'charged' }] });
  const [resumed] = await resumeSagas(kit2, saga2);
  await kit2.runUntil(() => resumed.status().phase === 'completed', 10_000);
  const charge = kit2.tracing!.collector!.spans().find((s) => s.name === 'saga step charge')!;
  assert.is(charge.traceId, checkout.traceId, 'the resumed step continues the original trace');
  await kit2.terminate();
});

test.run();
