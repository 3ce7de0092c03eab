// Specs of the signal window: counts and p99 over a sliding window of time buckets, sampled timing.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { p99, SignalWindow } from '../../../actors/probes/internal/signal-window.ts';

const window = suite('signal window');

/** Handles `n` messages of `ms` each at time `at` (every one timed while the window asks for it). */
function handle(w: SignalWindow, n: number, ms: number, at: number, failed = false): number {
  let timed = 0;
  for (let i = 0; i < n; i++) {
    if (w.shouldTime()) { w.record(ms, at); timed++; }
    if (failed) w.recordError(at);
  }
  return timed;
}

window('p99 by nearest rank', () => {
  assert.is(p99([]), 0);
  assert.is(p99([5]), 5);
  assert.is(p99(Array.from({ length: 100 }, (_, i) => i + 1)), 99);
  assert.is(p99(Array.from({ length: 200 }, (_, i) => 200 - i)), 198);
});

window('counts messages, errors and restarts, and the error rate, over the window', () => {
  const w = new SignalWindow(30_000);
  handle(w, 8, 2, 1_000);
  handle(w, 2, 2, 2_000, true);
  w.recordRestart(2_500);
  const r = w.read(3_000);
  assert.equal(r, { messages: 10, errors: 2, errorRate: 0.2, latencyP99Ms: 2, latencySamples: 10, restarts: 1 });
  assert.equal(new SignalWindow(30_000).read(0), { messages: 0, errors: 0, errorRate: 0, latencyP99Ms: 0, latencySamples: 0, restarts: 0 });
});

window('old buckets slide out: after a whole window of quiet nothing is left', () => {
  const w = new SignalWindow(6_000);
  handle(w, 10, 500, 500, true);
  assert.is(w.read(5_000).messages, 10);
  assert.is(w.read(5_000).latencyP99Ms, 500);
  const later = w.read(6_500);
  assert.equal([later.messages, later.errors, later.latencySamples], [0, 0, 0], 'the first bucket (0–1 s) left the window at 6 s');
  handle(w, 3, 1, 12_000);
  assert.is(w.read(12_000).messages, 3, 'a bucket reused for a later epoch starts empty');
});

window('the p99 follows the slow tail', () => {
  const w = new SignalWindow(30_000);
  handle(w, 99, 1, 1_000);
  handle(w, 1, 900, 1_000);
  assert.is(w.read(1_000).latencyP99Ms, 1, 'one slow message in 100 is the 100th percentile, not the 99th');
  handle(w, 5, 900, 1_000);
  assert.is(w.read(1_000).latencyP99Ms, 900);
});

window('timing is dense up to 128 samples per bucket, then one message in 64; counting stays exact', () => {
  const w = new SignalWindow(30_000);
  const timed = handle(w, 128 + 640, 3, 1_000);
  assert.is(timed, 128 + 10);
  const r = w.read(1_000);
  assert.is(r.messages, 768);
  assert.is(r.latencySamples, 128, 'the bucket keeps the newest 128 samples');
  assert.is(handle(w, 74, 3, 6_000), 1 + 10, 'the next sparse sample (64 messages on) opens the new bucket, which is dense again');
});

window('a read rotates the bucket, so the next messages are timed densely again', () => {
  const w = new SignalWindow(30_000);
  handle(w, 200, 1, 1_000);
  w.read(7_000);
  assert.is(w.shouldTime(), true);
});

window.run();
