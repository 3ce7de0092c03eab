// Restart intensity as OTP defines it: at most `maxRestarts` within any `withinMs` window.
// A pure function over the timestamps of recent restarts.

/** Max restarts allowed within a sliding window of `withinMs` milliseconds. */
export interface Intensity {
  readonly maxRestarts: number;
  readonly withinMs: number;
}

/** Default intensity: 3 restarts within 5 000 ms (OTP's default is 1 in 5 s; see the README). */
export const DEFAULT_INTENSITY: Intensity = Object.freeze({ maxRestarts: 3, withinMs: 5_000 });

/**
 * Records a restart at `now` against the previous restart times and says whether it is allowed.
 * Returns the timestamps still inside the window (including `now`) and `exceeded` when this
 * restart is one more than `maxRestarts` inside the window.
 *
 * @example recordRestart([0, 1000], 2000, { maxRestarts: 2, withinMs: 5000 }).exceeded // true
 */
export function recordRestart(recent: readonly number[], now: number, intensity: Intensity): { recent: number[]; exceeded: boolean } {
  const from = now - intensity.withinMs;
  const kept = recent.filter((t) => t > from);
  kept.push(now);
  return { recent: kept, exceeded: kept.length > intensity.maxRestarts };
}
