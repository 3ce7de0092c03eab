// Partitions: where a record goes (hash of its key, or of its id when it has none) and which
// live member of a consumer group owns each partition (rendezvous hashing: a member joining or
// leaving moves only its own share).

import { murmur3 } from '../../runtime/cluster/hash-ring.ts';

/** The hash every node (and every version) uses for keys and members: murmur3, pinned by a spec. */
export function hashString(s: string): number {
  return murmur3(s);
}

/** The partition of a record: `hash(key ?? id) mod partitions`. */
export function partitionOf(key: string | undefined, id: string, partitions: number): number {
  return hashString(key ?? id) % partitions;
}

/**
 * The owner of `partition` among `members` (ids, any order): the member with the highest
 * `hash(partition | member)`. Deterministic, so every member computes the same assignment from
 * the same view; undefined when there is no member.
 */
export function ownerOf(partition: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = hashString(`${partition}|${m}`);
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) { best = m; bestScore = score; }
  }
  return best;
}

/** The partitions (0 … partitions−1) that `member` owns in `members`. */
export function assignedTo(member: string, members: readonly string[], partitions: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) if (ownerOf(p, members) === member) out.push(p);
  return out;
}
