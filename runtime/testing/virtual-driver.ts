// Drives systems on one virtual scheduler: settles ready work, fires timers in order, and runs
// until a condition holds or virtual time runs out. Shared by test systems and simulated clusters.

import { TroupeError } from '../errors.ts';
import { settleEventLoop } from '../real-clock.ts';
import type { VirtualScheduler } from '../virtual-clock.ts';

const MAX_SETTLE_ROUNDS = 100_000;

/** Controls of virtual time over one or more systems. */
export interface VirtualDriver {
  runUntilIdle(): Promise<void>;
  advance(ms: number): Promise<void>;
  advanceTo(at: number): Promise<void>;
  runUntil(ready: () => boolean, timeoutMs: number): Promise<boolean>;
}

/** `busy()` tells whether any driven system still has ready actors. */
export function createVirtualDriver(scheduler: VirtualScheduler, busy: () => boolean): VirtualDriver {
  const runUntilIdle = async (): Promise<void> => {
    for (let i = 0; i < MAX_SETTLE_ROUNDS; i++) {
      await settleEventLoop();
      if (!busy() && scheduler.pendingYields === 0) return;
    }
    throw new TroupeError('invalid-argument', `runUntilIdle: actors were still busy after ${MAX_SETTLE_ROUNDS} rounds; is an actor sending to itself forever?`);
  };
  const advanceTo = async (target: number): Promise<void> => {
    await runUntilIdle();
    while (scheduler.fireNextDue(target)) await runUntilIdle();
    scheduler.setNow(target);
    await runUntilIdle();
  };
  const runUntil = async (ready: () => boolean, timeoutMs: number): Promise<boolean> => {
    const deadline = scheduler.clock.now() + timeoutMs;
    await runUntilIdle();
    while (!ready()) {
      const next = scheduler.nextDeadline();
      if (next === undefined || next > deadline) { await advanceTo(deadline); return ready(); }
      await advanceTo(next);
    }
    return true;
  };
  return { runUntilIdle, advanceTo, runUntil, advance: (ms) => advanceTo(scheduler.clock.now() + ms) };
}
