// lease: the side whose leader (its lowest node id) acquires a shared lease survives; the other
// side's leader fails to acquire it and downs its side. The lease is any mutual exclusion outside
// the cluster (see pg-lease.ts). Pure decision; the resolver runs the acquire.

import { lowestNode, sides, type DowningDecision, type DowningView } from './view.ts';

/**
 * A lease held outside the cluster. `tryAcquire` resolves true when this node now holds it (or
 * already held it) and false when another holder has it; it must not throw (a failure to reach
 * the lease's store is a `false`: a side that cannot prove it holds the lease downs itself).
 * `release` gives it up.
 */
export interface Lease {
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * The lease strategy's first step: with unreachable members, the leader of this side (its
 * lowest node id) must try the lease (`acquire-lease`); other members `wait` for the leader's
 * decision, which reaches them by gossip.
 * @example
 * decideLease(view); // 'acquire-lease' on the lowest node id of each side
 */
export function decideLease(view: DowningView): DowningDecision {
  const { reachable, unreachable } = sides(view);
  if (unreachable.length === 0) return 'none';
  return lowestNode(reachable)?.node === view.self ? 'acquire-lease' : 'wait';
}

/** Whether this side is a minority (its leader then waits before trying the lease, letting the majority win). */
export function isMinority(view: DowningView): boolean {
  const { reachable } = sides(view);
  return reachable.length * 2 < view.members.length;
}
