// Specs for the circuit breaker: tripping, fast rejection, half-open probes, timeouts, the state$
// stream and snapshot round-trips, all on virtual time.

import { test } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createVirtualScheduler, type VirtualScheduler } from '../../runtime/virtual-clock.ts';
import { isTroupeError } from '../../runtime/errors.ts';
import {
  createCircuitBreaker, type BreakerSnapshot, type BreakerStateChange, type CircuitBreaker, type CircuitBreakerOptions,
} from '../../supervisors/circuit-breaker.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function virtual(startMs = 0): VirtualScheduler {
  return createVirtualScheduler(startMs, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
}

async function advanceTo(s: VirtualScheduler, target: number): Promise<void> {
  for (let i = 0; i < 1000 && s.fireNextDue(target); i++) await flush();
  s.setNow(target);
  await flush();
}

function setup(options: CircuitBreakerOptions = {}, startMs = 0) {
  const scheduler = virtual(startMs);
  const breaker = createCircuitBreaker({ ...options, scheduler });
  const changes: BreakerStateChange[] = [];
  breaker.state$.subscribe((c) => changes.push(c));
  return { scheduler, breaker, changes };
}

const fail = (b: CircuitBreaker): Promise<unknown> => b.execute(() => Promise.reject(new Error('boom'))).then(() => 'ok', (e: unknown) => e);
const succeed = (b: CircuitBreaker): Promise<unknown> => b.execute(() => Promise.resolve('ok')).then((v) => v, (e: unknown) => e);

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

test('trips after N consecutive failures', async () => {
  const { breaker, changes } = setup({ trip: { kind: 'consecutive', failures: 3 } });
  await fail(breaker);
  await fail(breaker);
  assert.is(breaker.state(), 'closed');
  assert.is(breaker.stats().consecutiveFailures, 2);
  await fail(breaker);
  assert.is(breaker.state(), 'open');
  assert.equal(changes, [{ from: 'closed', to: 'open', atMs: 0, reason: 'consecutive-failures' }]);
});

test('defaults trip after 5 consecutive failures', async () => {
  const { breaker } = setup();
  for (let i = 0; i < 4; i++) await fail(breaker);
  assert.is(breaker.state(), 'closed');
  await fail(breaker);
  assert.is(breaker.state(), 'open');
  assert.is(breaker.stats().retryAtMs, 10_000);
});

test('a success resets the consecutive failure count', async () => {
  const { breaker } = setup({ trip: { kind: 'consecutive', failures: 3 } });
  await fail(breaker);
  await fail(breaker);
  assert.is(await succeed(breaker), 'ok');
  assert.is(breaker.stats().consecutiveFailures, 0);
  await fail(breaker);
  await fail(breaker);
  assert.is(breaker.state(), 'closed');
  await fail(breaker);
  assert.is(breaker.state(), 'open');
});

test('failure-rate trip waits for the minimum number of calls', async () => {
  const { breaker, changes } = setup({ trip: { kind: 'failure-rate', rate: 0.5, minimumCalls: 4, windowSize: 6 } });
  for (let i = 0; i < 3; i++) await fail(breaker);
  assert.is(breaker.state(), 'closed', '3 failures out of 3 calls is below minimumCalls');
  await fail(breaker);
  assert.is(breaker.state(), 'open');
  assert.is(changes[0].reason, 'failure-rate');
});

test('failure-rate trip opens at the rate and not below it, over a sliding window', async () => {
  const below = setup({ trip: { kind: 'failure-rate', rate: 0.5, minimumCalls: 4, windowSize: 4 } }).breaker;
  await fail(below);
  for (let i = 0; i < 3; i++) await succeed(below);
  assert.is(below.state(), 'closed', '1 of 4 failed');
  await fail(below); // window: s s s f → 25 %
  assert.is(below.state(), 'closed');
  await fail(below); // window: s s f f → 50 %
  assert.is(below.state(), 'open');
  assert.is(below.stats().windowCalls, 0, 'the window starts afresh when the breaker opens');

  const onSuccess = setup({ trip: { kind: 'failure-rate', rate: 0.5, minimumCalls: 4, windowSize: 10 } }).breaker;
  await fail(onSuccess);
  await fail(onSuccess);
  await succeed(onSuccess);
  assert.is(onSuccess.state(), 'closed');
  await succeed(onSuccess); // 2 of 4 failed: the minimum is reached on a success
  assert.is(onSuccess.state(), 'open');
});

