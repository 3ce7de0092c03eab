// Specs for the phi-accrual failure detector: table-driven, pure, time passed in.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createPhiAccrualDetector, phiOf, type PhiAccrualDetector, type PhiAccrualOptions } from '../../../runtime/cluster/phi-accrual.ts';

/** Feeds heartbeats at the given intervals starting at 0; returns the time of the last one. */
function feed(fd: PhiAccrualDetector, intervals: readonly number[], startMs = 0): number {
  let t = startMs;
  fd.heartbeat(t);
  for (const dt of intervals) { t += dt; fd.heartbeat(t); }
  return t;
}

const repeat = (pattern: readonly number[], n: number): number[] => Array.from({ length: n }, (_, i) => pattern[i % pattern.length]);

/** First time (in `stepMs` steps after `fromMs`) at which the node is no longer available. */
function firstSuspicion(fd: PhiAccrualDetector, fromMs: number, stepMs = 1, limitMs = 120_000): number {
  for (let t = fromMs; t <= fromMs + limitMs; t += stepMs) if (!fd.isAvailable(t)) return t;
  throw new Error('never suspected within the limit');
}

test('phiOf follows the normal tail: 0.30 at the mean, about 2.87 three deviations above', () => {
  const rows: Array<[number, number, number]> = [
    [1000, -Math.log10(0.5), 1e-9],
    [1300, 2.87, 0.05],
    [1100, 0.80, 0.02],
    [900, 0.07, 0.01],
  ];
  for (const [t, expected, tolerance] of rows) {
    const got = phiOf(t, 1000, 100);
    assert.ok(Math.abs(got - expected) <= tolerance, `phiOf(${t}) = ${got}, expected ≈ ${expected}`);
  }
});

test('an unmonitored node is available with phi 0', () => {
  const fd = createPhiAccrualDetector();
  assert.is(fd.isMonitoring, false);
  assert.is(fd.phi(1_000_000), 0);
  assert.ok(fd.isAvailable(1_000_000));
});

test('steady heartbeats keep phi low', () => {
  const rows: Array<{ name: string; intervals: number[] }> = [
    { name: 'exactly every second', intervals: repeat([1000], 60) },
    { name: 'jittery around a second', intervals: repeat([900, 1100, 1000, 950, 1050, 1200, 800], 60) },
    { name: 'every 100 ms', intervals: repeat([100], 300) },
  ];
  for (const { name, intervals } of rows) {
    const fd = createPhiAccrualDetector();
    let t = 0;
    fd.heartbeat(t);
    for (const dt of intervals) {
      assert.ok(fd.phi(t + dt) < 1, `${name}: phi ${fd.phi(t + dt)} at the next beat`);
      t += dt;
      fd.heartbeat(t);
    }
    assert.ok(fd.isAvailable(t + 2 * Math.max(...intervals)), `${name}: two missed beats are tolerated`);
  }
});

test('phi grows monotonically with silence', () => {
  for (const options of [{}, { acceptableHeartbeatPauseMs: 0 }, { minStdDeviationMs: 10 }] satisfies PhiAccrualOptions[]) {
    const fd = createPhiAccrualDetector(options);
    const last = feed(fd, repeat([950, 1050], 40));
    let previous = fd.phi(last);
    for (let t = last + 50; t <= last + 20_000; t += 50) {
      const phi = fd.phi(t);
      assert.ok(phi >= previous, `${JSON.stringify(options)}: phi fell from ${previous} to ${phi} at +${t - last} ms`);
      previous = phi;
    }
    assert.ok(previous > fd.phi(last) + 8, 'and grows well past the threshold');
  }
});

