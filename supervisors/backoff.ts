// Exponential restart backoff with seeded jitter: a pure function of the attempt and a random draw.

/**
 * Backoff between restarts. Delay for the n-th consecutive restart (n ≥ 1) is
 * `min(maxMs, minMs · factor^(n−1))`, then scaled by a jitter in `[1 − jitter, 1 + jitter]`.
 * Defaults when given: `factor` 2, `jitter` 0.2. Without a backoff, restarts are immediate.
 */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  readonly jitter?: number;
}

/**
 * The delay before restart number `attempt` (1-based), `draw` in [0, 1) from the system's seeded random.
 * @example backoffDelay({ minMs: 100, maxMs: 10_000, jitter: 0 }, 3, 0.5) // 400
 */
export function backoffDelay(b: Backoff, attempt: number, draw: number): number {
  const factor = b.factor ?? 2;
  const jitter = b.jitter ?? 0.2;
  const base = Math.min(b.maxMs, b.minMs * Math.pow(factor, Math.max(0, attempt - 1)));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * draw)));
}
