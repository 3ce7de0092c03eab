// Remote ask (TCP, node b in a server process) with tracing off, 1 % and 100 % of requests
// sampled on both nodes: sequential (p50/p99, rate) then 1000 in flight, as the remote suite.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { keptAcrossPasses, type KeptResource } from '../../remote/kept-across-passes.ts';
import { startTroupePair, type TroupePair } from '../../remote/troupe-pair.ts';
import { askSizesOf, measureAsks } from '../../remote/workload.ts';
import { sendAs, tracingChoiceOf } from '../tracing-choice.ts';

let pair: KeptResource<TroupePair> | undefined;

/**
 * `size` sequential asks, then `size × pipelinedFactor` with `inFlight` outstanding, each its own
 * request. Reports asks per second and latencies (no `msgPerSec`); a figure that is not finite
 * fails the run.
 */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  const choice = tracingChoiceOf(options);
  pair ??= keptAcrossPasses(() => startTroupePair('tcp', choice), (p) => p.close());
  const p = await pair.get();
  try {
    const sizes = askSizesOf(size, options);
    const ask = sendAs(p.client.system, choice, (): Promise<number> => p.counter.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 10_000 }));
    const figures = await measureAsks(sizes, p.served, () => ask(undefined));
    p.served += sizes.sequential + sizes.pipelined;
    const bad = Object.entries(figures).filter(([, v]) => !Number.isFinite(v));
    if (bad.length > 0) throw new Error(`not a figure: ${bad.map(([k, v]) => `${k}=${v}`).join(', ')}`); // fail the run rather than write NaN
    return figures;
  } finally {
    await pair.release(warmup);
  }
}
