// The clock and scheduler seam: every time read and every timer in Troupe goes through these.
// Real implementations live in real-clock.ts; virtual ones in virtual-clock.ts.

/** A monotonic clock in milliseconds. */
export interface Clock {
  now(): number;
}

/** Opaque handle of a timer started on a {@link Scheduler}. */
export interface TimerId {
  readonly at: number;
}

/**
 * Where deferred work runs. `soon` runs after the current synchronous work (a microtask in the
 * real scheduler), `yieldThen` after pending I/O has had a turn (setImmediate), `startTimer`
 * after `delayMs` on this scheduler's clock. Timers with the same deadline fire in start order.
 */
export interface Scheduler {
  readonly clock: Clock;
  soon(fn: () => void): void;
  yieldThen(fn: () => void): void;
  startTimer(delayMs: number, fn: () => void): TimerId;
  cancelTimer(id: TimerId): void;
}
