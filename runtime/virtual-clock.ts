// Virtual time: a clock that moves only when told, and a scheduler whose timers fire as it moves.

import type { Clock, Scheduler, TimerId } from './clock.ts';
import { TimerQueue } from './internal/timer-queue.ts';

/** A scheduler on virtual time; `advanceTo` fires due timers in (deadline, start) order. */
export interface VirtualScheduler extends Scheduler {
  /** Fires, one by one, every timer due at or before `at`, moving the clock to each deadline. */
  fireNextDue(at: number): boolean;
  /** Moves the clock to `at` (never backwards) without firing anything. */
  setNow(at: number): void;
  /** Deadline of the earliest pending timer. */
  nextDeadline(): number | undefined;
  readonly pendingTimers: number;
  /** Callbacks queued with `yieldThen` that have not run yet (a driver waits for them too). */
  readonly pendingYields: number;
}

/**
 * Creates a virtual scheduler starting at `startMs`. Work queued with `soon`/`yieldThen` still
 * runs on the real microtask/macrotask queues (their order is deterministic); only time is virtual.
 */
export function createVirtualScheduler(startMs = 0, hooks: { soon: (fn: () => void) => void; yieldThen: (fn: () => void) => void }): VirtualScheduler {
  let now = startMs;
  let yields = 0;
  const timers = new TimerQueue();
  const clock: Clock = { now: () => now };
  return {
    clock,
    soon: hooks.soon,
    yieldThen: (fn) => {
      yields++;
      hooks.yieldThen(() => { yields--; fn(); });
    },
    startTimer: (delayMs, fn): TimerId => timers.add(now + Math.max(0, delayMs), fn),
    cancelTimer: (id) => timers.cancel(id),
    fireNextDue(at) {
      const next = timers.peek();
      if (next === undefined || next > at) return false;
      if (next > now) now = next;
      const fn = timers.popDue(now);
      fn?.();
      return true;
    },
    setNow(at) { if (at > now) now = at; },
    nextDeadline: () => timers.peek(),
    get pendingTimers() { return timers.size; },
    get pendingYields() { return yields; },
  };
}
