// Drives a simulated world's virtual time: settles ready work, fires timers in order, and runs
// until a condition holds or virtual time runs out. Shared by test systems and simulated clusters.

import type { World } from './internal/world.ts';

/**
 * Controls of virtual time. Work at the current instant runs by itself (on microtasks); time moves
 * only inside these calls. Each rejects (at once, or as soon as it happens) when the simulation
 * halts: a replay that diverged, simulated code that escaped to real I/O, an invariant that failed.
 */
export interface VirtualDriver {
  /** Lets every ready step run until nothing is left to do at the current virtual time. */
  runUntilIdle(): Promise<void>;
  /** Moves virtual time forward by `ms`, firing due timers in order and letting their work run after each. */
  advance(ms: number): Promise<void>;
  /** Moves virtual time forward to `at` (as `advance`). */
  advanceTo(at: number): Promise<void>;
  /** Runs (advancing time timer by timer) until `ready()` or `timeoutMs` passed; returns whether ready. */
  runUntil(ready: () => boolean, timeoutMs: number): Promise<boolean>;
}

/** @internal The driver of `world`. */
export function driverOf(world: World): VirtualDriver {
  const done = (): void => undefined;
  return {
    runUntilIdle: () => world.drive(world.now, null).then(done),
    advance: (ms) => world.drive(world.now + Math.max(0, ms), null).then(done),
    advanceTo: (at) => world.drive(Math.max(world.now, at), null).then(done),
    runUntil: (ready, timeoutMs) => world.drive(world.now + Math.max(0, timeoutMs), ready),
  };
}
