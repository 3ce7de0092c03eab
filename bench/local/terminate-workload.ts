// The shared terminate workload: spawn N idle actors (untimed), then time stopping all of them
// until the last is gone, and report the rate and the wall time.

import { secondsSince, yieldToIo } from './workload.ts';

/** Figures every terminate case reports. */
export interface TerminateFigures {
  [metric: string]: number;
  terminatePerSec: number;
  terminateMs: number;
}

/**
 * Runs `spawnAll(n)` untimed and yields once so start-up work settles, then times
 * `stopAll()` until it resolves (a system's `terminate()` resolves when its last actor is gone).
 */
export async function measureTerminate(n: number, spawnAll: (n: number) => void, stopAll: () => Promise<unknown> | void): Promise<TerminateFigures> {
  spawnAll(n);
  await yieldToIo();
  const t0 = process.hrtime.bigint();
  await stopAll();
  const secs = secondsSince(t0);
  return { terminatePerSec: n / secs, terminateMs: secs * 1000 };
}
