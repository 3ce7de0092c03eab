// Sample 08 (samples/08-traced-order.ts) end to end: an HTTP request continuing the caller's
// traceparent, then asks, replies, a tell and a bus event over real TCP loopback between three
// nodes in this process — one trace, parented hop by hop, spans from every node, with the right
// span kinds and a critical path that is a chain from the root.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { criticalPath, renderTrace, type CollectedSpan } from '../../runtime/index.ts';
import { main } from '../../samples/08-traced-order.ts';

const test = suite('sample 08: a traced order across three nodes', undefined, { limitMs: 60_000 });

test('one trace spans every hop and node, parented hop by hop', async () => {
  const printed: string[] = [];
  const { traceId, spans } = await main((l) => printed.push(l));
  const tree = renderTrace(spans);
  assert.is(traceId, '4bf92f3577b34da6a3ce929d0e0e4736', 'the trace id of the caller’s traceparent');
  assert.ok(spans.every((s) => s.traceId === traceId), `one trace id:\n${tree}`);
  assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'span ids are unique across the nodes');
  assert.equal([...new Set(spans.map((s) => s.attributes['troupe.node']))].sort(), ['gateway', 'orders', 'warehouse'], 'spans from all three nodes');

  const find = (name: string, node: string): CollectedSpan => {
    const s = spans.find((x) => x.name === name && x.attributes['troupe.node'] === node);
    assert.ok(s, `no span "${name}" on ${node} in\n${tree}`);
    return s!;
  };
  const root = find('POST /orders', 'gateway');
  assert.is(root.kind, 'server');
  assert.is(root.parentSpanId, '00f067aa0ba902b7', 'the server span continues the caller’s span');
  assert.equal([root.attributes['http.route'], root.attributes['http.response.status_code']], ['/orders', 201]);

  // the chain, hop by hop: [name, node, kind] each the child of the one before
  const chain = (...hops: [string, string, CollectedSpan['kind']][]): CollectedSpan[] => {
    const found = hops.map(([name, node, kind]) => {
      const s = find(name, node);
      assert.is(s.kind, kind, `${name} on ${node} is a ${kind} span`);
      return s;
    });
    for (let i = 1; i < found.length; i++) {
      assert.is(found[i].parentSpanId, found[i - 1].spanId, `${found[i].name} @${hops[i][1]} is under ${found[i - 1].name} @${hops[i - 1][1]}\n${tree}`);
    }
    return found;
  };
  const [, , , askOrders, , placeOrder] = chain(
    ['POST /orders', 'gateway', 'server'],
    ['ask place', 'gateway', 'client'],
    ['process place', 'gateway', 'consumer'],
    ['ask place-order', 'gateway', 'client'],
    ['send place-order', 'gateway', 'producer'], // TCP hop gateway → orders
    ['process place-order', 'orders', 'consumer'],
  );
  chain(
    ['process place-order', 'orders', 'consumer'],
    ['ask reserve', 'orders', 'client'],
    ['send reserve', 'orders', 'producer'], // TCP hop orders → warehouse
    ['process reserve', 'warehouse', 'consumer'],
    ['send reserved', 'warehouse', 'producer'], // the reply crosses back
  );
  chain(
    ['process place-order', 'orders', 'consumer'],
    ['publish orders', 'orders', 'producer'], // the bus event
    ['process orders', 'orders', 'consumer'],
    ['send ship', 'orders', 'producer'], // TCP hop orders → warehouse (a tell)
    ['process ship', 'warehouse', 'consumer'],
  );
  chain(['process place-order', 'orders', 'consumer'], ['send order-placed', 'orders', 'producer']); // the reply to the gateway
  assert.equal([find('process orders', 'orders').attributes['messaging.destination.name'], find('process orders', 'orders').attributes['messaging.consumer.group.name']], ['orders', 'shipping']);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  assert.ok(spans.every((s) => s === root || byId.has(s.parentSpanId!)), `every span but the root has its parent in the trace:\n${tree}`);
  assert.ok(spans.every((s) => s === root || s.startMs >= byId.get(s.parentSpanId!)!.startMs), `the nodes stamp one time line (no child starts before its parent):\n${tree}`);
  assert.ok(askOrders.endMs >= placeOrder.startMs, 'the ask ends after the other node took its request');
  assert.ok(spans.every((s) => s.status !== 'error' && s.endMs >= s.startMs), tree);

  const path = criticalPath(spans);
  assert.is(path[0], root, 'the critical path starts at the root');
  for (let i = 1; i < path.length; i++) assert.is(path[i].parentSpanId, path[i - 1].spanId, 'the critical path is a chain of parents');

  // what it printed: the responses, then the tree of exactly these spans
  assert.match(printed[1], /^POST \/orders → 201 \{"orderId":"o-2","total":"24.00"\} \(traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-/);
  const rendered = printed.at(-1)!.split('\n');
  assert.is(rendered[0].startsWith(`trace ${traceId} — ${spans.length} spans`), true, rendered[0]);
  assert.is(rendered.length, spans.length + 1, 'one line per span');
});

test.run();
