// Logs and tracing together: a line written while an actor handles a message of a sampled trace
// carries that message's `process` span ids (traceId, spanId) — in sync handlers, after an await
// in async and promise-returning ones, on bus deliveries — beside the correlation ids; untraced
// messages, and other actors' turns, carry none.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import {
  ack, createEventBus, defineActor, type ActorRef, type CollectedSpan, type Delivery, type LogLine, type Logger,
} from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing.ts';

const test = suite('trace ids in log lines');

/** A test system with tracing on whose log lines (info and up) land in `lines`. */
function traced(metrics = false) {
  const lines: LogLine[] = [];
  const kit = createTestSystem({ name: 'shop', tracing: true, metrics, log: { level: 'info', destination: (r) => lines.push(r) } });
  return { kit, lines };
}

const spansNamed = (kit: TestSystem, name: string): CollectedSpan[] => kit.tracing!.collector!.spans().filter((s) => s.name === name);
const ids = (l: LogLine | undefined): [unknown, unknown] => [l?.traceId, l?.spanId];

type Place = { type: 'place'; orderId: string; correlationId?: string };

test('a traced message\'s handler logs a line with the trace and span id of its collected process span (and its correlation id); an untraced one logs none', async () => {
  for (const metrics of [false, true]) {
    const { kit, lines } = traced(metrics);
    const ref = kit.spawn(defineActor<Place, undefined>({
      name: 'orders', init: () => undefined,
      receive: (_s, m, ctx) => { ctx.log.info({ orderId: m.orderId }, 'order placed'); },
    }), 'orders');
    kit.tracing!.inSpan('checkout', () => ref.tell({ type: 'place', orderId: 'o-1', correlationId: 'req-7' }));
    ref.tell({ type: 'place', orderId: 'o-2', correlationId: 'req-8' });
    await kit.runUntilIdle();
    const [span] = spansNamed(kit, 'process place');
    assert.ok(span !== undefined, 'the traced message was collected');
    assert.is(spansNamed(kit, 'process place').length, 1, 'only the traced message has a span');
    const [first, second] = lines.filter((l) => l.msg === 'order placed');
    assert.equal([first.orderId, ...ids(first), first.correlationId], ['o-1', span.traceId, span.spanId, 'req-7'], `metrics ${metrics}`);
    assert.equal([second.orderId, ...ids(second), second.correlationId], ['o-2', undefined, undefined, 'req-8'], `metrics ${metrics}`);
    assert.is(spansNamed(kit, 'checkout')[0].traceId, span.traceId);
    await kit.terminate();
  }
});

test('after an await: lines of an async handler and of a plain handler returning a promise carry their message\'s span; ctx.trace agrees', async () => {
  const { kit, lines } = traced();
  const seen: Record<string, unknown> = {};
  const viaAsync = kit.spawn(defineActor<Place, undefined>({
    name: 'async', init: () => undefined,
    receive: async (_s, m, ctx) => {
      await Promise.resolve();
      await Promise.resolve();
      ctx.log.info({ orderId: m.orderId }, 'async line');
    },
  }), 'async');
  const viaPromise = kit.spawn(defineActor<Place, undefined>({
    name: 'plain', init: () => undefined,
    receive: (_s, m, ctx) => Promise.resolve().then(() => {
      seen[m.orderId] = ctx.trace;
      ctx.log.info({ orderId: m.orderId }, 'promise line');
    }),
  }), 'plain');
  kit.tracing!.inSpan('a', () => viaAsync.tell({ type: 'place', orderId: 'a-1' }));
  kit.tracing!.inSpan('p', () => viaPromise.tell({ type: 'place', orderId: 'p-1' }));
  viaPromise.tell({ type: 'place', orderId: 'p-2' });
  await kit.runUntilIdle();
  const processSpans = spansNamed(kit, 'process place');
  const spanOf = (path: string): CollectedSpan => processSpans.find((s) => s.attributes['troupe.actor.path'] === path)!;
  const line = (orderId: string): LogLine | undefined => lines.find((l) => l.orderId === orderId);
  assert.equal(ids(line('a-1')), [spanOf('/user/async').traceId, spanOf('/user/async').spanId]);
  assert.equal(ids(line('p-1')), [spanOf('/user/plain').traceId, spanOf('/user/plain').spanId]);
  assert.equal(ids(line('p-2')), [undefined, undefined], 'the untraced message that follows');
  const p1 = seen['p-1'] as { traceId: string; spanId: string } | undefined;
  assert.equal([p1?.traceId, p1?.spanId], [spanOf('/user/plain').traceId, spanOf('/user/plain').spanId]);
  assert.is(seen['p-2'], undefined);
  await kit.terminate();
});

