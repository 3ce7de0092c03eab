// The shared append workload: W writers, each owning one stream and awaiting its own appends one
// after another (one event per append), all running at once; timed from the first append to the last.

import { percentile } from '../harness/stats.ts';
import { itemAdded, secondsSince, type ItemAdded } from './fixtures.ts';

/** Appends one event `data` as writer `writer`'s `seq`-th (0-based); resolves once durable. */
export type AppendOne = (writer: number, seq: number, data: ItemAdded) => Promise<void>;

/** Figures of one append run. */
export interface AppendFigures {
  [metric: string]: number;
  eventsPerSec: number;
  appendP50Ms: number;
  appendP99Ms: number;
}

/** Keeps the last appended payload reachable after the loops (defeats dead-code elimination). */
export let lastAppended: ItemAdded | undefined;

/**
 * Runs `writers` concurrent writers that together append `total` events (rounded up to a multiple
 * of `writers`); each writer awaits every append before its next, so at most `writers` appends are
 * in flight. Every append's latency is taken with `process.hrtime.bigint()`.
 */
export async function runWriters(writers: number, total: number, appendOne: AppendOne): Promise<AppendFigures & { events: number }> {
  const perWriter = Math.max(1, Math.ceil(total / writers));
  const events = perWriter * writers;
  const latencies = new Float64Array(events);
  let done = 0;
  const writer = async (w: number): Promise<void> => {
    for (let seq = 0; seq < perWriter; seq++) {
      const data = itemAdded(w, seq);
      const t0 = process.hrtime.bigint();
      await appendOne(w, seq, data);
      latencies[done++] = Number(process.hrtime.bigint() - t0) / 1e6;
      lastAppended = data;
    }
  };
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  const eventsPerSec = events / secondsSince(t0);
  if (done !== events) throw new Error(`${done}/${events} appends completed`);
  latencies.sort();
  return { eventsPerSec, appendP50Ms: percentile(latencies, 50), appendP99Ms: percentile(latencies, 99), events };
}