test('suspicion comes after mean interval + acceptable pause, within a margin', () => {
  const rows: Array<{ options: PhiAccrualOptions; interval: number; marginMs: number }> = [
    { options: {}, interval: 1000, marginMs: 1000 },
    { options: { acceptableHeartbeatPauseMs: 0 }, interval: 1000, marginMs: 1000 },
    { options: { threshold: 3, acceptableHeartbeatPauseMs: 500, firstHeartbeatEstimateMs: 200 }, interval: 200, marginMs: 500 },
    { options: { threshold: 12 }, interval: 1000, marginMs: 1000 },
  ];
  for (const { options, interval, marginMs } of rows) {
    const fd = createPhiAccrualDetector(options);
    const last = feed(fd, repeat([interval], 50));
    const expectedAfter = last + interval + fd.options.acceptableHeartbeatPauseMs;
    const at = firstSuspicion(fd, last);
    assert.ok(at > expectedAfter, `${JSON.stringify(options)}: suspected at +${at - last} ms, before mean + pause`);
    assert.ok(at <= expectedAfter + marginMs, `${JSON.stringify(options)}: suspected only at +${at - last} ms`);
    assert.ok(fd.isAvailable(at - 1));
    assert.ok(fd.phi(at) >= fd.options.threshold);
  }
});

test('a higher threshold and a longer acceptable pause each delay suspicion', () => {
  const suspicionFor = (options: PhiAccrualOptions): number => {
    const fd = createPhiAccrualDetector(options);
    return firstSuspicion(fd, feed(fd, repeat([1000], 30)));
  };
  const pauses = [0, 1000, 3000, 10_000];
  const byPause = pauses.map((p) => suspicionFor({ acceptableHeartbeatPauseMs: p }));
  for (let i = 1; i < pauses.length; i++) {
    assert.is(byPause[i] - byPause[i - 1], pauses[i] - pauses[i - 1], 'the pause shifts the curve by exactly itself');
  }
  const byThreshold = [1, 4, 8, 16].map((threshold) => suspicionFor({ threshold }));
  for (let i = 1; i < byThreshold.length; i++) assert.ok(byThreshold[i] > byThreshold[i - 1]);
});

test('the first heartbeat after a suspected failure does not skew the statistics', () => {
  const fd = createPhiAccrualDetector();
  const last = feed(fd, repeat([1000], 50));
  const before = firstSuspicion(fd, last) - last;
  const resumed = last + 60_000;
  fd.heartbeat(resumed);
  assert.is(firstSuspicion(fd, resumed) - resumed, before);
});

test('only the last maxSampleSize intervals count', () => {
  const short = createPhiAccrualDetector({ maxSampleSize: 10 });
  const long = createPhiAccrualDetector({ maxSampleSize: 200 });
  const reference = createPhiAccrualDetector({ maxSampleSize: 10 });
  const intervals = [...repeat([100], 20), ...repeat([1000], 10)];
  const lastShort = feed(short, intervals);
  const lastLong = feed(long, intervals);
  const lastRef = feed(reference, repeat([1000], 20));
  assert.is(firstSuspicion(short, lastShort) - lastShort, firstSuspicion(reference, lastRef) - lastRef);
  assert.is.not(firstSuspicion(long, lastLong) - lastLong, firstSuspicion(short, lastShort) - lastShort, 'a longer history remembers the 100 ms beats');
});

test('a heartbeat earlier than the latest is ignored', () => {
  const fd = createPhiAccrualDetector();
  const last = feed(fd, repeat([1000], 10));
  const phi = fd.phi(last + 2000);
  fd.heartbeat(last - 500);
  assert.is(fd.phi(last + 2000), phi);
});

test('invalid settings throw invalid-argument', () => {
  const bad: PhiAccrualOptions[] = [
    { threshold: 0 }, { maxSampleSize: 0 }, { maxSampleSize: 1.5 }, { minStdDeviationMs: 0 },
    { acceptableHeartbeatPauseMs: -1 }, { firstHeartbeatEstimateMs: 0 }, { threshold: Number.NaN },
  ];
  for (const options of bad) {
    assert.throws(() => createPhiAccrualDetector(options), (e: unknown) => isTroupeError(e, 'invalid-argument'), JSON.stringify(options));
  }
});

test.run();
