// The collector's column store with spans a system records: what a query gets back is what was
// recorded (ids, parents, times, the shared attributes with the mailbox wait, attributes set on a
// span, errors, links), across growth and wrap-around, mixed with spans recorded as data; and the
// word-held span contexts format their ids on read.

import { test } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, createSpanCollector, type ActorRef, type CollectedSpan } from '../../../../runtime/index.ts';
import { createTestSystem } from '../../../../runtime/testing.ts';
import fc from 'fast-check';
import { hex128, hex64, SpanIds, toWordContext, traceparentWords, WordContext } from '../../../../runtime/observe/internal/span-ids.ts';
import { decodeTraceContext } from '../../../../runtime/observe/trace-context.ts';
import { createSeededRandom } from '../../../../runtime/random.ts';

type Msg = { type: 'hop'; left: number; to: ActorRef<Msg> } | { type: 'fail' };
const hopper = defineActor<Msg, undefined>({
  name: 'hopper',
  init: () => undefined,
  receive: (_s, m, ctx) => {
    if (m.type === 'fail') throw new Error('boom');
    if (m.left > 0) ctx.send(m.to, { type: 'hop', left: m.left - 1, to: ctx.self });
  },
});

test('spans a system records come back whole: ids, parents, times, shared and own attributes, errors, links', async () => {
  const kit = createTestSystem({ tracing: true, node: 'n1' });
  const a = kit.spawn(hopper, 'a');
  const b = kit.spawn(hopper, 'b');
  kit.tracing!.inSpan('request', (span) => {
    span.setAttribute('order.id', 'o-1');
    span.addLink({ context: { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1 } });
    a.tell({ type: 'hop', left: 2, to: b });
  });
  await kit.advance(5);
  kit.tracing!.inSpan('crash', () => a.tell({ type: 'fail' }));
  await kit.runUntilIdle();
  const c = kit.tracing!.collector!;
  const [request, ...hops] = c.spans().filter((s) => s.name !== 'crash' && s.name !== 'process fail');
  assert.equal(request.attributes, { 'troupe.node': 'n1', 'order.id': 'o-1' });
  assert.equal(request.links, [{ traceId: '1'.repeat(32), spanId: '2'.repeat(16) }]);
  assert.equal(hops.map((h) => [h.name, h.attributes['troupe.actor.path'], h.parentSpanId]), [
    ['process hop', '/user/a', request.spanId], ['process hop', '/user/b', hops[0].spanId], ['process hop', '/user/a', hops[1].spanId],
  ]);
  assert.equal(hops[0].attributes, {
    'messaging.system': 'troupe', 'troupe.node': 'n1', 'messaging.operation.type': 'process', 'messaging.operation.name': 'process',
    'messaging.destination.name': '/user/a', 'troupe.actor.path': '/user/a', 'troupe.message.type': 'hop', 'troupe.mailbox.wait_ms': 0,
  });
  assert.ok([request, ...hops].every((s) => /^[\da-f]{32}$/.test(s.traceId) && /^[\da-f]{16}$/.test(s.spanId) && s.traceId === request.traceId));
  const failed = c.spans().find((s) => s.name === 'process fail')!;
  assert.equal([failed.status, failed.statusMessage, failed.attributes['error.type'], failed.events[0]?.name], ['error', 'boom', 'Error', 'exception']);
  assert.equal(c.withErrors().map((t) => t.root), ['crash']);
  assert.equal(c.byActor('/user/b').map((t) => t.traceId), [request.traceId]);
  assert.equal(c.trace(request.traceId).map((s) => s.name), ['request', 'process hop', 'process hop', 'process hop']);
  assert.is(c.spans()[0], c.spans()[0], 'a span read twice is the same object');
  await kit.terminate();
});

