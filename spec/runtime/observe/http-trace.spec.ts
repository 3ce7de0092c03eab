// Tracing an HTTP request: a valid traceparent continues the caller's trace (its sampled flag
// honoured), an invalid one is counted and ignored, none starts a trace; the handler's messages
// join it. One case runs a real node:http server on loopback.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSystem, defineActor, traceHttpRequest, type ActorRef, type TraceIds } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';

const test = suite('http trace');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

type Q = { type: 'q'; replyTo: ActorRef<TraceIds | undefined> };
const echo = defineActor<Q, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, ctx.trace); } });

test('a traceparent header continues the caller’s trace in a server span; the handler’s asks join it', async () => {
  const kit = createTestSystem({ tracing: true, node: 'gw' });
  const ref = kit.spawn(echo, 'echo');
  const req = { method: 'post', url: '/orders/7?debug=1', headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'v=1', 'user-agent': 'curl/8' } };
  const seen = await traceHttpRequest(kit, req, async () => ref.ask<TraceIds | undefined>((replyTo) => ({ type: 'q', replyTo })), { route: '/orders/:id' });
  const spans = kit.tracing!.collector!.spans();
  const server = spans.find((s) => s.name === 'POST /orders/:id')!;
  assert.equal([server.kind, server.traceId, server.parentSpanId, server.status], ['server', TRACE, PARENT, 'unset']);
  assert.equal(server.attributes, {
    'troupe.node': 'gw', 'http.request.method': 'POST', 'url.path': '/orders/7', 'url.query': 'debug=1', 'http.route': '/orders/:id', 'user_agent.original': 'curl/8',
  });
  assert.is(seen?.traceId, TRACE, 'the actor handled the request in the caller’s trace');
  assert.is(spans.find((s) => s.name === 'ask q')!.parentSpanId, server.spanId);
  await kit.terminate();
});

test('an unsampled caller is honoured; a malformed header is counted and a new trace starts; none starts one', async () => {
  const kit = createTestSystem({ tracing: true });
  const ids: (string | undefined)[] = [];
  traceHttpRequest(kit, { headers: { traceparent: `00-${TRACE}-${PARENT}-00` } }, (span) => { ids.push(span.isRecording() ? 'recording' : undefined); });
  traceHttpRequest(kit, { headers: { traceparent: 'junk' } }, () => { ids.push(kit.tracing!.current()?.traceId); });
  traceHttpRequest(kit, { method: 'GET', url: '/', headers: {} }, () => { ids.push(kit.tracing!.current()?.traceId); });
  assert.is(ids[0], undefined);
  assert.ok(ids[1] !== undefined && ids[1] !== TRACE);
  assert.ok(ids[2] !== undefined && ids[2] !== ids[1]);
  assert.equal(kit.tracing!.rejected, { malformed: 1 });
  assert.equal(kit.tracing!.collector!.spans().map((s) => [s.name, s.parentSpanId]), [['GET', undefined], ['GET', undefined]]);
  await kit.terminate();
});

test('a throwing handler fails the span and the throw reaches the caller; tracing off just runs the handler', async () => {
  const kit = createTestSystem({ tracing: true });
  await traceHttpRequest(kit, { method: 'DELETE', headers: {} }, async () => { throw new Error('nope'); }).then(() => assert.unreachable(), (e: Error) => assert.is(e.message, 'nope'));
  const [s] = kit.tracing!.collector!.spans();
  assert.equal([s.name, s.status, s.statusMessage], ['DELETE', 'error', 'nope']);
  await kit.terminate();
  const off = createTestSystem();
  assert.is(traceHttpRequest(off, { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } }, (span) => span.isRecording()), false);
  await off.terminate();
});

test('a real node:http IncomingMessage on loopback', async () => {
  const system = createSystem({ name: 'web', tracing: true });
  const ref = system.spawn(echo, 'echo');
  const server = createServer((req: IncomingMessage, res) => {
    void traceHttpRequest(system, req, async () => {
      const ids = await ref.ask<TraceIds | undefined>((replyTo) => ({ type: 'q', replyTo }));
      res.end(JSON.stringify(ids));
    }, { route: '/q' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/q', headers: { traceparent: `00-${TRACE}-${PARENT}-01` } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c.toString(); });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.is((JSON.parse(body) as TraceIds).traceId, TRACE);
    const span = system.tracing!.collector!.spans().find((s) => s.name === 'GET /q')!;
    assert.is(span.parentSpanId, PARENT);
    assert.ok(span.startMs > 1_600_000_000_000, 'real systems stamp spans in epoch milliseconds');
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await system.terminate();
  }
});

test.run();
