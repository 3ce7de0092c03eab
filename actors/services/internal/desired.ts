// The desired instance count of a service as a last-writer-wins register replicated between
// nodes: a write takes the highest version seen plus one; (version, writer, count) orders writes.

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
