// The circuit breaker's state machine (xstate v5): closed → open → half-open, with the counters
// that decide each move. Internal: the public face is `createCircuitBreaker` in ../circuit-breaker.ts.

import { assign, setup } from 'xstate';
import type { Clock } from '../../runtime/clock.ts';

/** The three states of a circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Why a breaker changed state: it tripped on `'consecutive-failures'` or `'failure-rate'`, its
 * open period ran out (`'open-elapsed'`), its half-open probes all succeeded
 * (`'probes-succeeded'`) or one failed (`'probe-failed'`).
 */
export type BreakerChangeReason = 'consecutive-failures' | 'failure-rate' | 'open-elapsed' | 'probes-succeeded' | 'probe-failed';

/**
 * When a closed breaker opens. `'consecutive'`: after `failures` failures in a row (a success
 * resets the count). `'failure-rate'`: once the last `windowSize` calls (a sliding count window)
 * hold at least `minimumCalls` outcomes and the failed share is `>= rate`.
 */
export type BreakerTrip =
  | { readonly kind: 'consecutive'; readonly failures: number }
  | { readonly kind: 'failure-rate'; readonly rate: number; readonly minimumCalls: number; readonly windowSize: number };

/** The outcome of one admitted call, as recorded in the failure-rate window. */
export type CallOutcome = 'success' | 'failure';

/** Validated settings the machine runs with. */
export interface BreakerSettings {
  readonly trip: BreakerTrip;
  readonly openMs: number;
  readonly halfOpenProbes: number;
}

/** Everything the machine remembers; plain data. Times are on the scheduler's clock. */
export interface BreakerContext {
  readonly consecutiveFailures: number;
  /** Outcomes in the closed state, oldest first, at most `windowSize` long (failure-rate only). */
  readonly window: readonly CallOutcome[];
  readonly openedAtMs: number | undefined;
  readonly retryAtMs: number | undefined;
  readonly halfOpenInFlight: number;
  readonly halfOpenSuccesses: number;
  /** Bumped on every state change; a call's result counts only in the epoch that admitted it. */
  readonly epoch: number;
  readonly changedAtMs: number;
  readonly lastReason: BreakerChangeReason | undefined;
}

/** Where a machine starts: a fresh or restored context (its state is {@link impliedState}). */
export interface BreakerStart {
  readonly context: BreakerContext;
}

/**
 * The state a context belongs to. Invariants kept by every transition: `retryAtMs` is set only
 * while open, and a half-open breaker's `lastReason` is always `'open-elapsed'` (its only way in).
 */
export function impliedState(ctx: BreakerContext): BreakerState {
  if (ctx.retryAtMs !== undefined) return 'open';
  return ctx.lastReason === 'open-elapsed' ? 'half-open' : 'closed';
}

/** What the breaker tells its machine. `epoch` is the one read when the call was admitted. */
export type BreakerEvent =
  | { type: 'call.admitted' }
  | { type: 'call.succeeded'; epoch: number }
  | { type: 'call.failed'; epoch: number };

/** The context of a closed breaker that has seen nothing yet. */
export function freshContext(nowMs: number): BreakerContext {
  return {
    consecutiveFailures: 0, window: [], openedAtMs: undefined, retryAtMs: undefined,
    halfOpenInFlight: 0, halfOpenSuccesses: 0, epoch: 0, changedAtMs: nowMs, lastReason: undefined,
  };
}

/** Counters after recording `outcome` in the closed state (pure). */
export function recordClosed(ctx: BreakerContext, outcome: CallOutcome, trip: BreakerTrip): Pick<BreakerContext, 'consecutiveFailures' | 'window'> {
  const consecutiveFailures = outcome === 'failure' ? ctx.consecutiveFailures + 1 : 0;
  if (trip.kind !== 'failure-rate') return { consecutiveFailures, window: ctx.window };
  const window = [...ctx.window, outcome];
  return { consecutiveFailures, window: window.length > trip.windowSize ? window.slice(window.length - trip.windowSize) : window };
}

/** Whether counters call for opening, and why (pure). */
export function tripReason(counters: Pick<BreakerContext, 'consecutiveFailures' | 'window'>, trip: BreakerTrip): BreakerChangeReason | undefined {
  if (trip.kind === 'consecutive') return counters.consecutiveFailures >= trip.failures ? 'consecutive-failures' : undefined;
  const calls = counters.window.length;
  if (calls < trip.minimumCalls) return undefined;
  const failures = counters.window.filter((o) => o === 'failure').length;
  return failures / calls >= trip.rate ? 'failure-rate' : undefined;
}

