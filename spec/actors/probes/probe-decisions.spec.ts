// Specs of the probes' pure decisions: Kubernetes threshold counting, startup gating, signal
// verdicts and derived health — every branch, table-driven, no system.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { TroupeError } from '../../../runtime/errors.ts';
import { resolveProbeConfig, type ProbeConfig } from '../../../actors/probes/probe-config.ts';
import {
  activeProbes, applyProbeResult, applySignalSample, deriveHealth, describeAskFailure, evaluateSignals, firstProbeAt, nextProbeAt,
  initialCounter, initialStates, isStarted, isTransition, markStopped, messagesToTime, nextHealth,
  recordResult, signalSampleKind, QUIET_MESSAGES, TIMED_PER_ANSWER,
  type ProbeCounter, type ProbeStates,
} from '../../../actors/probes/internal/probe-decisions.ts';

const cfgOf = (c: ProbeConfig) => resolveProbeConfig(c, 'spec');
const T = (failureThreshold: number, successThreshold: number) => ({ failureThreshold, successThreshold });
/** Feeds a sequence of results (`+` success, `-` failure) to a counter. */
function run(c: ProbeCounter, seq: string, t = T(3, 1)): ProbeCounter {
  for (const ch of seq) c = recordResult(c, ch === '+', ch === '+' ? null : `fail-${c.results + 1}`, t);
  return c;
}

const counting = suite('probe decisions: threshold counting (Kubernetes)');

counting('liveness and signals start passing; readiness and startup start failing', () => {
  assert.is(initialCounter('liveness').ok, true);
  assert.is(initialCounter('signals').ok, true);
  assert.is(initialCounter('readiness').ok, false);
  assert.is(initialCounter('startup').ok, false);
});

counting('a passing probe fails only after failureThreshold consecutive failures', () => {
  const cases: [string, number, boolean][] = [
    ['-', 3, true], ['--', 3, true], ['---', 3, false], ['--+--', 3, true], ['--+---', 3, false], ['-', 1, false],
  ];
  for (const [seq, ft, ok] of cases) assert.is(run(initialCounter('liveness'), seq, T(ft, 1)).ok, ok, `${seq} with failureThreshold ${ft}`);
});

counting('a failing probe passes after successThreshold consecutive successes; a failure resets the run', () => {
  const cases: [string, number, boolean][] = [
    ['+', 1, true], ['+', 2, false], ['++', 2, true], ['+-+', 2, false], ['+-++', 2, true],
  ];
  for (const [seq, st, ok] of cases) assert.is(run(initialCounter('readiness'), seq, T(3, st)).ok, ok, `${seq} with successThreshold ${st}`);
});

counting('the reason is the latest failure while failing, cleared once passing', () => {
  const failing = run(initialCounter('liveness'), '---');
  assert.equal([failing.ok, failing.failures, failing.reason, failing.results], [false, 3, 'fail-3', 3]);
  const stillFailing = recordResult(initialCounter('readiness'), false, 'down', T(3, 2));
  const oneGood = recordResult(stillFailing, true, null, T(3, 2));
  assert.is(oneGood.reason, 'down', 'kept while the success run is below the threshold');
  assert.is(recordResult(oneGood, true, null, T(3, 2)).reason, null);
});

counting('a probe passing again with no failure since keeps its counter, and the states stay the same object', () => {
  const t = T(3, 2);
  const ready = run(initialCounter('readiness'), '++', t);
  assert.is(ready.ok, true);
  assert.is(recordResult(ready, true, null, t), ready, 'passing, passing again: nothing to record');
  const wobbly = run(ready, '-', t);
  assert.is.not(recordResult(wobbly, true, null, t), wobbly, 'a success after a failure resets the run');
  assert.is(recordResult(wobbly, true, null, t).failures, 0);
  const fresh = initialCounter('liveness');
  assert.is.not(recordResult(fresh, true, null, t), fresh, 'the first result is recorded: "not yet probed" no more');
  const cfg = cfgOf({ liveness: {}, readiness: {} });
  let p = applyProbeResult(initialStates(cfg), cfg, 'liveness', true, null);
  assert.is(applyProbeResult(p, cfg, 'liveness', true, null), p, 'the same states');
  p = applySignalSample(p, cfg, {});
  assert.is(applySignalSample(p, cfg, {}), p, 'clean, and clean before: the same states');
});

