// The traceparent crosses real transports: two nodes in this process on loopback TCP (and on a
// real NATS server when one is configured), a remote tell and ask traced end to end.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { createSpanCollector, defineActor, type ActorRef, type SpanCollector } from '../../../runtime/index.ts';
import { createNode, type ClusterNode } from '../../../runtime/cluster/node.ts';
import { createNatsTransport } from '../../../runtime/cluster/nats-transport.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import type { Transport } from '../../../runtime/cluster/transport.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { serviceUrl } from '../../helpers/services.ts';

type Msg = { type: 'work' } | { type: 'price'; replyTo: ActorRef<number> };
const worker = defineActor<Msg, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { if (m.type === 'price') ctx.send(m.replyTo, 42); } });
const registry = () => createMessageRegistry().define('work', { version: 1 }).define('price', { version: 1 });

/** Waits (real time, polling) until `done()` or `limitMs`. */
async function until(done: () => boolean, limitMs = 10_000): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return done();
}

async function pair(make: () => Transport, collector: SpanCollector): Promise<ClusterNode[]> {
  const a = await createNode({ name: 'tr', node: 'a', transport: make(), registry: registry(), tracing: { collector }, log: { level: 'silent' } });
  const b = await createNode({ name: 'tr', node: 'b', transport: make(), seeds: [a.endpoint], registry: registry(), tracing: { collector }, log: { level: 'silent' } });
  const up = await until(() => [a, b].every((n) => n.cluster.members().filter((m) => m.status === 'up').length === 2));
  if (!up) { await b.stop(); await a.stop(); throw new Error('the nodes did not come up'); }
  return [a, b];
}

function traceContract(name: string, make: () => Transport): void {
  const test = suite(`traceparent over ${name}`, undefined, { limitMs: 30_000 });
  test('a remote tell and ask continue the sender’s trace on the other node', async () => {
    const collector = createSpanCollector();
    const [a, b] = await pair(make, collector);
    try {
      const remote = a.cluster.refFor<Msg>(String(b.system.spawn(worker, 'worker')));
      const price = await a.system.tracing!.inSpan('request', async () => {
        remote.tell({ type: 'work' });
        return remote.ask<number>((replyTo) => ({ type: 'price', replyTo }), { timeoutMs: 10_000 });
      });
      assert.is(price, 42);
      assert.ok(await until(() => collector.spans().some((s) => s.name === 'process work')));
      const spans = collector.spans();
      const root = spans.find((s) => s.name === 'request')!;
      const of = (n: string) => spans.find((s) => s.name === n)!;
      assert.ok(spans.filter((s) => s.name !== 'request').every((s) => s.traceId === root.traceId));
      assert.equal([of('send work').attributes['troupe.node'], of('process work').attributes['troupe.node']], ['a', 'b']);
      assert.is(of('process work').parentSpanId, of('send work').spanId);
      assert.is(of('process price').parentSpanId, of('send price').spanId);
      assert.is(of('send $value').parentSpanId, of('process price').spanId, 'the reply crossed back in the trace');
      assert.equal([a.system.tracing!.rejected, b.system.tracing!.rejected], [{}, {}]);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
  test.run();
}

const secret = randomBytes(32).toString('base64url');
traceContract('tcp (loopback)', () => createTcpTransport({ secret }));
const natsUrl = serviceUrl('nats', 'traceparent over nats');
const subjectPrefix = `troupe-trace-${randomBytes(4).toString('hex')}`;
if (natsUrl) traceContract('nats', () => createNatsTransport({ servers: natsUrl, secret, subjectPrefix }));
