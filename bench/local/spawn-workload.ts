// The shared spawn workload: create N idle actors, time it, and weigh the heap they keep alive
// (needs --expose-gc; collections before and after, the actors held until after the second read).

import { secondsSince, yieldToIo } from './workload.ts';

/** Figures every spawn case reports. */
export interface SpawnFigures {
  [metric: string]: number;
  spawnPerSec: number;
  bytesPerActor: number;
}

/** Holds the last run's actors so nothing is collected before the "after" heap reading. */
let alive: unknown[] = [];

function collectedHeapUsed(): number {
  const gc = globalThis.gc;
  if (!gc) throw new Error('heap figures need --expose-gc: set exposeGc: true on this case in the suite');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Calls `spawnOne(i)` for i in [0, n), keeping each result, then yields once so any deferred
 * start-up work runs. `spawnPerSec` covers the spawns and that yield; `bytesPerActor` is the
 * growth of the collected heap divided by `n` (it includes the 8-byte slot holding each ref).
 */
export async function measureSpawn(n: number, spawnOne: (i: number) => unknown): Promise<SpawnFigures> {
  alive = [];
  const kept: unknown[] = new Array<unknown>(n).fill(undefined);
  const before = collectedHeapUsed();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) kept[i] = spawnOne(i);
  await yieldToIo();
  const secs = secondsSince(t0);
  alive = kept;
  const after = collectedHeapUsed();
  if (alive.length !== n || alive[n - 1] === undefined) throw new Error('spawned actors went missing');
  return { spawnPerSec: n / secs, bytesPerActor: (after - before) / n };
}
