// Circuit breaker: stops calling a failing dependency for a while, then probes it before trusting
// it again. Generic over any async call; timers run on the system scheduler (xstate clock adapter).

import { Observable, Subject } from 'rxjs';
import { createActor } from 'xstate';
import type { Scheduler, TimerId } from '../runtime/clock.ts';
import { TroupeError } from '../runtime/errors.ts';
import {
  createBreakerMachine, freshContext, impliedState,
  type BreakerChangeReason, type BreakerContext, type BreakerSettings, type BreakerState, type BreakerTrip, type CallOutcome,
} from './internal/circuit-breaker-machine.ts';

export type { BreakerChangeReason, BreakerState, BreakerTrip, CallOutcome };

/**
 * How a breaker behaves. Every field is optional:
 * - `trip` — when a closed breaker opens. Default `{ kind: 'consecutive', failures: 5 }`.
 *   `{ kind: 'failure-rate', rate: 0.5, minimumCalls: 10, windowSize: 20 }` opens once the last
 *   `windowSize` calls hold at least `minimumCalls` outcomes of which a share `>= rate` failed.
 * - `openMs` — how long it stays open before going half-open. Default `10_000`.
 * - `halfOpenProbes` — how many trial calls a half-open breaker lets through. Default `1`. When
 *   that many probes succeed it closes; the first probe failure reopens it for another `openMs`.
 *   Calls beyond the probes in flight are rejected with `'circuit-open'`.
 * - `callTimeoutMs` — if set, a call not settled within it counts as a failure and `execute`
 *   rejects with `TroupeError('ask-timeout')` (the late result is ignored). Default: no timeout.
 * - `isFailure(error)` — whether a rejection counts as a failure. Default: every rejection does.
 *   A rejection it clears counts as a success (the dependency answered), and is still rethrown.
 */
export interface CircuitBreakerOptions {
  readonly trip?: BreakerTrip;
  readonly openMs?: number;
  readonly halfOpenProbes?: number;
  readonly callTimeoutMs?: number;
  readonly isFailure?: (error: unknown) => boolean;
}

/** One state change, in the order they happen. `atMs` is on the scheduler's clock. */
export interface BreakerStateChange {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly atMs: number;
  readonly reason: BreakerChangeReason;
}

/** Counters of a breaker. Lifetime totals count since this breaker object was created. */
export interface BreakerStats {
  readonly state: BreakerState;
  /** Failures in a row while closed (reset by a success and by every state change). */
  readonly consecutiveFailures: number;
  /** Outcomes in the failure-rate window (always 0 for the consecutive trip). */
  readonly windowCalls: number;
  readonly windowFailures: number;
  /** When the breaker opened and when it will go half-open (scheduler clock), while open. */
  readonly openedAtMs: number | undefined;
  readonly retryAtMs: number | undefined;
  readonly halfOpenInFlight: number;
  readonly halfOpenSuccesses: number;
  readonly totalCalls: number;
  readonly totalSuccesses: number;
  readonly totalFailures: number;
  readonly totalTimeouts: number;
  readonly totalRejected: number;
}

/**
 * The serializable state of a breaker (JSON-safe plain data). The open period is stored as what
 * is left of it, so a snapshot restores correctly under another clock or process. Calls in
 * flight are not part of it.
 */
export interface BreakerSnapshot {
  readonly version: 1;
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly window: readonly CallOutcome[];
  /** Only when open: milliseconds until it goes half-open. */
  readonly openRemainingMs: number | undefined;
  readonly halfOpenSuccesses: number;
  readonly lastReason: BreakerChangeReason | undefined;
}

/** A live circuit breaker. */
export interface CircuitBreaker {
  /**
   * Runs `call` if the breaker admits it and records the outcome. When open it rejects at once
   * with `TroupeError('circuit-open')` whose data carry `retryAtMs` (scheduler clock) and
   * `retryInMs`; half-open with every probe in flight it rejects likewise (`retryAtMs` undefined,
   * `probesInFlight` set). Either way `call` is not invoked. A call's outcome counts only if the
   * breaker has not changed state since it was admitted.
   */
  execute<T>(call: () => Promise<T>): Promise<T>;
  state(): BreakerState;
  /** Every state change; completes on `dispose`. Not replayed to late subscribers. */
  readonly state$: Observable<BreakerStateChange>;
  stats(): BreakerStats;
  snapshot(): BreakerSnapshot;
  /** Stops the machine and its timers and completes `state$`; later `execute`s reject. */
  dispose(): void;
}