test('wrap-around: the newest maxSpans stay, mixing recorded spans and spans given as data', async () => {
  const collector = createSpanCollector({ maxSpans: 300 }); // grows from 256 to 300, then wraps
  const kit = createTestSystem({ tracing: { collector } });
  const a = kit.spawn(hopper, 'a');
  for (let i = 0; i < 250; i++) kit.tracing!.inSpan(`r${i}`, () => {});
  const given: CollectedSpan = {
    traceId: 'not-hex', spanId: 'given', name: 'given', kind: 'internal', startMs: 1, endMs: 3, durationMs: 2, status: 'ok', attributes: { k: 'v' }, links: [], events: [],
  };
  collector.record(given);
  kit.tracing!.inSpan('last', () => a.tell({ type: 'hop', left: 0, to: a }));
  await kit.runUntilIdle();
  assert.equal([collector.size, collector.dropped], [253, 0]);
  for (let i = 0; i < 100; i++) kit.tracing!.inSpan(`s${i}`, () => {});
  assert.equal([collector.size, collector.dropped], [300, 53]);
  const names = collector.spans().map((s) => s.name);
  assert.equal(names.slice(0, 2), ['r53', 'r54']);
  assert.equal(names.slice(197, 201), ['given', 'last', 'process hop', 's0']);
  assert.is(collector.spans()[197], given, 'a span given as data comes back as given');
  assert.equal(collector.trace('not-hex'), [given]);
  assert.is(collector.traces().length, 299);
  collector.clear();
  assert.equal([collector.size, collector.dropped, collector.spans()], [0, 0, []]);
  kit.tracing!.inSpan('after', () => {});
  assert.equal(collector.spans().map((s) => s.name), ['after']);
  await kit.terminate();
});

test('span contexts hold their ids as words: hex on read, the same draws as before, toJSON with the usual fields', () => {
  const ids = new SpanIds(createSeededRandom(1));
  const root = ids.root(1);
  const child = ids.child(root, 1);
  const r = createSeededRandom(1);
  const word = (): number => (r.next() * 4294967296) >>> 0;
  const [t0, t1, t2, t3, s0, s1, c0, c1] = [word(), word(), word(), word(), word(), word(), word(), word()];
  assert.is(root.traceId, hex128(t0, t1, t2, t3));
  assert.is(root.spanId, hex64(s0, s1));
  assert.equal([child.traceId, child.spanId], [root.traceId, hex64(c0, c1)]);
  assert.equal(JSON.parse(JSON.stringify(child)), { traceId: root.traceId, spanId: child.spanId, traceFlags: 1 });
  const foreign = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'f0f067aa0ba902b7', traceFlags: 1 };
  const w = toWordContext(foreign);
  assert.ok(w instanceof WordContext);
  assert.equal([w.traceId, w.spanId, toWordContext(w) === w], [foreign.traceId, foreign.spanId, true]);
  assert.is(hex64(-1, 0), 'ffffffff00000000');
});

test('the fast traceparent reader agrees with the full one on everything it accepts, and accepts the usual form', () => {
  const hex = (n: number) => fc.stringOf(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n });
  const near = fc.tuple(fc.constantFrom('00', '01', 'ff', '0g', 'AB'), hex(32), hex(16), fc.constantFrom('00', '01', 'ff', 'zz'), fc.constantFrom('-', '_'))
    .map(([v, t, s, f, dash]) => `${v}-${t}${dash}${s}-${f}`);
  const zeroes = fc.constantFrom(`00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'1'.repeat(32)}-${'0'.repeat(16)}-01`, `00-${'A'.repeat(32)}-${'1'.repeat(16)}-01`);
  fc.assert(fc.property(fc.oneof(near, zeroes, fc.string({ maxLength: 60 })), (tp) => {
    const fast = traceparentWords(tp);
    const full = decodeTraceContext(tp);
    if (fast === null) return !(full.ok && tp.length === 55 && tp.startsWith('00-') && tp === tp.toLowerCase() && !/\s/.test(tp));
    return full.ok && fast.traceId === full.context.traceId && fast.spanId === full.context.spanId && fast.traceFlags === full.context.traceFlags;
  }), { seed: 11, numRuns: 2_000 });
  assert.ok(traceparentWords('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'));
});

test.run();
