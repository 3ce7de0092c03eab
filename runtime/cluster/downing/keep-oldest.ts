// keep-oldest: the side holding the oldest member (the lowest incarnation) survives; with
// `downIfAlone`, an oldest member cut off alone downs itself and the others survive. Pure.

import { sides, type DowningDecision, type DowningMember, type DowningView } from './view.ts';

/** The oldest member: the lowest incarnation (the earliest start), ties by node id. */
export function oldestMember(members: readonly DowningMember[]): DowningMember | undefined {
  let old: DowningMember | undefined;
  for (const m of members) if (old === undefined || m.incarnation < old.incarnation || (m.incarnation === old.incarnation && m.node < old.node)) old = m;
  return old;
}

/**
 * Keeps the side with the oldest member. With `downIfAlone` (default true) an oldest member
 * that is alone on its side while the other side has two members or more is the one downed, so a
 * single sick node cannot take the rest of the cluster with it.
 * @example
 * decideKeepOldest(view); // 'down-unreachable' when the oldest member is reachable from here
 */
export function decideKeepOldest(view: DowningView, downIfAlone = true): DowningDecision {
  const { reachable, unreachable } = sides(view);
  if (unreachable.length === 0) return 'none';
  const oldest = oldestMember(view.members)!;
  const oldestHere = reachable.includes(oldest);
  if (oldestHere) return downIfAlone && reachable.length === 1 && unreachable.length >= 2 ? 'down-reachable' : 'down-unreachable';
  return downIfAlone && unreachable.length === 1 && reachable.length >= 2 ? 'down-unreachable' : 'down-reachable';
}