/**
 * Creates a circuit breaker whose timers run on `scheduler`; pass `restore` to resume from a
 * {@link BreakerSnapshot}. Invalid options throw `TroupeError('invalid-argument')`.
 *
 * @example
 * const breaker = createCircuitBreaker({ scheduler, trip: { kind: 'consecutive', failures: 3 }, openMs: 5_000 });
 * const total = await breaker.execute(() => ref.ask((r) => ({ type: 'get', replyTo: r }), { timeoutMs: 500 }));
 */
export function createCircuitBreaker(options: CircuitBreakerOptions & { scheduler: Scheduler; restore?: BreakerSnapshot }): CircuitBreaker {
  const { scheduler } = options;
  const settings = validate(options);
  const callTimeoutMs = options.callTimeoutMs;
  if (callTimeoutMs !== undefined && !(callTimeoutMs > 0)) invalid(`callTimeoutMs must be > 0 (got ${callTimeoutMs}); omit it for no timeout.`);
  const isFailure = options.isFailure ?? (() => true);
  const clock = scheduler.clock;

  const startContext = options.restore ? restoredContext(options.restore, settings, clock.now()) : freshContext(clock.now());
  const actor = createActor(createBreakerMachine(settings, clock), {
    input: { context: startContext },
    clock: {
      setTimeout: (fn: () => void, ms: number): TimerId => scheduler.startTimer(ms, fn),
      clearTimeout: (id: TimerId) => scheduler.cancelTimer(id),
    },
  });
  const changes = new Subject<BreakerStateChange>();
  let current: BreakerState = impliedState(startContext);
  actor.subscribe((snap) => {
    const next = snap.value as BreakerState;
    if (next === current) return;
    const from = current;
    current = next;
    const ctx = snap.context;
    changes.next({ from, to: next, atMs: ctx.changedAtMs, reason: ctx.lastReason ?? 'open-elapsed' });
  });
  actor.start();

  let disposed = false;
  const totals = { calls: 0, successes: 0, failures: 0, timeouts: 0, rejected: 0 };
  const context = (): BreakerContext => actor.getSnapshot().context;
  const settle = (epoch: number, outcome: CallOutcome): void => {
    if (outcome === 'success') totals.successes++; else totals.failures++;
    if (!disposed) actor.send(outcome === 'success' ? { type: 'call.succeeded', epoch } : { type: 'call.failed', epoch });
  };

  const rejectOpen = (ctx: BreakerContext): Promise<never> => {
    totals.rejected++;
    const now = clock.now();
    if (ctx.retryAtMs === undefined) {
      return Promise.reject(new TroupeError('circuit-open',
        `Circuit breaker is half-open and its ${settings.halfOpenProbes} probe call(s) are in flight; retry once they settle or use a fallback.`,
        { state: 'half-open', retryAtMs: undefined, retryInMs: undefined, probesInFlight: ctx.halfOpenInFlight }));
    }
    const retryInMs = Math.max(0, ctx.retryAtMs - now);
    return Promise.reject(new TroupeError('circuit-open',
      `Circuit breaker is open (${ctx.lastReason ?? 'tripped'}); calls are refused for another ${retryInMs} ms, then ${settings.halfOpenProbes} probe call(s) are let through. Retry later or use a fallback.`,
      { state: 'open', retryAtMs: ctx.retryAtMs, retryInMs, reason: ctx.lastReason }));
  };

  return {
    execute<T>(call: () => Promise<T>): Promise<T> {
      if (disposed) return Promise.reject(new TroupeError('system-terminated', 'This circuit breaker was disposed; create a new one to make calls.'));
      const ctx = context();
      if (current === 'open' || (current === 'half-open' && ctx.halfOpenInFlight >= settings.halfOpenProbes)) return rejectOpen(ctx);
      const epoch = ctx.epoch;
      actor.send({ type: 'call.admitted' });
      totals.calls++;
      let pending: Promise<T>;
      try { pending = Promise.resolve(call()); } catch (e) { pending = Promise.reject(e); }
      return new Promise<T>((resolve, reject) => {
        let done = false;
        let timer: TimerId | undefined;
        if (callTimeoutMs !== undefined) {
          timer = scheduler.startTimer(callTimeoutMs, () => {
            if (done) return;
            done = true;
            totals.timeouts++;
            settle(epoch, 'failure');
            reject(new TroupeError('ask-timeout', `Call guarded by the circuit breaker did not settle within callTimeoutMs=${callTimeoutMs} ms; raise callTimeoutMs or make the call faster.`, { callTimeoutMs }));
          });
        }
        const finish = (): boolean => {
          if (done) return false;
          done = true;
          if (timer !== undefined) scheduler.cancelTimer(timer);
          return true;
        };
        pending.then(
          (value) => { if (finish()) { settle(epoch, 'success'); resolve(value); } },
          (error: unknown) => { if (finish()) { settle(epoch, countsAsFailure(isFailure, error) ? 'failure' : 'success'); reject(error); } },
        );
      });
    },
    state: () => current,
    state$: changes.asObservable(),
    stats(): BreakerStats {
      const ctx = context();
      return {
        state: current,
        consecutiveFailures: ctx.consecutiveFailures,
        windowCalls: ctx.window.length,
        windowFailures: ctx.window.filter((o) => o === 'failure').length,
        openedAtMs: ctx.openedAtMs, retryAtMs: ctx.retryAtMs,
        halfOpenInFlight: ctx.halfOpenInFlight, halfOpenSuccesses: ctx.halfOpenSuccesses,
        totalCalls: totals.calls, totalSuccesses: totals.successes, totalFailures: totals.failures,
        totalTimeouts: totals.timeouts, totalRejected: totals.rejected,
      };
    },
    snapshot(): BreakerSnapshot {
      const ctx = context();
      return {
        version: 1, state: current, consecutiveFailures: ctx.consecutiveFailures, window: [...ctx.window],
        openRemainingMs: ctx.retryAtMs === undefined ? undefined : Math.max(0, ctx.retryAtMs - clock.now()),
        halfOpenSuccesses: ctx.halfOpenSuccesses, lastReason: ctx.lastReason,
      };
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      actor.stop();
      changes.complete();
    },
  };
}

