// Link conditions of the simulated network: the per-direction latency, jitter, loss, duplication
// and reordering, and the pure planning of one packet's fate from a seeded random.

import { TroupeError } from '../../errors.ts';
import type { Random } from '../../random.ts';

/**
 * How one directed link (sender → receiver) of a simulated network behaves. Every field is
 * optional where it is accepted; the defaults are written next to each field.
 */
export interface LinkConditions {
  /** Base one-way delay in virtual milliseconds. Default `1`. */
  readonly latencyMs: number;
  /** Extra delay drawn uniformly from [0, jitterMs) per packet; order per link still holds. Default `0`. */
  readonly jitterMs: number;
  /** Probability in [0, 1] that a frame is lost. Default `0`. */
  readonly loss: number;
  /** Probability in [0, 1] that a frame is delivered twice. Default `0`. */
  readonly duplicate: number;
  /**
   * Probability in [0, 1] that a frame leaves the link's FIFO order: it is held an extra delay
   * drawn from [0, latencyMs + jitterMs], so later frames may overtake it. Default `0`.
   */
  readonly reorder: number;
}

/** The conditions of every link nobody configured: 1 ms latency, no jitter, loss, duplication or reordering. */
export const DEFAULT_LINK_CONDITIONS: LinkConditions = Object.freeze({ latencyMs: 1, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0 });

const isProbability = (p: number): boolean => Number.isFinite(p) && p >= 0 && p <= 1;
const isDelay = (ms: number): boolean => Number.isFinite(ms) && ms >= 0;

/** `base` refined by `patch`; throws `invalid-argument` (naming the field) for values out of range. */
export function refineLinkConditions(base: LinkConditions, patch: Partial<LinkConditions> = {}): LinkConditions {
  const c: LinkConditions = { ...base, ...patch };
  for (const key of ['latencyMs', 'jitterMs'] as const) {
    if (!isDelay(c[key])) throw new TroupeError('invalid-argument', `Link condition ${key} must be a finite number ≥ 0 (milliseconds), got ${c[key]}.`, { [key]: c[key] });
  }
  for (const key of ['loss', 'duplicate', 'reorder'] as const) {
    if (!isProbability(c[key])) throw new TroupeError('invalid-argument', `Link condition ${key} is a probability: pass a number in [0, 1], got ${c[key]}.`, { [key]: c[key] });
  }
  return Object.freeze(c);
}

/** What happens to one packet on a link: lost, or delivered `copies` times after `delayMs`. */
export type PacketPlan =
  | { readonly fate: 'lost' }
  | { readonly fate: 'deliver'; readonly delayMs: number; readonly copies: 1 | 2; readonly reordered: boolean };

/**
 * Draws one packet's fate. Control packets (`faulty` false) only get latency and jitter; frames
 * may also be lost, duplicated or reordered. Draws happen in a fixed order and only for the
 * conditions that are non-zero, so the same seed and the same conditions replay identically.
 */
export function planPacket(c: LinkConditions, random: Random, faulty: boolean): PacketPlan {
  if (faulty && c.loss > 0 && random.next() < c.loss) return { fate: 'lost' };
  const copies = faulty && c.duplicate > 0 && random.next() < c.duplicate ? 2 : 1;
  const reordered = faulty && c.reorder > 0 && random.next() < c.reorder;
  let delayMs = c.latencyMs + (c.jitterMs > 0 ? random.next() * c.jitterMs : 0);
  if (reordered) delayMs += random.next() * (c.latencyMs + c.jitterMs);
  return { fate: 'deliver', delayMs, copies, reordered };
}
