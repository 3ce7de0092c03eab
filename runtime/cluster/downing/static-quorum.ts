// static-quorum: a side survives when it has at least `quorumSize` members; a side below quorum
// downs itself. For a fixed-size cluster (quorumSize > half of it). Pure.

import { TroupeError } from '../../errors.ts';
import { sides, type DowningDecision, type DowningView } from './view.ts';

/**
 * Decides by a fixed quorum: this side survives when it counts at least `quorumSize` members
 * (this node included) and the unreachable side counts fewer. When both could reach quorum (the
 * cluster grew past `2 × quorumSize - 1`) neither is trusted and this side downs itself, as Akka
 * does. `quorumSize` must be an integer ≥ 1.
 * @example
 * decideStaticQuorum(view, 2); // 'down-unreachable' when 2 of 3 are reachable from here
 */
export function decideStaticQuorum(view: DowningView, quorumSize: number): DowningDecision {
  checkQuorumSize(quorumSize);
  const { reachable, unreachable } = sides(view);
  if (unreachable.length === 0) return 'none';
  if (reachable.length < quorumSize || unreachable.length >= quorumSize) return 'down-reachable';
  return 'down-unreachable';
}

export function checkQuorumSize(quorumSize: number): void {
  if (!Number.isInteger(quorumSize) || quorumSize < 1) {
    throw new TroupeError('invalid-argument', `static-quorum: quorumSize must be an integer ≥ 1, got ${quorumSize}; set it above half the cluster's size (2 for 3 nodes, 3 for 5).`, { quorumSize });
  }
}
