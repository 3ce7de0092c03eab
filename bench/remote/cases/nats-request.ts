// Baseline: request/reply as nats.js `request` (JSON bytes) to a responder in another process,
// through the NATS server on loopback; one at a time (latency), then with 1000 in flight.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { NATS_URL } from '../require-nats.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import { jsonOf, startNatsPair, type NatsPair } from '../nats-pair.ts';
import { askSizesOf, measureAsks } from '../workload.ts';

let pair: KeptResource<NatsPair> | undefined;

/** `size` sequential requests to `<prefix>.get` (timeout 10 000 ms each), then `size × pipelinedFactor` with `inFlight` outstanding; see `measureAsks`. */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  pair ??= keptAcrossPasses(() => startNatsPair(NATS_URL), (p) => p.close());
  const p = await pair.get();
  try {
    const sizes = askSizesOf(size, options);
    const subject = `${p.prefix}.get`;
    const body = Buffer.from(JSON.stringify({ type: 'get' }));
    const ask = async (): Promise<number> => jsonOf<number>((await p.nc.request(subject, body, { timeout: 10_000 })).data);
    const figures = await measureAsks(sizes, p.served, ask);
    p.served += sizes.sequential + sizes.pipelined;
    return figures;
  } finally {
    await pair.release(warmup);
  }
}