/**
 * Builds the machine for one breaker. Time is read from `clock` (the scheduler's), and the
 * open → half-open delay is `retryAtMs - now`, so a restored open breaker waits only what is left.
 * The initial `boot` state is transient: it jumps to the start state, so entering `open` after a
 * restore schedules the delayed transition like any other entry.
 */
export function createBreakerMachine(settings: BreakerSettings, clock: Clock) {
  const opened = (ctx: BreakerContext, reason: BreakerChangeReason): BreakerContext => {
    const now = clock.now();
    return {
      ...freshContext(now), epoch: ctx.epoch + 1,
      openedAtMs: now, retryAtMs: now + settings.openMs, lastReason: reason,
    };
  };
  const sameEpoch = (ctx: BreakerContext, ev: BreakerEvent): boolean => 'epoch' in ev && ev.epoch === ctx.epoch;

  return setup({
    types: {
      context: {} as BreakerContext,
      events: {} as BreakerEvent,
      input: {} as BreakerStart,
    },
    guards: {
      current: ({ context, event }) => sameEpoch(context, event),
      tripsOnFailure: ({ context, event }) =>
        sameEpoch(context, event) && tripReason(recordClosed(context, 'failure', settings.trip), settings.trip) !== undefined,
      tripsOnSuccess: ({ context, event }) =>
        sameEpoch(context, event) && tripReason(recordClosed(context, 'success', settings.trip), settings.trip) !== undefined,
      lastProbe: ({ context, event }) => sameEpoch(context, event) && context.halfOpenSuccesses + 1 >= settings.halfOpenProbes,
    },
    actions: {
      recordFailure: assign(({ context }) => recordClosed(context, 'failure', settings.trip)),
      recordSuccess: assign(({ context }) => recordClosed(context, 'success', settings.trip)),
      tripOnFailure: assign(({ context }) =>
        opened(context, tripReason(recordClosed(context, 'failure', settings.trip), settings.trip) ?? 'consecutive-failures')),
      tripOnSuccess: assign(({ context }) =>
        opened(context, tripReason(recordClosed(context, 'success', settings.trip), settings.trip) ?? 'failure-rate')),
      reopen: assign(({ context }) => opened(context, 'probe-failed')),
      halfOpen: assign(({ context }) => ({
        ...freshContext(clock.now()), epoch: context.epoch + 1, lastReason: 'open-elapsed' as const,
      })),
      close: assign(({ context }) => ({
        ...freshContext(clock.now()), epoch: context.epoch + 1, lastReason: 'probes-succeeded' as const,
      })),
      admitProbe: assign(({ context }) => ({ halfOpenInFlight: context.halfOpenInFlight + 1 })),
      probeSucceeded: assign(({ context }) => ({
        halfOpenInFlight: Math.max(0, context.halfOpenInFlight - 1), halfOpenSuccesses: context.halfOpenSuccesses + 1,
      })),
    },
    delays: {
      untilRetry: ({ context }) => Math.max(0, (context.retryAtMs ?? clock.now()) - clock.now()),
    },
  }).createMachine({
    id: 'circuit-breaker',
    context: ({ input }) => input.context,
    initial: 'boot',
    states: {
      boot: {
        always: [
          { guard: ({ context }) => impliedState(context) === 'open', target: 'open' },
          { guard: ({ context }) => impliedState(context) === 'half-open', target: 'half-open' },
          { target: 'closed' },
        ],
      },
      closed: {
        on: {
          'call.failed': [
            { guard: 'tripsOnFailure', target: 'open', actions: 'tripOnFailure' },
            { guard: 'current', actions: 'recordFailure' },
          ],
          'call.succeeded': [
            { guard: 'tripsOnSuccess', target: 'open', actions: 'tripOnSuccess' },
            { guard: 'current', actions: 'recordSuccess' },
          ],
        },
      },
      open: {
        after: { untilRetry: { target: 'half-open', actions: 'halfOpen' } },
      },
      'half-open': {
        on: {
          'call.admitted': { actions: 'admitProbe' },
          'call.failed': { guard: 'current', target: 'open', actions: 'reopen' },
          'call.succeeded': [
            { guard: 'lastProbe', target: 'closed', actions: 'close' },
            { guard: 'current', actions: 'probeSucceeded' },
          ],
        },
      },
    },
  });
}