counting('flapping results never reach a threshold of 3', () => {
  assert.is(run(initialCounter('liveness'), '-+-+-+-+-+-+--+--+').ok, true);
});

const gating = suite('probe decisions: startup gating and scheduling');

gating('the startup probe runs alone until it succeeds, then liveness and readiness', () => {
  const cfg = cfgOf({ startup: {}, liveness: {}, readiness: {} });
  let p = initialStates(cfg);
  assert.equal(activeProbes(p), ['startup']);
  assert.is(isStarted(p), false);
  p = applyProbeResult(p, cfg, 'startup', false, 'loading');
  assert.equal(activeProbes(p), ['startup']);
  p = applyProbeResult(p, cfg, 'startup', true, null);
  assert.is(isStarted(p), true);
  assert.equal(activeProbes(p), ['liveness', 'readiness']);
  const after = applyProbeResult(p, cfg, 'startup', false, 'late failure');
  assert.is(after, p, 'a startup result after success changes nothing');
});

gating('without a startup probe liveness and readiness run from the start; only the configured ones', () => {
  assert.equal(activeProbes(initialStates(cfgOf({ liveness: {}, readiness: {} }))), ['liveness', 'readiness']);
  assert.equal(activeProbes(initialStates(cfgOf({ readiness: {} }))), ['readiness']);
  assert.equal(activeProbes(initialStates(cfgOf({ liveness: {} }))), ['liveness']);
  assert.equal(activeProbes(markStopped(initialStates(cfgOf({ liveness: {} })), 'stopped')), []);
});

gating('results for a probe that is not configured, or after the stop, are ignored', () => {
  const cfg = cfgOf({ liveness: {} });
  const p = initialStates(cfg);
  assert.is(applyProbeResult(p, cfg, 'readiness', false, 'x'), p);
  const stopped = markStopped(p, 'stopped (normal)');
  assert.is(applyProbeResult(stopped, cfg, 'liveness', false, 'x'), stopped);
  assert.is(markStopped(stopped, 'again'), stopped, 'the first stop reason stays');
});

gating('the first probe waits its initial delay from the probe actor start', () => {
  const s = cfgOf({ liveness: { initialDelayMs: 5_000, alignMs: 0 } }).liveness!;
  assert.is(firstProbeAt(s, 1_000), 6_000);
  assert.is(firstProbeAt(s, 1_234.5), 6_234.5, 'not aligned: exactly the initial delay on');
});

gating('aligned, the first probe runs at its initial delay rounded up to the grid, the next ones a period on, to the nearest grid point', () => {
  const s = cfgOf({ liveness: { periodMs: 1_000, initialDelayMs: 250 } }).liveness!; // alignMs 100
  assert.is(firstProbeAt(s, 1_030), 1_300, '1 280 → 1 300');
  assert.is(firstProbeAt(s, 1_050), 1_300, 'already on the grid: 1 300');
  assert.is(nextProbeAt(s, 1_300), 2_300, 'on the grid: a period');
  assert.is(nextProbeAt(s, 1_340), 2_300, 'a late run (40 ms) does not drag the next one');
  assert.is(nextProbeAt(s, 1_360), 2_400, 'later than half the grid: the next point');
  assert.is(nextProbeAt(s, 1_340.25), 2_300, 'a fractional clock lands on the grid exactly (runs of one instant batch together)');
  const exact = cfgOf({ liveness: { periodMs: 1_000, alignMs: 0 } }).liveness!;
  assert.is(nextProbeAt(exact, 1_340), 2_340, 'not aligned: exactly a period');
});

