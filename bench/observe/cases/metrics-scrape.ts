// One /metrics scrape (Prometheus text) with `size` idle actors of one class alive, against reading
// the same counters through `system.inspect()` (option `what`: 'scrape' | 'inspect').

import { createSystem, defineActor } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';

const idle = defineActor<{ type: 'noop' }, undefined>({ name: 'idle', init: () => undefined, receive: () => undefined });

/** Median of `xs`. */
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** Spawns `size` idle actors, then times 9 reads; reports `readMs` (median) and `bodyBytes`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const scrape = options.what !== 'inspect';
  const system = createSystem({ name: 'bench', metrics: scrape, log: { level: 'silent' } });
  for (let i = 0; i < size; i++) system.spawn(idle, `a${i}`);
  await new Promise<void>((r) => setImmediate(r));
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 9; i++) {
    const t0 = process.hrtime.bigint();
    if (scrape) bytes = (await system.metrics!.render()).body.length;
    else bytes = JSON.stringify(system.inspect()).length;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await system.terminate();
  return { readMs: median(times), bodyBytes: bytes };
}
