// Baseline: request/reply as Moleculer 0.14 action calls (`broker.call`) over its NATS transporter
// to a service in another process; one at a time (latency), then with 1000 in flight.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import '../require-nats.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import { startMoleculerPair, type MoleculerPair } from '../moleculer-client.ts';
import { askSizesOf, measureAsks } from '../workload.ts';

let pair: KeptResource<MoleculerPair> | undefined;

/** `size` sequential calls of `counter.get`, then `size × pipelinedFactor` with `inFlight` outstanding; see `measureAsks`. */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  pair ??= keptAcrossPasses(startMoleculerPair, (p) => p.close());
  const p = await pair.get();
  try {
    const sizes = askSizesOf(size, options);
    const figures = await measureAsks(sizes, p.served, () => p.broker.call('counter.get') as Promise<number>);
    p.served += sizes.sequential + sizes.pipelined;
    return figures;
  } finally {
    await pair.release(warmup);
  }
}
