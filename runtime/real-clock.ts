// The one file that touches the real clock, real timers and real entropy. Everything else in
// Troupe asks the system's Clock, Scheduler and Random, so tests can swap these for virtual ones.

import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock, Scheduler, TimerId } from './clock.ts';
import { TimerQueue } from './internal/timer-queue.ts';
import { createSeededRandom, type Random } from './random.ts';

/** Monotonic milliseconds since the process started. */
export const realClock: Clock = { now: () => performance.now() };

/** Milliseconds since the Unix epoch, for log records and journal timestamps only. */
export function wallClockMs(): number { return Date.now(); }

/**
 * The production scheduler: work `soon` on a microtask, `yieldThen` on setImmediate, timers in
 * one heap driven by a single Node timeout (so thousands of ask timeouts cost one OS timer).
 */
export function createRealScheduler(clock: Clock = realClock): Scheduler {
  const timers = new TimerQueue();
  let armed: NodeJS.Timeout | undefined;
  let armedAt = Infinity;
  const fire = (): void => {
    armed = undefined;
    armedAt = Infinity;
    const now = clock.now();
    for (let fn = timers.popDue(now); fn; fn = timers.popDue(now)) fn();
    arm();
  };
  const arm = (): void => {
    const next = timers.peek();
    if (next === undefined || next >= armedAt) return;
    if (armed) clearTimeout(armed);
    armedAt = next;
    armed = setTimeout(fire, Math.max(0, Math.ceil(next - clock.now())));
    armed.unref?.();
  };
  return {
    clock,
    soon: (fn) => queueMicrotask(fn),
    yieldThen: (fn) => { setImmediate(fn); },
    startTimer(delayMs, fn): TimerId {
      const id = timers.add(clock.now() + Math.max(0, delayMs), fn);
      arm();
      return id;
    },
    cancelTimer(id) {
      // The armed Node timeout stays (it is unref'd and finds nothing due): re-arming per ask costs more.
      timers.cancel(id);
    },
  };
}

/** A random source seeded from the OS (the seed is kept, so a run can be replayed). */
export function createRealRandom(): Random {
  return createSeededRandom(randomInt(0, 2 ** 31));
}

/** Resolves after the event loop has run pending I/O and microtasks (test kits use it to settle). */
export function settleEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Keeps the process alive while a system runs; returns a release function. */
export function holdProcessOpen(): () => void {
  const t = setInterval(() => {}, 1 << 30);
  return () => clearInterval(t);
}
