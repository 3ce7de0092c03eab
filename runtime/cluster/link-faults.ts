// The fault vocabulary of network links, shared by the simulated network and the chaos layer of
// real transports: the simulator's LinkConditions (delay, jitter, loss, duplication, reordering)
// plus a bandwidth limit, and which direction of a link a fault applies to.

import { TroupeError } from '../errors.ts';
import { refineLinkConditions, type LinkConditions } from './internal/sim-link.ts';

export type { LinkConditions };

/**
 * Faults of one link, as the simulated network's {@link LinkConditions} name them, every field
 * optional, plus `bandwidthBytesPerSec`. On a real transport they come on top of the real link:
 * the defaults are no extra delay (`latencyMs` 0, `jitterMs` 0), no loss, duplication or
 * reordering, and no bandwidth limit. Semantics as in the simulator: `jitterMs` adds a delay drawn
 * uniformly from [0, jitterMs) per frame without reordering; `reorder` holds a frame an extra
 * [0, latencyMs + jitterMs] so later frames may overtake it; `loss`, `duplicate`, `reorder` are
 * probabilities in [0, 1] drawn per frame from a seeded random.
 */
export interface LinkFaults extends Partial<LinkConditions> {
  /** Bytes per second the link carries; frames queue behind each other beyond it (Toxiproxy's `bandwidth`). Default: no limit. */
  readonly bandwidthBytesPerSec?: number;
}

/** Which frames of a link a fault applies to, seen from the node that applies it: `'outbound'` (it sends), `'inbound'` (it receives), or `'both'`. */
export type LinkDirection = 'outbound' | 'inbound' | 'both';

/** A node's link faults resolved: full conditions (zero where not given) and the bandwidth (Infinity: none). */
export interface ResolvedLinkFaults {
  readonly conditions: LinkConditions;
  readonly bandwidthBytesPerSec: number;
}

/** No extra delay, no loss, duplication or reordering: the base a real link's faults refine. */
export const NO_LINK_FAULTS: LinkConditions = Object.freeze({ latencyMs: 0, jitterMs: 0, loss: 0, duplicate: 0, reorder: 0 });

const FIELDS = new Set(['latencyMs', 'jitterMs', 'loss', 'duplicate', 'reorder', 'bandwidthBytesPerSec']);

/**
 * Checks and completes link faults. Throws `invalid-argument` naming the field (`data.field`) for
 * an unknown field, a negative or non-finite delay, a probability outside [0, 1], or a bandwidth
 * that is not a positive number.
 */
export function resolveLinkFaults(faults: LinkFaults, where = 'link faults'): ResolvedLinkFaults {
  if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
    throw new TroupeError('invalid-argument', `${where}: expected an object like { latencyMs: 50, jitterMs: 20, loss: 0.1 }.`, { field: 'faults' });
  }
  for (const k of Object.keys(faults)) {
    if (!FIELDS.has(k)) throw new TroupeError('invalid-argument', `${where}: '${k}' is not a link fault; use ${[...FIELDS].join(', ')}.`, { field: k });
  }
  const { bandwidthBytesPerSec, ...rest } = faults;
  let conditions: LinkConditions;
  try {
    conditions = refineLinkConditions(NO_LINK_FAULTS, rest);
  } catch (e) {
    const field = Object.keys((e as TroupeError).data ?? {})[0];
    throw new TroupeError('invalid-argument', `${where}: ${(e as Error).message}`, { field });
  }
  const bw = bandwidthBytesPerSec ?? Infinity;
  if (typeof bw !== 'number' || !(bw > 0)) {
    throw new TroupeError('invalid-argument', `${where}: bandwidthBytesPerSec must be a number of bytes per second > 0, got ${String(bw)}.`, { field: 'bandwidthBytesPerSec' });
  }
  return Object.freeze({ conditions, bandwidthBytesPerSec: bw });
}
