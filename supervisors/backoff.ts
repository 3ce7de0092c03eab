// Exponential restart backoff with seeded jitter: a pure function of the attempt and a random draw.

/**
 * Backoff between restarts of one child (counted per child, as Pekko's `restartWithBackoff`).
 * Delay for the n-th consecutive restart (n ≥ 1) is `min(maxMs, minMs · factor^(n−1))`, then
 * stretched by a jitter in `[1, 1 + jitter]` — never below the base, so never below `minMs`.
 * Defaults when given: `factor` 2, `jitter` 0.2, `resetAfterMs` = `minMs` (a child that ran that
 * long since its last start counts from attempt 1 again), `stashCapacity` 1 000 (messages that
 * arrive while it waits are kept up to this many; more go to dead letters as `backoff-overflow`).
 * Without a backoff, restarts are immediate.
 */
export interface Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  readonly jitter?: number;
  readonly resetAfterMs?: number;
  readonly stashCapacity?: number;
}

/** Default number of messages kept for a child waiting out its backoff. */
export const DEFAULT_BACKOFF_STASH = 1_000;

/**
 * The delay before restart number `attempt` (1-based), `draw` in [0, 1) from the system's seeded random.
 * @example backoffDelay({ minMs: 100, maxMs: 10_000, jitter: 0 }, 3, 0.5) // 400
 */
export function backoffDelay(b: Backoff, attempt: number, draw: number): number {
  const factor = b.factor ?? 2;
  const jitter = b.jitter ?? 0.2;
  const base = Math.min(b.maxMs, b.minMs * Math.pow(factor, Math.max(0, attempt - 1)));
  return Math.round(base * (1 + jitter * draw));
}
