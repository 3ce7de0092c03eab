// The desired instance count of a service, and each ordinal's move by recovery, as last-writer-wins
// registers replicated between nodes: a write takes the highest version plus one; (version, writer) orders.

/** One write of the desired count. The definition's own count is version 0 by writer `''`. */
export interface Desired {
  readonly count: number;
  readonly version: number;
  readonly writer: string;
}

/** True when `a` supersedes `b` (a total order, so every node keeps the same write). */
export function supersedes(a: Desired, b: Desired): boolean {
  if (a.version !== b.version) return a.version > b.version;
  if (a.writer !== b.writer) return a.writer > b.writer;
  return a.count > b.count;
}

/** The write of `count` by `writer` over `current`. */
export function write(current: Desired, count: number, writer: string): Desired {
  return { count, version: current.version + 1, writer };
}

/**
 * A move of one ordinal by recovery: the nodes it avoids (the node it was on, and any other the
 * writer suspected then), while the nodes hosting the service are still `hosts` (sorted,
 * comma-joined, as the writer saw them): once a node joins or leaves, placement starts afresh
 * without it. One last-writer-wins register per ordinal, ordered like {@link Desired} by
 * (version, writer); replicated with the desired count.
 */
export interface MoveEntry {
  readonly ordinal: number;
  readonly avoid: readonly string[];
  readonly hosts: string;
  readonly version: number;
  readonly writer: string;
}

/** True when move `a` supersedes `b` (same ordinal): a total order, so every node keeps the same move. */
export function moveSupersedes(a: MoveEntry, b: MoveEntry): boolean {
  if (a.version !== b.version) return a.version > b.version;
  if (a.writer !== b.writer) return a.writer > b.writer;
  return a.avoid.join(',') > b.avoid.join(',');
}

/** Merges `incoming` moves into `moves` in place; returns whether any changed. */
export function mergeMoves(moves: Map<number, MoveEntry>, incoming: readonly MoveEntry[]): boolean {
  let changed = false;
  for (const m of incoming) {
    const mine = moves.get(m.ordinal);
    if (mine === undefined || moveSupersedes(m, mine)) { moves.set(m.ordinal, m); changed = true; }
  }
  return changed;
}