gating('signals are sampled on liveness answers, else readiness answers, else none', () => {
  assert.is(signalSampleKind(cfgOf({ liveness: {}, readiness: {} })), 'liveness');
  assert.is(signalSampleKind(cfgOf({ readiness: {} })), 'readiness');
  assert.is(signalSampleKind(cfgOf({ startup: {} })), null);
});

gating('ask failures become reasons', () => {
  assert.is(describeAskFailure(new TroupeError('ask-timeout', 'x'), 750), 'no answer within 750 ms');
  assert.is(describeAskFailure(new TroupeError('actor-dead', 'x'), 1), 'the instance is not alive');
  assert.is(describeAskFailure(new TroupeError('node-unreachable', 'x'), 1), "the instance's node is unreachable");
  assert.is(describeAskFailure(new TroupeError('mailbox-full', 'x'), 1), "the instance's mailbox is full");
  assert.is(describeAskFailure(new TroupeError('system-terminated', 'gone'), 1), 'system-terminated: gone');
  assert.is(describeAskFailure(new Error('plain'), 1), 'plain');
  assert.is(describeAskFailure('text', 1), 'text');
});

const signals = suite('probe decisions: degraded signals');
const thresholds = cfgOf({ liveness: {} }).signals!;

signals('clean readings, or readings not measured, exceed nothing', () => {
  assert.equal(evaluateSignals({}, thresholds), { degraded: [], crashLoop: null });
  assert.equal(evaluateSignals({ mailboxDepth: 1_000, latencyP99Ms: 1_000, latencySamples: 50, errorRate: 0.2, messages: 50, restarts: 3, eventLoopDelayMs: 200 }, thresholds),
    { degraded: [], crashLoop: null }, 'at the thresholds is not over them');
});

signals('each threshold exceeded gives its reason', () => {
  const v = evaluateSignals({ mailboxDepth: 1_001, latencyP99Ms: 1_234.5678, latencySamples: 10, errorRate: 0.5, messages: 10, eventLoopDelayMs: 250, restarts: 4 }, thresholds);
  assert.equal(v.degraded, ['mailbox depth 1001 > 1000', 'latency p99 1230 ms > 1000 ms', 'error rate 0.5 > 0.2', 'event-loop delay p99 250 ms > 200 ms']);
  assert.is(v.crashLoop, 'crash loop: 4 restarts in the signal window > 3');
});

signals('latency and error rate are judged only with minMessages in the window', () => {
  assert.equal(evaluateSignals({ latencyP99Ms: 5_000, latencySamples: 9, errorRate: 1, messages: 9 }, thresholds).degraded, []);
  assert.equal(evaluateSignals({ latencyP99Ms: 5_000, errorRate: 1 }, thresholds).degraded, [], 'no counts: not judged');
});

signals('Infinity turns a signal off', () => {
  const off = cfgOf({ liveness: {}, signals: { mailboxDepth: Infinity, maxRestarts: Infinity } }).signals!;
  assert.equal(evaluateSignals({ mailboxDepth: 1e9, restarts: 1e9 }, off), { degraded: [], crashLoop: null });
});

signals('impaired samples are damped by the signal thresholds (2 to enter, 2 to leave)', () => {
  const cfg = cfgOf({ liveness: {} });
  const bad = { mailboxDepth: 5_000 };
  let p = applySignalSample(initialStates(cfg), cfg, bad);
  assert.is(p.signals!.ok, true, 'one impaired sample is not enough');
  p = applySignalSample(p, cfg, bad);
  assert.is(p.signals!.ok, false);
  assert.equal(p.impaired.degraded, ['mailbox depth 5000 > 1000']);
  p = applySignalSample(p, cfg, {});
  assert.is(p.signals!.ok, false, 'one clean sample is not enough');
  assert.equal(p.impaired.degraded, ['mailbox depth 5000 > 1000'], 'the reasons of the last impaired sample stay');
  p = applySignalSample(p, cfg, {});
  assert.is(p.signals!.ok, true);
});

