// Which messages of a probed definition to time: every message while its traffic is slow, about
// one per millisecond of traffic when it is busy; a countdown on the hot path, no clock read.

import type { Clock } from '../../../runtime/clock.ts';
import { isTimingGap, isTimingStale, periodAfterBurst, periodAfterGap, TIMING_BURST } from './probe-decisions.ts';

/**
 * The timing policy of one probed definition (shared by its instances). The hot path is one
 * countdown, `if (--sampler.countdown === 0)`: that message is timed and {@link timed} sets the
 * countdown to the period — how many messages until the next timed one — from the rate measured
 * on the clock the timed messages read anyway, every 64 timed messages (`periodAfterBurst`: every
 * message while the traffic is slower than about one a millisecond, else about one per
 * millisecond whatever the rate; a burst's first 64 are timed) or at once after a gap of 64 ms
 * (`periodAfterGap`). So timing costs at most about a thousand timed messages a second per
 * definition, and an untimed message a decrement and a compare. A probe answer more than 1 s after
 * the last timed message starts over at 1 (the rate may have dropped since). Deterministic (counts
 * and the system clock); no allocation. Another clock (the definition used by another system)
 * starts over.
 */
export class TimingSampler {
  /** Messages until the next timed one, counting it (1: the next message is timed). */
  countdown = 1;
  private every = 1;
  private burst = 0;
  private burstStartMs = 0;
  private lastMs = 0;
  private clock: Clock | null = null;

  /** How many messages from one timed message to the next (1: every message is timed). */
  get period(): number { return this.every; }

  /** At a probe answer (where the clock is read anyway): a stale period starts over at 1. */
  expire(nowMs: number): void {
    if (isTimingStale(this.every, this.lastMs, nowMs)) this.restart(1, nowMs);
  }

  /** Called with the start time of each timed message; sets the period and the countdown. */
  timed(clock: Clock, t0: number): void {
    if (clock !== this.clock) { this.clock = clock; this.restart(1, t0); return; }
    const gap = t0 - this.lastMs;
    if (isTimingGap(gap)) { this.restart(periodAfterGap(this.every, gap), t0); return; }
    this.lastMs = t0;
    if (++this.burst === TIMING_BURST) this.restart(periodAfterBurst(this.every, t0 - this.burstStartMs), t0);
    else this.countdown = this.every;
  }

  /** A new burst at `nowMs` with this period. */
  private restart(period: number, nowMs: number): void {
    this.every = this.countdown = period;
    this.burst = 0;
    this.burstStartMs = this.lastMs = nowMs;
  }
}
