// Trace context on the event bus: a publish in a trace puts its traceparent in the event's
// headers; each delivery (function or actor handler) runs in a consumer span under it, a
// redelivery links back to it; the bus's own bookkeeping never joins a trace.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { ack, createEventBus, defineActor, nack, type BusEvent, type CollectedSpan, type Delivery } from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing.ts';

const test = suite('event bus tracing');

const setup = () => {
  const kit = createTestSystem({ tracing: true });
  const bus = createEventBus(kit, { delivery: { backoff: { minMs: 10, maxMs: 10, jitter: 0 } } });
  return { kit, bus, spans: (): CollectedSpan[] => kit.tracing!.collector!.spans() };
};
const named = (spans: CollectedSpan[], name: string): CollectedSpan[] => spans.filter((s) => s.name === name);
const stop = async (kit: TestSystem, bus: { close(): Promise<void> }): Promise<void> => { await bus.close(); await kit.terminate(); };

test('a publish in a trace: a producer span whose traceparent the event carries; the handler runs in a consumer span under it', async () => {
  const { kit, bus, spans } = setup();
  const topic = bus.topic<{ n: number }>('orders');
  const seen: BusEvent<{ n: number }>[] = [];
  const ids: (string | undefined)[] = [];
  topic.subscribe((e) => { seen.push(e); ids.push(kit.tracing!.current()?.spanId); }, { group: 'billing' });
  await kit.tracing!.inSpan('request', () => topic.publish({ n: 1 }, { key: 'k', headers: { 'correlation-id': 'c-1' } }));
  await kit.runUntil(() => seen.length === 1, 5_000);
  const [publish] = named(spans(), 'publish orders');
  const [consume] = named(spans(), 'process orders');
  const [root] = named(spans(), 'request');
  assert.equal([publish.kind, publish.parentSpanId, publish.attributes['messaging.destination.name']], ['producer', root.spanId, 'orders']);
  assert.is(seen[0].headers.traceparent, `00-${root.traceId}-${publish.spanId}-01`);
  assert.equal([consume.kind, consume.parentSpanId, consume.status], ['consumer', publish.spanId, 'unset']);
  assert.equal(
    [consume.attributes['messaging.consumer.group.name'], consume.attributes['messaging.message.id'], consume.attributes['troupe.delivery.attempt'], consume.attributes['messaging.message.conversation_id']],
    ['billing', seen[0].id, 1, 'c-1'],
  );
  assert.equal(ids, [consume.spanId], 'the handler saw its delivery span as the active context');
  assert.equal(spans().map((s) => s.name).sort(), ['process orders', 'publish orders', 'request'], 'no bookkeeping spans');
  await stop(kit, bus);
});

test('a failed delivery is marked error; its redelivery is a new span under the publish that links to it', async () => {
  const { kit, bus, spans } = setup();
  const topic = bus.topic<{ n: number }>('jobs');
  let calls = 0;
  topic.subscribe(() => { if (++calls === 1) throw new Error('flaky'); }, { id: 'worker' });
  await kit.tracing!.inSpan('request', () => topic.publish({ n: 1 }));
  await kit.runUntil(() => calls === 2, 5_000);
  await kit.runUntilIdle();
  const [publish] = named(spans(), 'publish jobs');
  const [first, second] = named(spans(), 'process jobs');
  assert.equal([first.status, first.statusMessage, first.attributes['troupe.delivery.attempt']], ['error', 'flaky', 1]);
  assert.equal([second.status, second.parentSpanId, second.attributes['troupe.delivery.attempt']], ['unset', publish.spanId, 2]);
  assert.equal(second.links, [{ traceId: publish.traceId, spanId: publish.spanId, attributes: { 'troupe.link.reason': 'redelivery-of' } }]);
  assert.ok(second.startMs >= first.endMs + 10, 'after its backoff');
  await stop(kit, bus);
});

test('a handler actor: its turn is a child of the delivery span, which ends when it acks', async () => {
  const { kit, bus, spans } = setup();
  const topic = bus.topic<{ n: number }>('mail');
  const acker = kit.spawn(defineActor<Delivery<{ n: number }>, undefined>({
    init: () => undefined,
    receive: async (_s, d, ctx) => {
      await new Promise<void>((r) => ctx.system.scheduler.startTimer(20, r));
      if (d.attempt === 1) ack(d); else nack(d, 'no');
    },
  }), 'acker');
  topic.subscribe(acker, { id: 'mailer' });
  await kit.tracing!.inSpan('request', () => topic.publish({ n: 1 }));
  await kit.runUntil(() => named(spans(), 'process mail').length === 1, 5_000);
  await kit.advance(30);
  await kit.runUntilIdle();
  const [delivery] = named(spans(), 'process mail');
  const [turn] = named(spans(), 'process bus.delivery');
  assert.equal([turn.parentSpanId, turn.attributes['troupe.actor.path']], [delivery.spanId, '/user/acker']);
  assert.is(delivery.durationMs, 20, 'the delivery span lasts until the ack');
  assert.ok(!spans().some((s) => s.name === 'process bus.ack'), 'the ack is bookkeeping, untraced');
  await stop(kit, bus);
});

test('outside a trace nothing is added; a publisher’s own traceparent is kept; an unreadable one is counted and ignored', async () => {
  const { kit, bus, spans } = setup();
  const topic = bus.topic<{ n: number }>('misc');
  const seen: BusEvent<{ n: number }>[] = [];
  topic.subscribe((e) => { seen.push(e); }, { id: 'reader' });
  await topic.publish({ n: 0 });
  const own = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  await topic.publish({ n: 1 }, { headers: { traceparent: own } });
  await topic.publish({ n: 2 }, { headers: { traceparent: 'garbage' } });
  assert.ok(await kit.runUntil(() => seen.length === 3, 5_000));
  seen.sort((a, b) => a.data.n - b.data.n);
  assert.equal(seen[0].headers, {});
  assert.is(seen[1].headers.traceparent, own);
  assert.equal(spans().map((s) => [s.name, s.traceId, s.parentSpanId]), [['process misc', '4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7']]);
  assert.equal(kit.tracing!.rejected, { malformed: 1 });
  await stop(kit, bus);
});

test.run();
