// Which operations get timed: one in `every`, where `every` adapts so that timing (two clock reads
// and recording) stays near 0.2% of the time the operations take (fast turns are timed rarely,
// slow ones every time), or is fixed by the user. Each timed operation stands for `every` of them.

/** What timing one operation costs (ms): two real-clock reads (~50–100 ns each) and recording it. */
const TIMING_COST_MS = 0.00025;
/** Share of the operations' own time that timing may cost. */
const BUDGET = 0.002;
/** Most operations one timed one may stand for. */
export const MAX_EVERY = 1024;

/** Chooses the operations to time. */
export class Sampler {
  /** Operations left until the next timed one. */
  private countdown = 1;
  private current = 1;
  /** How many operations the last timed one stands for (set by {@link tick}). */
  weight = 1;
  private avgMs = -1;

  /** `fixed`: time one in `fixed` (1 = all); undefined = adaptive. */
  constructor(private readonly fixed: number | undefined) {}

  /** Call once per operation: true when this one is to be timed (read `weight` then). */
  tick(): boolean {
    if (--this.countdown > 0) return false;
    this.weight = this.current;
    this.current = this.countdown = this.fixed ?? this.adaptive();
    return true;
  }

  /** Feeds a timed operation's duration (ms) to the adaptation. */
  observed(ms: number): void {
    this.avgMs = this.avgMs < 0 ? ms : this.avgMs * 0.9 + ms * 0.1;
  }

  private adaptive(): number {
    if (this.avgMs < 0) return 1; // nothing measured yet: time the next one too
    if (this.avgMs === 0) return MAX_EVERY; // a clock that stands still (virtual time): timing tells nothing
    const every = Math.round(TIMING_COST_MS / (BUDGET * this.avgMs));
    return every < 1 ? 1 : every > MAX_EVERY ? MAX_EVERY : every;
  }
}
