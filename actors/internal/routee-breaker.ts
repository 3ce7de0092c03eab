// One routee's circuit breaker in a router, as pure transitions: closed → open on consecutive
// failures (or a trip by recovery) → half-open after the cool-down, one trial → closed or open.

import { mayEject } from '../recovery/internal/recovery-decisions.ts';

/**
 * Settings of a router's breakers, defaults filled in: `failures` consecutive failed asks open a
 * closed breaker; it stays open `openMs`, then lets one trial ask through (half-open); at most
 * `maxEjectedFraction` of the routees may have a breaker that is not closed (never the last one).
 */
export interface BreakerSettings {
  readonly failures: number;
  readonly openMs: number;
  readonly maxEjectedFraction: number;
}

/**
 * A routee's breaker. `epoch` grows at every change of state, so the outcome of an ask sent in an
 * earlier state is ignored. Half-open: `trial` is true while its one trial ask is in flight.
 */
export type RouteeBreaker =
  | { readonly state: 'closed'; readonly epoch: number; readonly failures: number }
  | { readonly state: 'open'; readonly epoch: number; readonly retryAtMs: number; readonly reason: 'failures' | 'recovery' }
  | { readonly state: 'half-open'; readonly epoch: number; readonly trial: boolean };

/** A breaker that has seen nothing. */
export const CLOSED: RouteeBreaker = Object.freeze({ state: 'closed', epoch: 0, failures: 0 });

/** The breaker at `nowMs`: an open one whose cool-down is over is half-open, its trial not yet sent. */
export function current(b: RouteeBreaker, nowMs: number): RouteeBreaker {
  return b.state === 'open' && nowMs >= b.retryAtMs ? { state: 'half-open', epoch: b.epoch + 1, trial: false } : b;
}

/** What a routee may take at `nowMs`: anything (`'closed'`), only an ask as the trial (`'trial'`), or nothing (`'open'`). */
export function admission(b: RouteeBreaker, nowMs: number): 'closed' | 'trial' | 'open' {
  const c = current(b, nowMs);
  if (c.state === 'closed') return 'closed';
  return c.state === 'half-open' && !c.trial ? 'trial' : 'open';
}

/** After an ask was sent to the routee: a half-open breaker's trial is in flight. */
export function sent(b: RouteeBreaker, nowMs: number): RouteeBreaker {
  const c = current(b, nowMs);
  return c.state === 'half-open' ? { state: 'half-open', epoch: c.epoch, trial: true } : c;
}

/** After an ask sent in `epoch` succeeded: a closed breaker forgets its failures, a half-open one closes. */
export function succeeded(b: RouteeBreaker, epoch: number, nowMs: number): RouteeBreaker {
  const c = current(b, nowMs);
  if (c.epoch !== epoch) return c;
  if (c.state === 'half-open') return { state: 'closed', epoch: c.epoch + 1, failures: 0 };
  return c.state === 'closed' && c.failures > 0 ? { state: 'closed', epoch: c.epoch, failures: 0 } : c;
}

/**
 * After an ask sent in `epoch` failed: a closed breaker counts it and opens at `failures` in a
 * row when `mayOpen` (the ejection cap allows one more; otherwise it stays closed at the
 * threshold, and the next failure asks again); a half-open one opens again for `openMs`.
 */
export function failed(b: RouteeBreaker, epoch: number, settings: BreakerSettings, nowMs: number, mayOpen: boolean): RouteeBreaker {
  const c = current(b, nowMs);
  if (c.epoch !== epoch) return c;
  if (c.state === 'half-open') return { state: 'open', epoch: c.epoch + 1, retryAtMs: nowMs + settings.openMs, reason: 'failures' };
  if (c.state === 'open') return c;
  const failures = Math.min(c.failures + 1, settings.failures);
  if (failures >= settings.failures && mayOpen) return { state: 'open', epoch: c.epoch + 1, retryAtMs: nowMs + settings.openMs, reason: 'failures' };
  return { state: 'closed', epoch: c.epoch, failures };
}

/** Recovery circuit-broke the routee: a closed breaker opens for `openMs` when `mayOpen`; one not closed is left as it is. */
export function tripped(b: RouteeBreaker, settings: BreakerSettings, nowMs: number, mayOpen: boolean): RouteeBreaker {
  const c = current(b, nowMs);
  if (c.state !== 'closed' || !mayOpen) return c;
  return { state: 'open', epoch: c.epoch + 1, retryAtMs: nowMs + settings.openMs, reason: 'recovery' };
}

/** Whether one more breaker may leave `closed` among `routees` of which `notClosed` already have: the routers' max ejected fraction. */
export function mayOpen(routees: number, notClosed: number, settings: BreakerSettings): boolean {
  return mayEject(routees, notClosed, settings.maxEjectedFraction);
}
