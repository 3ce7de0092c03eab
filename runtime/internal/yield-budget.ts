// How much the dispatcher may run on microtasks before it lets timers and I/O have a turn: a
// message count and a time span, both counted from the last macrotask boundary, across drains.

import type { Scheduler } from '../clock.ts';

/** Most turns between two clock reads; a read costs about as much as a local message. */
const MAX_STRIDE = 64;

/**
 * A window of dispatch work between two macrotask boundaries. It opens at the first drain after
 * a boundary and stays open across drains (an ask→reply→ask chain runs many short drains on one
 * microtask chain), so it is spent after `messages` messages or `ms` milliseconds of the
 * scheduler's clock, whichever comes first. It closes at the next macrotask boundary: a marker
 * queued with `yieldThen` when it opened. The clock is read every `stride` turns, the stride
 * sized from the measured cost of a turn so a read lands before the time is up (at most
 * {@link MAX_STRIDE} turns apart). On virtual time the clock stands still, so only the count
 * applies and runs stay deterministic.
 */
export class YieldBudget {
  private open = false;
  private spentNow = false;
  private used = 0;
  private startedAt = 0;
  private checkedAt = 0;
  private stride = 1;
  private untilCheck = 1;
  private readonly closeFn = (): void => { this.open = false; this.spentNow = false; };

  constructor(
    private readonly scheduler: Scheduler,
    /** Messages per window (≥ 1). */
    readonly messages: number,
    /** Milliseconds per window (> 0; `Infinity` turns the time budget off). */
    readonly ms: number,
  ) {}

  /** True once the window is used up: the next drain must wait for a macrotask. */
  get spent(): boolean { return this.spentNow; }

  /** Called at the start of every drain: opens a window unless one is open. */
  begin(): void {
    if (this.open) return;
    this.open = true;
    this.spentNow = false;
    this.used = 0;
    if (this.ms !== Infinity) {
      this.startedAt = this.checkedAt = this.scheduler.clock.now();
      this.stride = this.untilCheck = 1;
    } else {
      this.untilCheck = Infinity;
    }
    this.scheduler.yieldThen(this.closeFn);
  }

  /**
   * An allowance of `messages` (and a fresh time span) inside a spent window, for a backlog the
   * dispatcher must keep up with (the microtask chain goes on without it). The window still
   * closes at the next macrotask.
   */
  extend(messages: number): void {
    this.spentNow = false;
    this.used = this.messages - messages;
    if (this.ms !== Infinity) {
      this.startedAt = this.checkedAt = this.scheduler.clock.now();
      this.stride = this.untilCheck = 1;
    }
  }

  /** Counts one turn that handled `n` messages; returns whether the window is now spent. */
  charge(n: number): boolean {
    this.used += n;
    if (this.used >= this.messages) return (this.spentNow = true);
    if (--this.untilCheck > 0) return false;
    const now = this.scheduler.clock.now();
    const elapsed = now - this.startedAt;
    if (elapsed >= this.ms) return (this.spentNow = true);
    const perTurn = (now - this.checkedAt) / this.stride;
    this.checkedAt = now;
    const stride = perTurn > 0 ? Math.floor((this.ms - elapsed) / (2 * perTurn)) : MAX_STRIDE;
    this.stride = this.untilCheck = stride < 1 ? 1 : stride > MAX_STRIDE ? MAX_STRIDE : stride;
    return false;
  }
}
