// Delivery settings of a subscription: ack timeout, attempts, backoff, in-flight window and
// read-ahead, with their defaults and the checks that reject bad values at subscribe time.

import { TroupeError } from '../../runtime/errors.ts';
import type { Backoff } from '../../supervisors/backoff.ts';

/**
 * How an at-least-once subscription is delivered. Every field is optional; defaults:
 * - `ackTimeoutMs` 5 000: a delivery not acknowledged within it counts as failed;
 * - `maxAttempts` 5: deliveries of one event before it goes to the dead letter queue;
 * - `backoff` `{ minMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 }`: wait before redelivery
 *   number n is `min(maxMs, minMs · factor^(n−1))` scaled by a seeded jitter in [0.8, 1.2];
 * - `maxUnacked` 100: events in flight to a handler actor (sent, not yet acknowledged) at once;
 *   a handler function always gets one event at a time;
 * - `maxBuffered` 1 000: events read ahead from the log and held in memory for this consumer
 *   (in flight included). The consumer pulls more only when it has room, so a slow consumer never
 *   makes anybody's memory grow: unread events wait in the log.
 */
export interface DeliveryOptions {
  readonly ackTimeoutMs?: number;
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  readonly maxUnacked?: number;
  readonly maxBuffered?: number;
}

/** {@link DeliveryOptions} with every default filled in (plain data: it crosses nodes). */
export interface DeliverySettings {
  readonly ackTimeoutMs: number;
  readonly maxAttempts: number;
  readonly backoff: { readonly minMs: number; readonly maxMs: number; readonly factor: number; readonly jitter: number };
  readonly maxUnacked: number;
  readonly maxBuffered: number;
}

/** The defaults written out in {@link DeliveryOptions}. */
export const DEFAULT_DELIVERY: DeliverySettings = Object.freeze({
  ackTimeoutMs: 5_000,
  maxAttempts: 5,
  backoff: Object.freeze({ minMs: 100, maxMs: 10_000, factor: 2, jitter: 0.2 }),
  maxUnacked: 100,
  maxBuffered: 1_000,
});

/** Fills `o` over `base` and checks it; throws `invalid-argument` naming the field and the fix. */
export function resolveDelivery(o: DeliveryOptions | undefined, base: DeliverySettings, where: string): DeliverySettings {
  const b = o?.backoff;
  const s: DeliverySettings = {
    ackTimeoutMs: o?.ackTimeoutMs ?? base.ackTimeoutMs,
    maxAttempts: o?.maxAttempts ?? base.maxAttempts,
    backoff: b === undefined ? base.backoff : { minMs: b.minMs, maxMs: b.maxMs, factor: b.factor ?? 2, jitter: b.jitter ?? 0.2 },
    maxUnacked: o?.maxUnacked ?? base.maxUnacked,
    maxBuffered: o?.maxBuffered ?? base.maxBuffered,
  };
  const bad = (field: string, want: string, got: unknown): never => {
    throw new TroupeError('invalid-argument', `${where}: ${field} must be ${want}, got ${String(got)}.`, { field });
  };
  if (!(s.ackTimeoutMs > 0) || !Number.isFinite(s.ackTimeoutMs)) bad('ackTimeoutMs', 'a finite number of milliseconds > 0 (default 5 000)', s.ackTimeoutMs);
  if (!Number.isInteger(s.maxAttempts) || s.maxAttempts < 1) bad('maxAttempts', 'an integer ≥ 1 (default 5)', s.maxAttempts);
  if (!Number.isInteger(s.maxUnacked) || s.maxUnacked < 1) bad('maxUnacked', 'an integer ≥ 1 (default 100)', s.maxUnacked);
  if (!Number.isInteger(s.maxBuffered) || s.maxBuffered < 1) bad('maxBuffered', 'an integer ≥ 1 (default 1 000)', s.maxBuffered);
  const k = s.backoff;
  if (!(k.minMs >= 0) || !(k.maxMs >= k.minMs) || !Number.isFinite(k.maxMs)) bad('backoff', 'finite { minMs ≥ 0, maxMs ≥ minMs } (default 100 / 10 000)', JSON.stringify(k));
  if (!(k.factor >= 1) || !(k.jitter >= 0 && k.jitter <= 1)) bad('backoff', 'factor ≥ 1 and jitter in [0, 1] (defaults 2 and 0.2)', JSON.stringify(k));
  return s;
}
