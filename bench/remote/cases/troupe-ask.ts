// Troupe: `ref.ask` from node a (this process) to a counter actor on node b (a server process),
// over the TCP or NATS transport: one at a time (latency), then with 1000 in flight (throughput).

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import { startTroupePair, transportOf, type TroupePair } from '../troupe-pair.ts';
import { askSizesOf, measureAsks } from '../workload.ts';

let pair: KeptResource<TroupePair> | undefined;

/**
 * `size` sequential asks, then `size × pipelinedFactor` with `inFlight` outstanding (timeoutMs
 * 10 000 each) to b's counter; see `measureAsks`. Options: `pipelinedFactor` (default 10),
 * `inFlight` (default 1000), `transport` (`tcp` default, or `nats`).
 */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  pair ??= keptAcrossPasses(() => startTroupePair(transportOf(options)), (p) => p.close());
  const p = await pair.get();
  try {
    const sizes = askSizesOf(size, options);
    const ask = (): Promise<number> => p.counter.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 10_000 });
    const figures = await measureAsks(sizes, p.served, ask);
    p.served += sizes.sequential + sizes.pipelined;
    return figures;
  } finally {
    await pair.release(warmup);
  }
}
