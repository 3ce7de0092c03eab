// W3C trace context in and out: every input decodes to a context or a typed reason (never a
// throw), what is written reads back, and the wire slot carries tracestate after the traceparent.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decodeTraceContext, formatTraceparent, type TraceContextRejection } from '../../../runtime/index.ts';
import { decodeTraceSlot, encodeTraceSlot, isSampled } from '../../../runtime/observe/trace-context.ts';

const test = suite('trace context');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

test('a valid traceparent gives a remote context with its ids and sampled flag', () => {
  const d = decodeTraceContext(`00-${TRACE}-${SPAN}-01`);
  assert.ok(d.ok);
  if (!d.ok) return;
  assert.equal([d.context.traceId, d.context.spanId, d.context.traceFlags, d.context.isRemote], [TRACE, SPAN, 1, true]);
  assert.ok(isSampled(d.context));
  const unsampled = decodeTraceContext(`00-${TRACE}-${SPAN}-00`);
  assert.ok(unsampled.ok && !isSampled(unsampled.context));
  // a future version may carry more fields (W3C: read the known ones)
  assert.ok(decodeTraceContext(`01-${TRACE}-${SPAN}-01-extra`).ok);
});

const rejections: [string, unknown, TraceContextRejection][] = [
  ['a number', 42, 'not-a-string'],
  ['undefined', undefined, 'not-a-string'],
  ['an over-long text', `00-${TRACE}-${SPAN}-01${' '.repeat(600)}`, 'too-long'],
  ['garbage', 'hello', 'malformed'],
  ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`, 'malformed'],
  ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`, 'malformed'],
  ['version ff', `ff-${TRACE}-${SPAN}-01`, 'unsupported-version'],
  ['version 00 with extra fields', `00-${TRACE}-${SPAN}-01-00`, 'unsupported-version'],
  ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`, 'zero-trace-id'],
  ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`, 'zero-span-id'],
];

for (const [what, input, reason] of rejections) {
  test(`rejects ${what} as ${reason}`, () => {
    const d = decodeTraceContext(input);
    assert.equal(d, { ok: false, reason });
  });
}

test('decoding is total: any value gives a context or a known reason', () => {
  const reasons = new Set(rejections.map((r) => r[2]));
  const near = fc.tuple(fc.hexaString({ minLength: 0, maxLength: 3 }), fc.hexaString({ maxLength: 34 }), fc.hexaString({ maxLength: 18 }), fc.hexaString({ maxLength: 3 }))
    .map(([v, t, s, f]) => `${v}-${t}-${s}-${f}`);
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 80 }), near, fc.jsonValue({ maxDepth: 1 })), fc.oneof(fc.string({ maxLength: 40 }), fc.constant(undefined)), (tp, ts) => {
    const d = decodeTraceContext(tp, ts);
    if (d.ok) assert.match(d.context.traceId, /^[0-9a-f]{32}$/);
    else assert.ok(reasons.has(d.reason), `unknown reason ${d.reason}`);
    const slot = decodeTraceSlot(tp);
    assert.ok(slot.ok || reasons.has(slot.reason));
  }), { numRuns: 1_000, seed: 11 });
});

test('tracestate is kept when readable and dropped (not fatal) when not', () => {
  const ok = decodeTraceContext(`00-${TRACE}-${SPAN}-01`, 'vendor=abc,other=x');
  assert.ok(ok.ok && ok.context.traceState?.get('vendor') === 'abc');
  const bad = decodeTraceContext(`00-${TRACE}-${SPAN}-01`, ',,,=');
  assert.ok(bad.ok && bad.context.traceState === undefined);
});

test('a context written reads back, and the wire slot carries its tracestate', () => {
  const d = decodeTraceContext(`00-${TRACE}-${SPAN}-01`, 'vendor=abc');
  assert.ok(d.ok);
  if (!d.ok) return;
  assert.is(formatTraceparent(d.context), `00-${TRACE}-${SPAN}-01`);
  const slot = encodeTraceSlot(d.context);
  assert.is(slot, `00-${TRACE}-${SPAN}-01;vendor=abc`);
  const back = decodeTraceSlot(slot);
  assert.ok(back.ok && back.context.spanId === SPAN && back.context.traceState?.get('vendor') === 'abc');
  assert.is(encodeTraceSlot({ traceId: TRACE, spanId: SPAN, traceFlags: 0 }), `00-${TRACE}-${SPAN}-00`);
});

test.run();