test('a line of another actor\'s turn does not borrow a trace: lines of an untraced turn, and a handed-out logger used during it, carry only their own', async () => {
  const { kit, lines } = traced();
  type Msg = { type: 'go'; log?: Logger } | { type: 'hold'; to: ActorRef<Msg> };
  // `holder` handles a traced message asynchronously, hands its logger out, and waits
  let release: () => void = () => {};
  const holder = kit.spawn(defineActor<Msg, undefined>({
    name: 'holder', init: () => undefined,
    receive: (_s, m, ctx) => {
      if (m.type !== 'hold') return undefined;
      ctx.send(m.to, { type: 'go', log: ctx.log });
      return new Promise<void>((r) => { release = r; });
    },
  }), 'holder');
  const other = kit.spawn(defineActor<Msg, undefined>({
    name: 'other', init: () => undefined,
    receive: (_s, m, ctx) => {
      if (m.type !== 'go') return;
      ctx.log.info('other line');
      m.log?.info('holder line, written in other\'s turn');
    },
  }), 'other');
  kit.tracing!.inSpan('hold', () => holder.tell({ type: 'hold', to: other }));
  await kit.runUntilIdle();
  other.tell({ type: 'go' }); // untraced
  await kit.runUntilIdle();
  release(); // the holder's span ends (and is collected) when its handler settles
  await kit.runUntilIdle();
  const held = spansNamed(kit, 'process hold')[0];
  const otherSpan = spansNamed(kit, 'process go')[0];
  assert.ok(held !== undefined && otherSpan !== undefined);
  // other's first message was sent in holder's trace: its own process span, same trace
  const otherLines = lines.filter((l) => l.msg === 'other line');
  assert.equal(ids(otherLines[0]), [otherSpan.traceId, otherSpan.spanId]);
  assert.equal(ids(lines.find((l) => l.actor === '/user/holder')), [held.traceId, held.spanId], 'the holder\'s line: its own pending message span');
  assert.equal(ids(otherLines[1]), [undefined, undefined], 'other\'s untraced turn');
  await kit.terminate();
});

test('a bus delivery to a handler actor: its lines carry the publisher\'s trace', async () => {
  const { kit, lines } = traced();
  const bus = createEventBus(kit);
  const topic = bus.topic<{ sku: string }>('stock');
  const handler = kit.spawn(defineActor<Delivery<{ sku: string }>, undefined>({
    name: 'stock-handler', init: () => undefined,
    receive: (_s, d, ctx) => { ctx.log.info({ sku: d.event.data.sku }, 'reserving'); ack(d); },
  }), 'stock');
  topic.subscribe(handler, { group: 'reservations' });
  await kit.tracing!.inSpan('checkout', async () => { await topic.publish({ sku: 'A1' }, { headers: { 'correlation-id': 'checkout-9' } }); });
  await kit.runUntil(() => lines.some((l) => l.msg === 'reserving'), 5_000);
  const line = lines.find((l) => l.msg === 'reserving')!;
  const checkout = spansNamed(kit, 'checkout')[0];
  assert.equal([line.traceId, line.correlationId], [checkout.traceId, 'checkout-9']);
  const own = kit.tracing!.collector!.spans().find((s) => s.spanId === line.spanId);
  assert.ok(own !== undefined && own.attributes['troupe.actor.path'] === '/user/stock', `the handler's own process span: ${own?.name}`);
  await bus.close();
  await kit.terminate();
});

test.run();
