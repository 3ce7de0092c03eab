// Baseline: request/reply as JSON frames on a raw loopback TCP socket, replies matched by id; one at
// a time (latency), then with 1000 in flight (writes of one turn corked together, like Troupe's batching).

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import { startRawTcp, type RawTcpClient } from '../raw-tcp-client.ts';
import { askSizesOf, measureAsks } from '../workload.ts';

let conn: KeptResource<RawTcpClient> | undefined;

/** `size` sequential request/replies, then `size × pipelinedFactor` with `inFlight` outstanding; see `measureAsks`. */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  conn ??= keptAcrossPasses(startRawTcp, (c) => c.close());
  const c = await conn.get();
  try {
    const sizes = askSizesOf(size, options);
    const figures = await measureAsks(sizes, c.served, () => c.get());
    c.served += sizes.sequential + sizes.pipelined;
    return figures;
  } finally {
    await conn.release(warmup);
  }
}