signals('with signals off, or after the stop, samples change nothing', () => {
  const off = cfgOf({ liveness: {}, signals: false });
  const p = initialStates(off);
  assert.is(p.signals, null);
  assert.is(applySignalSample(p, off, { mailboxDepth: 1e9 }), p);
  const on = cfgOf({ liveness: {} });
  const stopped = markStopped(initialStates(on), 'stopped');
  assert.is(applySignalSample(stopped, on, { mailboxDepth: 1e9 }), stopped);
});

const health = suite('probe decisions: derived health');

/** States after applying `steps` (probe kind and result, or a signal sample). */
function statesOf(c: ProbeConfig, steps: ([kind: 'startup' | 'liveness' | 'readiness', ok: boolean, reason?: string] | { signals: Parameters<typeof evaluateSignals>[0] })[]) {
  const cfg = cfgOf(c);
  let p: ProbeStates = initialStates(cfg);
  for (const s of steps) p = Array.isArray(s) ? applyProbeResult(p, cfg, s[0], s[1], s[2] ?? null) : applySignalSample(p, cfg, s.signals);
  return { p, cfg, h: deriveHealth(p, cfg) };
}

health('before the first readiness answer an instance is starting, live and not ready', () => {
  const { h } = statesOf({ liveness: {}, readiness: {} }, []);
  assert.equal(h, { state: 'starting', live: true, ready: false, started: true, reasons: ['readiness: not yet probed'] });
});

health('a readiness probe short of its successThreshold, never failed, is still starting', () => {
  const c = { readiness: { successThreshold: 2 } };
  assert.equal(statesOf(c, [['readiness', true]]).h, { state: 'starting', live: true, ready: false, started: true, reasons: ['readiness: 1/2 successes to be ready'] });
  assert.is(statesOf(c, [['readiness', true], ['readiness', true]]).h.state, 'healthy');
  const relapsed = statesOf(c, [['readiness', true], ['readiness', true], ['readiness', false, 'x'], ['readiness', false, 'y'], ['readiness', false, 'z'], ['readiness', true]]).h;
  assert.equal([relapsed.state, relapsed.reasons], ['unhealthy', ['readiness: z']], 'after a failure it is unhealthy until ready again');
});

health('with no readiness probe a live instance is ready and healthy at once', () => {
  assert.equal(statesOf({ liveness: {} }, []).h, { state: 'healthy', live: true, ready: true, started: true, reasons: [] });
});

health('startup: starting while it has not succeeded, unhealthy and not live after failureThreshold failures', () => {
  const c = { startup: { failureThreshold: 2 }, liveness: {} };
  assert.equal(statesOf(c, []).h, { state: 'starting', live: true, ready: false, started: false, reasons: ['startup: not yet succeeded'] });
  assert.equal(statesOf(c, [['startup', false, 'warming']]).h.reasons, ['startup: not yet succeeded (warming)']);
  assert.equal(statesOf(c, [['startup', false, 'warming'], ['startup', false, 'cold']]).h,
    { state: 'unhealthy', live: false, ready: false, started: false, reasons: ['startup: cold (2 consecutive failures)'] });
  assert.equal(statesOf(c, [['startup', false, 'a'], ['startup', false, 'b'], ['startup', true]]).h.state, 'healthy', 'a later success starts it');
});

health('not live → unhealthy and not ready, with the liveness reason', () => {
  const { h } = statesOf({ liveness: { failureThreshold: 1 }, readiness: {} }, [['readiness', true], ['liveness', false, 'no answer within 1000 ms']]);
  assert.equal(h, { state: 'unhealthy', live: false, ready: false, started: true, reasons: ['liveness: no answer within 1000 ms'] });
});

health('not live before any readiness answer is unhealthy, not starting', () => {
  assert.is(statesOf({ liveness: { failureThreshold: 1 }, readiness: {} }, [['liveness', false, 'x']]).h.state, 'unhealthy');
});

health('not ready → unhealthy but live, with the readiness reason', () => {
  const { h } = statesOf({ liveness: {}, readiness: {} }, [['readiness', false, 'db: down']]);
  assert.equal(h, { state: 'unhealthy', live: true, ready: false, started: true, reasons: ['readiness: db: down'] });
});

