// The span collector: bounded (oldest spans go first, counted), and its queries — by trace id,
// by actor, by error, slowest N — over exactly what it holds.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createSpanCollector, DEFAULT_MAX_SPANS, isTroupeError, type CollectedSpan } from '../../../runtime/index.ts';

const test = suite('span collector');

let n = 0;
function span(traceId: string, name: string, startMs: number, endMs: number, extra: Partial<CollectedSpan> = {}): CollectedSpan {
  return {
    traceId, spanId: (++n).toString(16).padStart(16, '0'), name, kind: 'consumer', startMs, endMs, durationMs: endMs - startMs,
    status: 'unset', attributes: {}, links: [], events: [], ...extra,
  };
}

test('default capacity is 10 000 spans; a bad capacity is invalid-argument', () => {
  assert.is(createSpanCollector().maxSpans, DEFAULT_MAX_SPANS);
  assert.is(DEFAULT_MAX_SPANS, 10_000);
  for (const maxSpans of [0, -1, 1.5, Number.NaN]) {
    try { createSpanCollector({ maxSpans }); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-argument')); }
  }
});

test('beyond maxSpans the oldest spans go first, and their traces with their last span', () => {
  const c = createSpanCollector({ maxSpans: 3 });
  const a1 = span('a', 'a1', 0, 1), a2 = span('a', 'a2', 1, 2), b1 = span('b', 'b1', 2, 3), b2 = span('b', 'b2', 3, 4), c1 = span('c', 'c1', 4, 5);
  for (const s of [a1, a2, b1]) c.record(s);
  assert.equal([c.size, c.dropped], [3, 0]);
  c.record(b2);
  assert.equal([c.size, c.dropped], [3, 1]);
  assert.equal(c.trace('a'), [a2], 'a trace that lost spans shows the rest');
  c.record(c1);
  assert.equal(c.trace('a'), [], 'a trace whose spans are all gone is gone');
  assert.equal(c.traces().map((t) => t.traceId), ['b', 'c']);
  assert.equal(c.spans(), [b1, b2, c1], 'finish order');
  for (let i = 0; i < 100; i++) c.record(span('d', `d${i}`, 10 + i, 11 + i));
  assert.equal([c.size, c.dropped], [3, 102]);
  assert.equal(c.spans().map((s) => s.name), ['d97', 'd98', 'd99']);
  c.clear();
  assert.equal([c.size, c.dropped, c.traces().length], [0, 0, 0]);
});

test('queries: by id (by start), by actor (exact or under a path), with errors, slowest first', () => {
  const c = createSpanCollector();
  const root = span('t1', 'request', 0, 10, { kind: 'server' });
  const child = span('t1', 'process order', 2, 4, { parentSpanId: root.spanId, attributes: { 'troupe.actor.path': '/user/orders/o-1' } });
  const failed = span('t2', 'process pay', 0, 30, { status: 'error', statusMessage: 'declined', attributes: { 'troupe.actor.path': '/user/payments' } });
  const quick = span('t3', 'process ping', 5, 6, { attributes: { 'troupe.actor.path': '/user/orders' } });
  for (const s of [child, quick, root, failed]) c.record(s);
  assert.equal(c.trace('t1'), [root, child]);
  assert.equal(c.trace('nope'), []);
  assert.equal(c.traces(), [
    { traceId: 't1', root: 'request', startMs: 0, durationMs: 10, spanCount: 2, errorCount: 0 },
    { traceId: 't2', root: 'process pay', startMs: 0, durationMs: 30, spanCount: 1, errorCount: 1 },
    { traceId: 't3', root: 'process ping', startMs: 5, durationMs: 1, spanCount: 1, errorCount: 0 },
  ]);
  assert.equal(c.byActor('/user/orders').map((t) => t.traceId), ['t3']);
  assert.equal(c.byActor('/user/orders/*').map((t) => t.traceId), ['t1']);
  assert.equal(c.byActor('/user/*').map((t) => t.traceId), ['t1', 't2', 't3']);
  assert.equal(c.withErrors().map((t) => t.traceId), ['t2']);
  assert.equal(c.slowest(2).map((t) => [t.traceId, t.durationMs]), [['t2', 30], ['t1', 10]]);
  assert.equal(c.slowest(0), []);
});

test.run();
