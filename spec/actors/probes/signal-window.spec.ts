// Specs of the signal window: counts and p99 over a sliding window of time buckets.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { p99, SAMPLES_PER_BUCKET, SignalWindow } from '../../../actors/probes/internal/signal-window.ts';
import fc from 'fast-check';

const window = suite('signal window');

window('p99 by nearest rank', () => {
  assert.is(p99([]), 0);
  assert.is(p99([5]), 5);
  assert.is(p99(Array.from({ length: 100 }, (_, i) => i + 1)), 99);
  assert.is(p99(Array.from({ length: 200 }, (_, i) => 200 - i)), 198);
});

window('p99 agrees with sorting, for any samples (property)', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 800 }), (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return p99(xs) === sorted[Math.ceil(0.99 * xs.length) - 1];
  }), { numRuns: 300, seed: 10 });
});

window('counts messages from a running total, errors and restarts, and the error rate', () => {
  const w = new SignalWindow(30_000);
  for (let i = 0; i < 10; i++) w.record(2, 1_000);
  w.countMessages(8, 1_000);
  w.countMessages(10, 2_000);
  w.recordError(2_000);
  w.recordError(2_000);
  w.recordRestart(2_500);
  assert.equal(w.read(3_000), { messages: 10, errors: 2, errorRate: 0.2, latencyP99Ms: 2, latencySamples: 10, restarts: 1 });
  w.countMessages(4, 3_000);
  assert.is(w.read(3_000).messages, 10, 'a total that went down adds nothing');
  w.countMessages(6, 3_000);
  assert.is(w.read(3_000).messages, 12, 'and counts on from the new total');
  assert.equal(new SignalWindow(30_000).read(0), { messages: 0, errors: 0, errorRate: 0, latencyP99Ms: 0, latencySamples: 0, restarts: 0 });
});

window('the error rate is capped at 1', () => {
  const w = new SignalWindow(30_000);
  w.countMessages(1, 0);
  w.recordError(0);
  w.recordError(0);
  assert.is(w.read(0).errorRate, 1);
});

window('old buckets slide out: after a whole window nothing is left', () => {
  const w = new SignalWindow(6_000);
  for (let i = 0; i < 10; i++) { w.record(500, 500); w.recordError(500); }
  w.countMessages(10, 500);
  assert.equal([w.read(5_000).messages, w.read(5_000).latencyP99Ms], [10, 500]);
  const later = w.read(6_500);
  assert.equal([later.messages, later.errors, later.latencySamples], [0, 0, 0], 'the first bucket (0–1 s) left the window at 6 s');
  w.countMessages(13, 12_000);
  assert.is(w.read(12_000).messages, 3, 'a bucket reused for a later epoch starts empty');
});

window('the p99 follows the slow tail', () => {
  const w = new SignalWindow(30_000);
  for (let i = 0; i < 50; i++) w.record(1, 1_000);
  for (let i = 0; i < 49; i++) w.record(1, 6_000);
  w.record(900, 6_000);
  assert.is(w.read(6_000).latencyP99Ms, 1, 'one slow message in 100 is the 100th percentile, not the 99th');
  for (let i = 0; i < 5; i++) w.record(900, 6_000);
  assert.is(w.read(6_000).latencyP99Ms, 900);
});

window('a bucket keeps its newest samples; the p99 spans every bucket of the window', () => {
  const w = new SignalWindow(30_000);
  for (let i = 0; i < SAMPLES_PER_BUCKET; i++) w.record(1_000, 1_000);
  for (let i = 0; i < SAMPLES_PER_BUCKET; i++) w.record(1, 1_000);
  assert.equal([w.read(1_000).latencySamples, w.read(1_000).latencyP99Ms], [SAMPLES_PER_BUCKET, 1]);
  for (let i = 0; i < 10; i++) w.record(700, 6_000); // the next bucket
  assert.equal([w.read(6_000).latencySamples, w.read(6_000).latencyP99Ms], [SAMPLES_PER_BUCKET + 10, 700]);
});

window('a timing added late joins the bucket of its time, or is dropped once out of the window', () => {
  const w = new SignalWindow(6_000); // buckets of 1 s
  w.recordError(4_500); // the window is at 4–5 s
  w.record(300, 2_500); // late: the 2–3 s bucket, still in the window
  w.record(100, 3_500); // the 3–4 s bucket, a bucket not used before
  w.record(900, -1_500); // before the window: dropped
  assert.equal([w.read(4_500).latencySamples, w.read(4_500).latencyP99Ms], [2, 300]);
  assert.equal([w.read(8_500).latencySamples, w.read(8_500).latencyP99Ms], [1, 100], 'each slides out with its own bucket');
  assert.is(w.read(9_500).latencySamples, 0);
});

window.run();