health('a failure without a reason still says which probe failed', () => {
  assert.equal(statesOf({ readiness: {} }, [['readiness', false]]).h.reasons, ['readiness: failed']);
});

health('impaired signals → degraded, still live and ready', () => {
  const big = { signals: { mailboxDepth: 2_000 } };
  const { h } = statesOf({ liveness: {}, readiness: {} }, [['readiness', true], big, big]);
  assert.equal(h, { state: 'degraded', live: true, ready: true, started: true, reasons: ['mailbox depth 2000 > 1000'] });
});

health('a crash loop → not ready and unhealthy (routers stop sending it work)', () => {
  const loop = { signals: { restarts: 9 } };
  const { h } = statesOf({ liveness: {}, readiness: {} }, [['readiness', true], loop, loop]);
  assert.equal(h, { state: 'unhealthy', live: true, ready: false, started: true, reasons: ['crash loop: 9 restarts in the signal window > 3'] });
  assert.is(statesOf({ liveness: {}, readiness: {} }, [loop, loop]).h.state, 'unhealthy', 'also before the first readiness answer');
});

health('impaired signals while the readiness probe has not answered: starting, with the signal reason', () => {
  const big = { signals: { mailboxDepth: 2_000 } };
  const { h } = statesOf({ liveness: {}, readiness: {} }, [big, big]);
  assert.equal(h, { state: 'starting', live: true, ready: false, started: true, reasons: ['mailbox depth 2000 > 1000', 'readiness: not yet probed'] });
});

health('a stopped instance is unhealthy, not live, not ready', () => {
  const cfg = cfgOf({ liveness: {}, readiness: {} });
  assert.equal(deriveHealth(markStopped(initialStates(cfg), 'stopped (failure)'), cfg),
    { state: 'unhealthy', live: false, ready: false, started: true, reasons: ['stopped (failure)'] });
});

health('a transition is a change of state, live, ready or started; sinceMs moves only then', () => {
  const base = { state: 'healthy' as const, live: true, ready: true, started: true, reasons: [] };
  assert.is(isTransition(undefined, base), true);
  assert.is(isTransition(base, { ...base, reasons: ['other'] }), false);
  for (const change of [{ state: 'degraded' as const }, { live: false }, { ready: false }, { started: false }]) {
    assert.is(isTransition(base, { ...base, ...change }), true, JSON.stringify(change));
  }
  const h0 = nextHealth(undefined, base, 10);
  assert.is(h0.sinceMs, 10);
  assert.is(nextHealth(h0, { ...base, reasons: ['x'] }, 20).sinceMs, 10);
  assert.equal(nextHealth(h0, { ...base, reasons: ['x'] }, 20).reasons, ['x'], 'reasons refresh without a transition');
  assert.is(nextHealth(h0, { ...base, state: 'degraded' }, 30).sinceMs, 30);
  assert.is(nextHealth(h0, { ...base, reasons: [] }, 40), h0, 'nothing changed: the same health');
  const h1 = nextHealth(h0, { ...base, reasons: ['a', 'b'] }, 50);
  assert.is(nextHealth(h1, { ...base, reasons: ['a', 'b'] }, 60), h1, 'the same reasons in a new array: the same health');
  assert.equal(nextHealth(h1, { ...base, reasons: ['a', 'c'] }, 70).reasons, ['a', 'c'], 'a reason changed');
});

const timing = suite('probe decisions: which messages are timed');

timing('after an answer: a quiet instance times its next 64 messages (all of them while it stays quiet), a busy one the next 8', () => {
  assert.is(messagesToTime(0), QUIET_MESSAGES, 'no traffic since the last answer');
  assert.is(messagesToTime(QUIET_MESSAGES), QUIET_MESSAGES, 'at the quiet limit');
  assert.is(messagesToTime(QUIET_MESSAGES + 1), TIMED_PER_ANSWER, 'busier: a sample');
  assert.is(messagesToTime(1e9), TIMED_PER_ANSWER, 'the sample does not grow with the rate');
});

counting.run();
timing.run();
gating.run();
signals.run();
health.run();