function countsAsFailure(isFailure: (error: unknown) => boolean, error: unknown): boolean {
  try { return isFailure(error); } catch { return true; }
}

function invalid(message: string): never {
  throw new TroupeError('invalid-argument', message);
}

function validate(options: CircuitBreakerOptions): BreakerSettings {
  const trip: BreakerTrip = options.trip ?? { kind: 'consecutive', failures: 5 };
  if (trip.kind === 'consecutive') {
    if (!Number.isInteger(trip.failures) || trip.failures < 1) invalid(`trip.failures must be an integer >= 1 (got ${trip.failures}).`);
  } else if (trip.kind === 'failure-rate') {
    if (!(trip.rate > 0 && trip.rate <= 1)) invalid(`trip.rate must be in (0, 1] (got ${trip.rate}), e.g. 0.5 for half the calls.`);
    if (!Number.isInteger(trip.windowSize) || trip.windowSize < 1) invalid(`trip.windowSize must be an integer >= 1 (got ${trip.windowSize}).`);
    if (!Number.isInteger(trip.minimumCalls) || trip.minimumCalls < 1 || trip.minimumCalls > trip.windowSize) {
      invalid(`trip.minimumCalls must be an integer in [1, windowSize=${trip.windowSize}] (got ${trip.minimumCalls}).`);
    }
  } else {
    invalid(`trip.kind must be 'consecutive' or 'failure-rate' (got ${JSON.stringify((trip as { kind: unknown }).kind)}).`);
  }
  const openMs = options.openMs ?? 10_000;
  if (!(openMs >= 0) || !Number.isFinite(openMs)) invalid(`openMs must be a finite number >= 0 (got ${openMs}).`);
  const halfOpenProbes = options.halfOpenProbes ?? 1;
  if (!Number.isInteger(halfOpenProbes) || halfOpenProbes < 1) invalid(`halfOpenProbes must be an integer >= 1 (got ${halfOpenProbes}).`);
  return { trip, openMs, halfOpenProbes };
}

function restoredContext(snap: BreakerSnapshot, settings: BreakerSettings, nowMs: number): BreakerContext {
  if (snap.version !== 1) invalid(`Unsupported breaker snapshot version ${String(snap.version)}; expected 1.`);
  const base = freshContext(nowMs);
  const window = settings.trip.kind === 'failure-rate' ? snap.window.slice(-settings.trip.windowSize) : [];
  switch (snap.state) {
    case 'closed':
      return { ...base, consecutiveFailures: snap.consecutiveFailures, window, lastReason: snap.lastReason === 'probes-succeeded' ? snap.lastReason : undefined };
    case 'half-open':
      return { ...base, halfOpenSuccesses: Math.min(snap.halfOpenSuccesses, settings.halfOpenProbes - 1), lastReason: 'open-elapsed' };
    case 'open': {
      const remaining = Math.min(Math.max(0, snap.openRemainingMs ?? settings.openMs), settings.openMs);
      return { ...base, openedAtMs: nowMs - (settings.openMs - remaining), retryAtMs: nowMs + remaining, lastReason: snap.lastReason ?? 'consecutive-failures' };
    }
    default:
      return invalid(`Breaker snapshot state must be 'closed', 'open' or 'half-open' (got ${JSON.stringify(snap.state)}).`);
  }
}