test('open rejects at once with circuit-open, without invoking the call', async () => {
  const { breaker, scheduler } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 2_000 });
  await advanceTo(scheduler, 500);
  await fail(breaker);
  await advanceTo(scheduler, 800);
  let invoked = 0;
  const error = await breaker.execute(async () => { invoked++; return 1; }).then(() => undefined, (e: unknown) => e);
  assert.is(invoked, 0);
  assert.ok(isTroupeError(error, 'circuit-open'));
  assert.is(error.data.state, 'open');
  assert.is(error.data.retryAtMs, 2_500);
  assert.is(error.data.retryInMs, 1_700);
  assert.is(breaker.stats().totalRejected, 1);
});

test('goes half-open after openMs on the scheduler', async () => {
  const { breaker, scheduler, changes } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1_000 });
  await fail(breaker);
  await advanceTo(scheduler, 999);
  assert.is(breaker.state(), 'open');
  await advanceTo(scheduler, 1_000);
  assert.is(breaker.state(), 'half-open');
  assert.equal(changes[1], { from: 'open', to: 'half-open', atMs: 1_000, reason: 'open-elapsed' });
  assert.is(scheduler.pendingTimers, 0);
});

test('a successful probe closes; other calls are refused while it is in flight', async () => {
  const { breaker, scheduler } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1_000 });
  await fail(breaker);
  await advanceTo(scheduler, 1_000);
  const probe = deferred<string>();
  const result = breaker.execute(() => probe.promise);
  let invoked = 0;
  const refused = await breaker.execute(async () => { invoked++; }).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(refused, 'circuit-open'));
  assert.is(refused.data.state, 'half-open');
  assert.is(invoked, 0);
  probe.resolve('pong');
  assert.is(await result, 'pong');
  assert.is(breaker.state(), 'closed');
  assert.is(await succeed(breaker), 'ok');
});

test('with halfOpenProbes = 2 both probes must succeed to close', async () => {
  const { breaker, scheduler } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1_000, halfOpenProbes: 2 });
  await fail(breaker);
  await advanceTo(scheduler, 1_000);
  const a = deferred<number>();
  const b = deferred<number>();
  const ra = breaker.execute(() => a.promise);
  const rb = breaker.execute(() => b.promise);
  assert.ok(isTroupeError(await succeed(breaker), 'circuit-open'), 'a third call is refused');
  a.resolve(1);
  await ra;
  assert.is(breaker.state(), 'half-open');
  b.resolve(2);
  await rb;
  assert.is(breaker.state(), 'closed');
});

test('a failed probe reopens for another openMs', async () => {
  const { breaker, scheduler, changes } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1_000 });
  await fail(breaker);
  await advanceTo(scheduler, 1_500);
  assert.is(breaker.state(), 'half-open');
  await fail(breaker);
  assert.is(breaker.state(), 'open');
  assert.is(breaker.stats().retryAtMs, 2_500);
  assert.equal(changes[2], { from: 'half-open', to: 'open', atMs: 1_500, reason: 'probe-failed' });
  await advanceTo(scheduler, 2_499);
  assert.is(breaker.state(), 'open');
  await advanceTo(scheduler, 2_500);
  assert.is(breaker.state(), 'half-open');
});

test('a call slower than callTimeoutMs counts as a failure and rejects with ask-timeout', async () => {
  const { breaker, scheduler } = setup({ trip: { kind: 'consecutive', failures: 2 }, callTimeoutMs: 300 });
  const slow = deferred<string>();
  let outcome: unknown = 'pending';
  breaker.execute(() => slow.promise).then((v) => { outcome = v; }, (e: unknown) => { outcome = e; });
  await advanceTo(scheduler, 299);
  assert.is(outcome, 'pending');
  await advanceTo(scheduler, 300);
  assert.ok(isTroupeError(outcome, 'ask-timeout'));
  assert.is(breaker.stats().consecutiveFailures, 1);
  assert.is(breaker.stats().totalTimeouts, 1);
  slow.resolve('late');
  await flush();
  assert.is(breaker.stats().consecutiveFailures, 1, 'the late result is ignored');
  const slower = deferred<string>();
  void breaker.execute(() => slower.promise).catch(() => undefined);
  await advanceTo(scheduler, 600);
  assert.is(breaker.state(), 'open');
});

test('a fast call cancels its timeout timer', async () => {
  const { breaker, scheduler } = setup({ callTimeoutMs: 300 });
  assert.is(await succeed(breaker), 'ok');
  assert.is(scheduler.pendingTimers, 0);
});

test('isFailure can clear an error: it is rethrown but counts as a success', async () => {
  const { breaker } = setup({ trip: { kind: 'consecutive', failures: 2 }, isFailure: (e) => !(e instanceof RangeError) });
  await fail(breaker);
  const e = await breaker.execute(() => Promise.reject(new RangeError('not found'))).then(() => undefined, (x: unknown) => x);
  assert.instance(e, RangeError);
  assert.is(breaker.stats().consecutiveFailures, 0);
  await fail(breaker);
  assert.is(breaker.state(), 'closed');
});

