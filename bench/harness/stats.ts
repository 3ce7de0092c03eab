// Order statistics used by the harness and by cases: median and nearest-rank percentiles.

/** The median of `xs` (mean of the middle two for an even count); NaN for an empty list. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The `p`-th percentile (0 < p <= 100) of `sorted`, by nearest rank. `sorted` must be ascending
 * (a Float64Array sorted with `.sort()` is). NaN for an empty list.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
