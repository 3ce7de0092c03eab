// Which messages of a probed definition to time: every message while its traffic is slow, about
// one per millisecond of traffic when it is busy; a countdown on the hot path, no clock read.

import type { Clock } from '../../../runtime/clock.ts';
import { initialTiming, isTimingStale, nextTiming, type TimingState } from './probe-decisions.ts';

/**
 * The timing policy of one probed definition (shared by its instances). The hot path is one
 * countdown, `if (--sampler.countdown === 0)`: that message is timed and {@link timed} sets the
 * countdown to the period — how many messages until the next timed one — from the rate measured
 * on the clock the timed messages read anyway (`nextTiming`: every message while the traffic is
 * slower than about one a millisecond, a burst's first 64 always, else about one per millisecond
 * whatever the rate). So timing costs at most about a thousand timed messages a second per
 * definition, and an untimed message a decrement and a compare. A probe answer more than 1 s after
 * the last timed message starts over at 1 (the rate may have dropped since). Deterministic (counts
 * and the system clock). Another clock (the definition used by another system) starts over.
 */
export class TimingSampler {
  /** Messages until the next timed one, counting it (1: the next message is timed). */
  countdown = 1;
  private state: TimingState = initialTiming(0);
  private clock: Clock | null = null;

  /** How many messages from one timed message to the next (1: every message is timed). */
  get period(): number { return this.state.period; }

  /** At a probe answer (where the clock is read anyway): a stale period starts over at 1. */
  expire(nowMs: number): void {
    if (isTimingStale(this.state, nowMs)) { this.state = initialTiming(nowMs); this.countdown = 1; }
  }

  /** Called with the start time of each timed message; sets the period and the countdown. */
  timed(clock: Clock, t0: number): void {
    if (clock === this.clock) this.state = nextTiming(this.state, t0);
    else { this.clock = clock; this.state = initialTiming(t0); }
    this.countdown = this.state.period;
  }
}
