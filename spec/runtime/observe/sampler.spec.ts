// Sampling policies: each decision table-driven on a seeded random and a hand-moved clock, and
// through a system — decided once where a trace starts, honoured by every hop after it.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import {
  defineActor, isTroupeError, sampleAlways, sampleNever, sampleParentBased, sampleRateLimited, sampleRatio, type ActorRef, type SamplerSpec, type TraceIds,
} from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createSampleDecision } from '../../../runtime/observe/sampler.ts';
import { createSeededRandom } from '../../../runtime/random.ts';

const test = suite('sampling');

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const parent = (sampled: boolean) => ({ traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: sampled ? 1 : 0, isRemote: true });

function decider(spec: SamplerSpec, clock = { now: () => 0 }) {
  return createSampleDecision(spec, createSeededRandom(7), clock);
}

const count = (decide: (p: undefined) => boolean, n: number): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (decide(undefined)) k++;
  return k;
};

test('always and never ignore any parent', () => {
  for (const p of [undefined, parent(true), parent(false)]) {
    assert.is(decider(sampleAlways())(p), true);
    assert.is(decider(sampleNever())(p), false);
  }
});

test('ratio samples about that share of new traces (seeded: the same count on every run)', () => {
  const n = 20_000;
  const k = count(decider(sampleRatio(0.25)), n);
  // mean 5 000, σ ≈ 61: ±4σ
  assert.ok(k > 4_750 && k < 5_250, `sampled ${k} of ${n}`);
  assert.is(count(decider(sampleRatio(0.25)), n), k, 'same seed, same decisions');
  assert.is(count(decider(sampleRatio(0)), 1_000), 0);
  assert.is(count(decider(sampleRatio(1)), 1_000), 1_000);
  const small = count(decider(sampleRatio(0.01)), 100_000);
  assert.ok(small > 880 && small < 1_120, `1 %: sampled ${small} of 100 000`);
});

test('rate-limited allows a second’s worth at once, then refills with the clock', () => {
  let now = 0;
  const decide = decider(sampleRateLimited(10), { now: () => now });
  assert.is(count(decide, 50), 10, 'a burst of one second’s budget');
  now = 100;
  assert.is(count(decide, 50), 1, '100 ms refills one');
  now = 10_000;
  assert.is(count(decide, 50), 10, 'refills up to one second’s worth, no more');
  const half = decider(sampleRateLimited(0.5), { now: () => now });
  assert.is(count(half, 5), 1, 'below one a second: one token at a time');
  now += 1_000;
  assert.is(count(half, 5), 0);
  now += 1_000;
  assert.is(count(half, 5), 1);
});

test('parent-based follows the parent’s flag, and its root sampler without one', () => {
  const decide = decider(sampleParentBased(sampleNever()));
  assert.is(decide(parent(true)), true);
  assert.is(decide(parent(false)), false);
  assert.is(decide(undefined), false);
  assert.is(decider(sampleParentBased())(undefined), true, 'default root: always');
  assert.is(decider(sampleParentBased())(parent(false)), false);
});

test('bad policies fail with invalid-argument naming the fix', () => {
  for (const make of [() => sampleRatio(1.5), () => sampleRatio(Number.NaN), () => sampleRateLimited(0), () => sampleRateLimited(Infinity),
    () => sampleParentBased({ kind: 'sometimes' } as unknown as SamplerSpec), () => createTestSystem({ tracing: { sampler: { kind: 'ratio', ratio: -1 } } })]) {
    try { make(); assert.unreachable('accepted'); } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'), String(e));
      assert.match((e as Error).message, /sample/);
    }
  }
});

// ---- through a system -----------------------------------------------------------------------

type Hop = { type: 'hop'; left: number; next: ActorRef<Hop>[]; seen: (ids: TraceIds | undefined) => void };
const hop = defineActor<Hop, undefined>({
  init: () => undefined,
  receive: (_s, m, ctx) => {
    m.seen(ctx.trace);
    if (m.left > 0) ctx.send(m.next[0], { ...m, left: m.left - 1, next: m.next.slice(1) });
  },
});

test('the decision is made once at the root: every hop of a trace is recorded, or none is', async () => {
  const kit = createTestSystem({ seed: 5, tracing: { sampler: sampleRatio(0.3) } });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => kit.spawn(hop, n));
  const seen: { root: number; ids: TraceIds | undefined }[] = [];
  for (let i = 0; i < 200; i++) {
    kit.tracing!.inSpan('request', () => a.tell({ type: 'hop', left: 2, next: [b, c], seen: (ids) => seen.push({ root: i, ids }) }));
  }
  await kit.runUntilIdle();
  const collector = kit.tracing!.collector!;
  const traces = collector.traces();
  assert.ok(traces.length > 30 && traces.length < 90, `${traces.length} of 200 sampled`);
  for (const t of traces) assert.is(t.spanCount, 4, 'root + three process spans, never part of a trace');
  const traced = seen.filter((s) => s.ids !== undefined);
  assert.is(traced.length, traces.length * 3, 'handlers see a trace exactly in the sampled requests');
  for (let i = 0; i < 200; i++) {
    const hops = seen.filter((s) => s.root === i);
    assert.is(hops.length, 3);
    assert.ok(hops.every((h) => h.ids === undefined) || new Set(hops.map((h) => h.ids?.traceId)).size === 1, 'one decision per request');
  }
  await kit.terminate();
});

test('never: no spans, handlers see no trace, messages arrive as sent', async () => {
  const kit = createTestSystem({ tracing: { sampler: sampleNever() } });
  const a = kit.spawn(hop, 'a');
  const seen: (TraceIds | undefined)[] = [];
  kit.tracing!.inSpan('request', (span) => {
    assert.is(span.isRecording(), false);
    a.tell({ type: 'hop', left: 0, next: [], seen: (ids) => seen.push(ids) });
  });
  await kit.runUntilIdle();
  assert.equal(seen, [undefined]);
  assert.is(kit.tracing!.collector!.size, 0);
  await kit.terminate();
});

test('a context from outside decides for parent-based: sampled continues its trace id, unsampled records nothing', async () => {
  const kit = createTestSystem({ tracing: true });
  const a = kit.spawn(hop, 'a');
  const seen: (TraceIds | undefined)[] = [];
  const send = () => a.tell({ type: 'hop', left: 0, next: [], seen: (ids) => seen.push(ids) });
  kit.tracing!.inSpan('in', send, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` });
  kit.tracing!.inSpan('in', send, { traceparent: `00-${TRACE}-00f067aa0ba902b7-00` });
  await kit.runUntilIdle();
  assert.is(seen[0]?.traceId, TRACE);
  assert.is(seen[1], undefined);
  const spans = kit.tracing!.collector!.spans();
  assert.equal(spans.map((s) => [s.name, s.traceId]), [['in', TRACE], ['process hop', TRACE]]);
  assert.is(spans.find((s) => s.name === 'in')!.parentSpanId, '00f067aa0ba902b7');
  await kit.terminate();
});

test.run();
