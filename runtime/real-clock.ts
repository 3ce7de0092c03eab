// The one file that touches the real clock, real timers and real entropy. Everything else in
// Troupe asks the system's Clock, Scheduler and Random, so tests can swap these for virtual ones.

import { randomBytes, randomInt } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { Clock, Scheduler, TimerId } from './clock.ts';
import type { EventLoopDelayMonitor } from './event-loop-delay.ts';
import { TimerQueue } from './internal/timer-queue.ts';
import { createSeededRandom, type Random } from './random.ts';

/** Monotonic milliseconds since the process started. */
export const realClock: Clock = { now: () => performance.now() };

/** Milliseconds since the Unix epoch, for log records and journal timestamps only. */
export function wallClockMs(): number { return Date.now(); }

/** The Unix-epoch milliseconds at which {@link realClock} read 0 (fractional; the same for every system of the process). */
export function realClockEpochMs(): number { return performance.timeOrigin; }

/**
 * The production scheduler: work `soon` on a microtask, `yieldThen` on setImmediate, timers in
 * one heap driven by a single Node timeout (so thousands of ask timeouts cost one OS timer).
 * Pending timers keep the process alive; with none pending, the armed timeout is unref'd rather
 * than cleared (re-arming it for every ask would cost more than the ask).
 */
export function createRealScheduler(clock: Clock = realClock): Scheduler {
  const timers = new TimerQueue();
  let armed: NodeJS.Timeout | undefined;
  let armedAt = Infinity;
  let holding = false;
  let checking = false;
  const release = (): void => {
    checking = false;
    if (timers.size === 0) hold(false);
  };
  const hold = (on: boolean): void => {
    if (armed === undefined || holding === on) return;
    holding = on;
    if (on) armed.ref(); else armed.unref();
  };
  const fire = (): void => {
    armed = undefined;
    armedAt = Infinity;
    holding = false;
    const now = clock.now();
    for (let fn = timers.popDue(now); fn; fn = timers.popDue(now)) fn();
    arm();
  };
  const arm = (): void => {
    const next = timers.peek();
    if (next === undefined) return;
    if (next < armedAt) {
      if (armed) clearTimeout(armed);
      armedAt = next;
      armed = setTimeout(fire, Math.max(0, Math.ceil(next - clock.now())));
      holding = true;
    }
    hold(true);
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
      timers.cancel(id);
      // Let go of the process only once the heap stays empty for a whole event-loop turn: a
      // ref/unref pair on every ask reply would cost more than the ask.
      if (timers.size === 0 && holding && !checking) {
        checking = true;
        setImmediate(release);
      }
    },
  };
}

/** A random source seeded from the OS (the seed is kept, so a run can be replayed). */
export function createRealRandom(): Random {
  return createSeededRandom(randomInt(0, 2 ** 31));
}

/** Cryptographically strong random bytes, for handshake nonces (never for replayable logic). */
export function secureRandomBytes(n: number): Uint8Array {
  return randomBytes(n);
}

/** Runs `fn` on the next macrotask, after pending microtasks and I/O (the simulation's barrier). */
export function onNextMacrotask(fn: () => void): void {
  setImmediate(fn);
}

const SETTLED = Promise.resolve();

/**
 * A barrier at the end of the microtask queue: the function returned runs `fn` once every
 * microtask queued so far, and every one they queue, has run — without waiting for I/O (a
 * microtask hop, then `process.nextTick`: Node runs the next-tick callbacks a microtask queued
 * only after the microtask queue is empty). About ten times cheaper than {@link onNextMacrotask},
 * and arming it allocates no closure; the simulation's barrier between its instants.
 */
export function microtaskBarrier(fn: () => void): () => void {
  const tick = (): void => { process.nextTick(fn); };
  return () => { void SETTLED.then(tick); };
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

/**
 * The node's real event-loop delay (node:perf_hooks `monitorEventLoopDelay`, sampled every
 * `resolutionMs`, default 20): `delayMs()` is the p99 over the current interval of `intervalMs`
 * (default 5 000) or the previous one, whichever is larger. Its interval timer does not keep the
 * process alive; `close()` stops it. One per node is enough: every probe actor can share it.
 */
export function createEventLoopDelayMonitor(options: { resolutionMs?: number; intervalMs?: number } = {}): EventLoopDelayMonitor {
  const histogram = monitorEventLoopDelay({ resolution: options.resolutionMs ?? 20 });
  histogram.enable();
  let previousMs = 0;
  // the p99 is recomputed only when the histogram took a sample since (every resolutionMs at most)
  let countAt = -1;
  let p99At = 0;
  const p99Ms = (): number => {
    const n = histogram.count;
    if (n !== countAt) { countAt = n; p99At = n > 0 ? histogram.percentile(99) / 1e6 : 0; }
    return p99At;
  };
  const rotate = setInterval(() => { previousMs = p99Ms(); histogram.reset(); countAt = -1; }, options.intervalMs ?? 5_000);
  rotate.unref();
  return {
    delayMs: () => Math.max(previousMs, p99Ms()),
    close: () => { clearInterval(rotate); histogram.disable(); },
  };
}
