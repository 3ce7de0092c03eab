// A resource a case keeps across its passes in one measuring process (server processes, nodes,
// connections): started on the first pass, so warm-up passes warm both sides, closed after the timed one.

/** A resource started once per measuring process; see {@link keptAcrossPasses}. */
export interface KeptResource<T> {
  /** The resource, started on the first call. */
  get(): Promise<T>;
  /** Closes it after the timed pass (`warmup` false); after a warm-up pass it is kept. */
  release(warmup: boolean): Promise<void>;
}

/**
 * Wraps `start` so that every pass of a case (the harness runs warm-up passes, then the timed one,
 * in the same process) uses the same resource, closed after the timed pass.
 * @example const pair = keptAcrossPasses(() => startTroupePair('tcp'), (p) => p.close());
 */
export function keptAcrossPasses<T>(start: () => Promise<T>, close: (value: T) => Promise<void>): KeptResource<T> {
  let current: Promise<T> | undefined;
  return {
    get: () => (current ??= start()),
    async release(warmup) {
      if (warmup || current === undefined) return;
      const value = await current;
      current = undefined;
      await close(value);
    },
  };
}
