// Which messages of a probed definition to time: all of them while its instances are not busy,
// one in 1 024 for a second once they handled 256 timed messages within 10 ms.

import type { Clock } from '../../../runtime/clock.ts';

/** Messages timed back to back before the sampler checks the rate. */
export const DENSE_BURST = 256;
/** A burst that took less than this is busy: go sparse. */
export const BUSY_BURST_MS = 10;
/** How long a busy definition stays sparse before timing a burst again. */
export const SPARSE_FOR_MS = 1_000;
/** Power-of-two mask: while sparse, one message in 64 is timed. */
export const SPARSE_MASK = 1023;

/**
 * The timing policy of one probed definition (shared by its instances, so the per-message test
 * is one counter and one flag). A sparse spell ends at the first timed message or probe answer
 * after its second. Deterministic: on virtual time a burst at one instant is busy.
 * A change of clock (the definition used by another system) starts over, dense.
 */
export class TimingSampler {
  /** True while one message in 64 is timed; the hot path reads only this and {@link skip}. */
  sparse = false;
  private tick = 0;
  private burst = 0;
  private burstStart = 0;
  private sparseUntil = 0;
  private clock: Clock | null = null;

  /** On the hot path while sparse: true for the messages that are not timed. */
  skip(): boolean {
    return (++this.tick & SPARSE_MASK) !== 0;
  }

  /** Ends a sparse spell that is over (called where the clock is read anyway, e.g. at a probe answer). */
  expire(nowMs: number): void {
    if (this.sparse && nowMs >= this.sparseUntil) this.sparse = false;
  }

  /** Called with the start time of each timed message; updates the policy. */
  timed(clock: Clock, t0: number): void {
    if (clock !== this.clock || (this.sparse && t0 >= this.sparseUntil)) {
      this.clock = clock;
      this.sparse = false;
      this.burst = 0;
      this.burstStart = t0;
    } else if (this.sparse) {
      return;
    }
    if (++this.burst >= DENSE_BURST) {
      if (t0 - this.burstStart < BUSY_BURST_MS) { this.sparse = true; this.sparseUntil = t0 + SPARSE_FOR_MS; }
      this.burst = 0;
      this.burstStart = t0;
    }
  }
}
