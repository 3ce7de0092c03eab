// What a split-brain strategy decides from: this node's view of the members and which of them it
// cannot reach, and the decision it returns. Pure data shared by every strategy.

/** One member as a strategy sees it: only `up` and `leaving` members are counted. */
export interface DowningMember {
  readonly node: string;
  readonly incarnation: number;
  /** False when this node's failure detector suspects the member (always true for this node). */
  readonly reachable: boolean;
}

/** The input of a strategy: this node's name and the counted members (this node included). */
export interface DowningView {
  readonly self: string;
  readonly members: readonly DowningMember[];
}

/**
 * What a strategy decides:
 * - `none` — nothing is unreachable, nothing to do;
 * - `down-unreachable` — this side survives: every unreachable member is downed;
 * - `down-reachable` — this side loses: this node and every member it can reach are downed (they stop);
 * - `acquire-lease` — (lease strategy) this node leads its side and must try the lease;
 * - `wait` — (lease strategy) another member of this side decides.
 */
export type DowningDecision = 'none' | 'down-unreachable' | 'down-reachable' | 'acquire-lease' | 'wait';

/** The members of each side, as counts and sets. */
export function sides(view: DowningView): { reachable: DowningMember[]; unreachable: DowningMember[] } {
  const reachable: DowningMember[] = [];
  const unreachable: DowningMember[] = [];
  for (const m of view.members) (m.reachable || m.node === view.self ? reachable : unreachable).push(m);
  return { reachable, unreachable };
}

/** The member with the lowest node id: the tie-breaker of equal sides (every node computes the same). */
export function lowestNode(members: readonly DowningMember[]): DowningMember | undefined {
  let low: DowningMember | undefined;
  for (const m of members) if (low === undefined || m.node < low.node) low = m;
  return low;
}
