// keep-majority: the side with more than half of the members survives; on a tie, the side holding
// the member with the lowest node id. Pure.

import { lowestNode, sides, type DowningDecision, type DowningView } from './view.ts';

/**
 * Decides by majority. With `n` counted members and `r` reachable from here (this node included):
 * `2r > n` keeps this side, `2r < n` downs it, and `2r = n` keeps the side that holds the lowest
 * node id. Every member of one side computes the same answer from the same view.
 * @example
 * decideKeepMajority({ self: 'a', members: [{ node: 'a', incarnation: 1, reachable: true }, { node: 'b', incarnation: 1, reachable: true }, { node: 'c', incarnation: 1, reachable: false }] }); // 'down-unreachable'
 */
export function decideKeepMajority(view: DowningView): DowningDecision {
  const { reachable, unreachable } = sides(view);
  if (unreachable.length === 0) return 'none';
  const n = view.members.length;
  if (reachable.length * 2 > n) return 'down-unreachable';
  if (reachable.length * 2 < n) return 'down-reachable';
  return reachable.includes(lowestNode(view.members)!) ? 'down-unreachable' : 'down-reachable';
}
