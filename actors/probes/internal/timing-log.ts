// The timed messages of a probed definition, kept in three preallocated arrays until the next
// probe answer (or until full) adds them to their instances' windows in one pass.

/** Timed messages kept before they are added to the windows at the latest. */
export const TIMING_LOG_CAPACITY = 1_024;

/**
 * A log of timed messages: which instance (its key), how long, when it ended. A timed message
 * costs three stores here instead of finding its instance's window (a map lookup and a few cold
 * arrays, microseconds once in a while on a busy process); {@link drain} adds them all in one
 * pass, where that code is hot. No allocation after construction.
 */
export class TimingLog<K extends object> {
  private readonly keys: (K | null)[] = new Array<K | null>(TIMING_LOG_CAPACITY).fill(null);
  private readonly durations = new Float64Array(TIMING_LOG_CAPACITY);
  private readonly ends = new Float64Array(TIMING_LOG_CAPACITY);
  private n = 0;

  /** Timed messages waiting. */
  get size(): number { return this.n; }

  /** Adds one timed message; true when the log is now full (drain it). */
  add(key: K, durationMs: number, endMs: number): boolean {
    const i = this.n;
    this.keys[i] = key;
    this.durations[i] = durationMs;
    this.ends[i] = endMs;
    return ++this.n === TIMING_LOG_CAPACITY;
  }

  /** Hands every timed message to `into`, oldest first, and empties the log. */
  drain(into: (key: K, durationMs: number, endMs: number) => void): void {
    const n = this.n;
    this.n = 0;
    for (let i = 0; i < n; i++) {
      into(this.keys[i] as K, this.durations[i], this.ends[i]);
      this.keys[i] = null;
    }
  }
}
