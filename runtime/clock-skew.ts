// The skewed-clock seam: one skew control wraps any number of clocks (a node's system clock, the
// wall clock its journal stamps with) so that chaos can move them all: an offset, a drift, or both.

import type { Clock } from './clock.ts';
import { TroupeError } from './errors.ts';

/** A clock skew: `offsetMs` added at once, and `driftRatio` extra milliseconds per millisecond from then on. */
export interface Skew {
  /** Milliseconds added to every wrapped clock (negative: behind). Default 0. */
  readonly offsetMs?: number;
  /** Rate error: 0.1 runs 10 % fast, −0.5 half speed; a finite number > −1. Default 0. */
  readonly driftRatio?: number;
}

/** The skew control of {@link createClockSkew}. */
export interface ClockSkew {
  /** A clock that reads `base` with this skew applied; skews set later apply to it too. */
  wrap(base: Clock): Clock;
  /**
   * Sets the skew, from now on. The wrapped clocks keep reading continuously from their current
   * value, then jump by the change in `offsetMs` and run at `1 + driftRatio` their base's rate.
   * Throws `invalid-argument` for a non-finite offset or a drift ≤ −1.
   */
  set(skew: Skew): void;
  /** Back to no skew: the wrapped clocks read their base again (a jump by whatever skew had accrued). */
  clear(): void;
  /** The skew set last (`{ offsetMs: 0, driftRatio: 0 }` when none). */
  readonly current: Required<Skew>;
}

interface Segment { readonly from: number; readonly accrued: number; readonly offsetMs: number; readonly driftRatio: number }

/**
 * Creates a skew control. A wrapped clock reads `base.now() + skew`, where the skew is the
 * offset set last plus the drift accrued since it was set (measured on each base's own time; the
 * drift of an earlier setting is kept as accrued). A system given a wrapped clock (through
 * `createRealScheduler(skew.wrap(realClock))`, or a virtual one in tests) sees its timers fire
 * early when the clock jumps forward and late when it jumps back, as a node whose clock is
 * stepped does (a real scheduler sees a jump at its next wake-up: the earliest timer it had
 * armed, within a heartbeat on a cluster node); a negative offset makes the clock run backwards
 * once, which a monotonic clock never does — that is the point of the fault.
 *
 * @example
 * const skew = createClockSkew();
 * const system = createSystem({ scheduler: createRealScheduler(skew.wrap(realClock)) });
 * skew.set({ offsetMs: 5_000 });        // five seconds ahead, at once
 * skew.set({ driftRatio: 0.2 });        // from now on 20 % fast (the 5 s jump is undone)
 * skew.clear();
 */
export function createClockSkew(): ClockSkew {
  let current: Required<Skew> = { offsetMs: 0, driftRatio: 0 };
  // one segment per wrapped clock: where the current setting started on that base, and the skew it had then
  const wrapped: { base: Clock; seg: Segment }[] = [];
  const skewOf = (seg: Segment, now: number): number => seg.accrued + seg.offsetMs + seg.driftRatio * (now - seg.from);
  const apply = (next: Required<Skew>): void => {
    for (const w of wrapped) {
      const now = w.base.now();
      const old = w.seg;
      // the drift accrued so far stays; the offset is replaced by the new one
      w.seg = { from: now, accrued: old.accrued + old.driftRatio * (now - old.from), offsetMs: next.offsetMs, driftRatio: next.driftRatio };
    }
    current = next;
  };
  return {
    wrap(base) {
      const w = { base, seg: { from: base.now(), accrued: 0, offsetMs: current.offsetMs, driftRatio: current.driftRatio } };
      wrapped.push(w);
      return { now: () => { const now = base.now(); return now + skewOf(w.seg, now); } };
    },
    set(skew) {
      const offsetMs = skew?.offsetMs ?? 0;
      const driftRatio = skew?.driftRatio ?? 0;
      if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) throw new TroupeError('invalid-argument', `clock skew: offsetMs must be a finite number of milliseconds, got ${String(offsetMs)}.`, { field: 'offsetMs' });
      if (typeof driftRatio !== 'number' || !Number.isFinite(driftRatio) || driftRatio <= -1) {
        throw new TroupeError('invalid-argument', `clock skew: driftRatio must be a finite number > −1 (0.1 = 10 % fast), got ${String(driftRatio)}.`, { field: 'driftRatio' });
      }
      apply({ offsetMs, driftRatio });
    },
    clear() {
      for (const w of wrapped) w.seg = { from: w.base.now(), accrued: 0, offsetMs: 0, driftRatio: 0 };
      current = { offsetMs: 0, driftRatio: 0 };
    },
    get current() { return current; },
  };
}
