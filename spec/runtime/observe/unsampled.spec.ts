// Requests that are not sampled: nothing is recorded and nothing travels with their messages, yet
// the decision is visible to the services they call — `headers()` gives a not-sampled
// traceparent (flags 00), with ids made on first use and kept for the rest of the request, or the
// caller's own ids when the request continued an unsampled `traceparent`.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, sampleNever, sampleParentBased, sampleRatio, traceHttpRequest, type TraceIds } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';

const test = suite('unsampled requests');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const NOT_SAMPLED = /^00-([\da-f]{32})-([\da-f]{16})-00$/;

type Seen = { type: 'seen' };
const watcher = (seen: (TraceIds | undefined)[]) => defineActor<Seen, undefined>({ init: () => undefined, receive: (_s, _m, ctx) => { seen.push(ctx.trace); } });

test('an unsampled root records nothing, its messages carry nothing, headers() says "not sampled" with stable ids', async () => {
  const kit = createTestSystem({ tracing: { sampler: sampleNever() } });
  const seen: (TraceIds | undefined)[] = [];
  const ref = kit.spawn(watcher(seen), 'w');
  const headers: Record<string, string>[] = [];
  const r = kit.tracing!.inSpan('request', (span) => {
    assert.is(span.isRecording(), false);
    assert.is(kit.tracing!.current(), undefined, 'no sampled context is active');
    headers.push(kit.tracing!.headers());
    ref.tell({ type: 'seen' });
    headers.push(kit.tracing!.headers());
    kit.tracing!.inSpan('nested', () => { headers.push(kit.tracing!.headers()); }); // parent-based inside: not sampled either
    return 'done';
  });
  assert.is(r, 'done');
  await kit.runUntilIdle();
  assert.equal(seen, [undefined], 'the actor handled the message outside any trace');
  assert.is(kit.tracing!.collector!.size, 0);
  const [a, b, nested] = headers.map((h) => NOT_SAMPLED.exec(h.traceparent ?? ''));
  assert.ok(a && b && nested, JSON.stringify(headers));
  assert.is(a![0], b![0], 'the same ids for the whole request');
  assert.is(nested![1], a![1], 'a nested unsampled span stays in the trace');
  assert.equal(kit.tracing!.headers(), {}, 'after the request, nothing is active');
  const other = kit.tracing!.inSpan('another', () => kit.tracing!.headers().traceparent);
  assert.not.equal(NOT_SAMPLED.exec(other ?? '')?.[1], a![1], 'each request its own trace id');
  await kit.terminate();
});

test('an unsampled caller (traceparent flags 00) is continued as unsampled: its ids go on to the services called', async () => {
  const kit = createTestSystem({ tracing: true });
  const out = traceHttpRequest(kit, { headers: { traceparent: `00-${TRACE}-${PARENT}-00`, tracestate: 'v=1' } }, () => kit.tracing!.headers());
  assert.equal(out, { traceparent: `00-${TRACE}-${PARENT}-00`, tracestate: 'v=1' });
  assert.is(kit.tracing!.collector!.size, 0);
  await kit.terminate();
});

test('a sampled caller that the root sampler declines (sampleNever, not parent-based) is continued as unsampled', async () => {
  const kit = createTestSystem({ tracing: { sampler: sampleNever() } });
  const out = kit.tracing!.inSpan('in', () => kit.tracing!.headers(), { traceparent: `00-${TRACE}-${PARENT}-01` });
  assert.equal(out, { traceparent: `00-${TRACE}-${PARENT}-00` });
  await kit.terminate();
});

test('inside an unsampled request, a root sampler that ignores the parent may sample a nested span: it joins the request’s trace', async () => {
  const kit = createTestSystem({ tracing: { sampler: sampleRatio(0.5) } });
  let joined: [string | undefined, string | undefined] | undefined;
  for (let i = 0; i < 64 && joined === undefined; i++) {
    kit.tracing!.inSpan('outer', (outer) => {
      if (outer.isRecording()) return;
      const outerIds = NOT_SAMPLED.exec(kit.tracing!.headers().traceparent ?? '');
      kit.tracing!.inSpan('inner', (inner) => { if (inner.isRecording()) joined = [outerIds?.[1], inner.spanContext().traceId]; });
    });
  }
  assert.ok(joined, 'some nested span was sampled (seeded: always the same draw)');
  assert.is(joined![1], joined![0]);
  const inner = kit.tracing!.collector!.spans().find((s) => s.name === 'inner' && s.traceId === joined![0])!;
  assert.match(inner.parentSpanId ?? '', /^[\da-f]{16}$/, 'under the unsampled outer span');
  await kit.terminate();
});

test('parent-based (the default) honours an unsampled outer request for nested spans and tracer spans', async () => {
  const kit = createTestSystem({ tracing: { sampler: sampleParentBased(sampleNever()) } });
  kit.tracing!.inSpan('outer', () => {
    kit.tracing!.inSpan('inner', () => {});
    kit.tracing!.tracer.startSpan('manual').end();
  });
  assert.is(kit.tracing!.collector!.size, 0);
  await kit.terminate();
});

test.run();