test('a result from a call admitted before a state change is ignored', async () => {
  const { breaker, scheduler } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 1_000 });
  const early = deferred<string>();
  const pending = breaker.execute(() => early.promise);
  await fail(breaker);
  assert.is(breaker.state(), 'open');
  await advanceTo(scheduler, 1_000);
  assert.is(breaker.state(), 'half-open');
  early.reject(new Error('stale'));
  await pending.catch(() => undefined);
  assert.is(breaker.state(), 'half-open', 'a closed-era failure is not taken for a probe failure');
  assert.is(await succeed(breaker), 'ok', 'and the probe slot is still free');
  assert.is(breaker.state(), 'closed');
});

test('state$ emits every transition in order', async () => {
  const { breaker, scheduler, changes } = setup({ trip: { kind: 'consecutive', failures: 1 }, openMs: 100 });
  await fail(breaker);
  await advanceTo(scheduler, 100);
  await fail(breaker);
  await advanceTo(scheduler, 200);
  await succeed(breaker);
  assert.equal(changes, [
    { from: 'closed', to: 'open', atMs: 0, reason: 'consecutive-failures' },
    { from: 'open', to: 'half-open', atMs: 100, reason: 'open-elapsed' },
    { from: 'half-open', to: 'open', atMs: 100, reason: 'probe-failed' },
    { from: 'open', to: 'half-open', atMs: 200, reason: 'open-elapsed' },
    { from: 'half-open', to: 'closed', atMs: 200, reason: 'probes-succeeded' },
  ]);
});

test('snapshot → JSON → restore gives the same state', async () => {
  const options: CircuitBreakerOptions = { trip: { kind: 'failure-rate', rate: 0.5, minimumCalls: 4, windowSize: 5 }, openMs: 1_000, halfOpenProbes: 2 };
  const { breaker, scheduler } = setup(options);
  await fail(breaker);
  await succeed(breaker);
  const closed = breaker.snapshot();
  assert.equal(closed.window, ['failure', 'success']);
  const roundTrip = (s: BreakerSnapshot): BreakerSnapshot => JSON.parse(JSON.stringify(s)) as BreakerSnapshot;
  assert.equal(createCircuitBreaker({ ...options, scheduler: virtual(), restore: roundTrip(closed) }).snapshot(), closed);

  await fail(breaker);
  await fail(breaker);
  await advanceTo(scheduler, 400);
  const open = breaker.snapshot();
  assert.is(open.state, 'open');
  assert.is(open.openRemainingMs, 600);
  const later = virtual(50_000);
  const restored = createCircuitBreaker({ ...options, scheduler: later, restore: roundTrip(open) });
  assert.equal(restored.snapshot(), open);
  assert.ok(isTroupeError(await fail(restored), 'circuit-open'));
  await advanceTo(later, 50_599);
  assert.is(restored.state(), 'open');
  await advanceTo(later, 50_600);
  assert.is(restored.state(), 'half-open', 'a restored open breaker waits only what was left');

  await advanceTo(scheduler, 1_000);
  await succeed(breaker);
  const halfOpen = breaker.snapshot();
  assert.is(halfOpen.state, 'half-open');
  assert.is(halfOpen.halfOpenSuccesses, 1);
  const resumed = createCircuitBreaker({ ...options, scheduler: virtual(), restore: roundTrip(halfOpen) });
  assert.equal(resumed.snapshot(), halfOpen);
  await succeed(resumed);
  assert.is(resumed.state(), 'closed', 'one more probe success closes it');
});

test('invalid options throw invalid-argument', () => {
  const scheduler = virtual();
  const bad: CircuitBreakerOptions[] = [
    { trip: { kind: 'consecutive', failures: 0 } },
    { trip: { kind: 'failure-rate', rate: 1.5, minimumCalls: 1, windowSize: 2 } },
    { trip: { kind: 'failure-rate', rate: 0.5, minimumCalls: 5, windowSize: 4 } },
    { openMs: -1 },
    { halfOpenProbes: 0 },
    { callTimeoutMs: 0 },
  ];
  for (const options of bad) {
    assert.throws(() => createCircuitBreaker({ ...options, scheduler }), (e: unknown) => isTroupeError(e, 'invalid-argument'), JSON.stringify(options));
  }
});

test('dispose stops timers, completes state$ and refuses later calls', async () => {
  const { breaker, scheduler } = setup({ trip: { kind: 'consecutive', failures: 1 } });
  let completed = false;
  breaker.state$.subscribe({ complete: () => { completed = true; } });
  await fail(breaker);
  assert.is(scheduler.pendingTimers, 1);
  breaker.dispose();
  assert.is(scheduler.pendingTimers, 0);
  assert.ok(completed);
  assert.ok(isTroupeError(await succeed(breaker), 'system-terminated'));
});

test.run();
