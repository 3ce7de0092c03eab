// Troupe: one-way `tell` from node a (this process) to a sink actor on node b (a server process),
// over the TCP or NATS transport; ends with an ask that returns b's count.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import type { CountReply } from '../protocol.ts';
import { startTroupePair, transportOf, type TroupePair } from '../troupe-pair.ts';
import { timeTellRemote } from '../workload.ts';

let pair: KeptResource<TroupePair> | undefined;

/**
 * Tells `size` messages (batches of 1024, setImmediate between batches) to b's sink, then asks
 * it for its count (timeoutMs 120 000); reports `msgPerSec`. Fails when b did not get every
 * message, the last one last, or when a dead letter was raised on a (e.g. `link-overflow`).
 * Option `transport`: `tcp` (default) or `nats`.
 */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  pair ??= keptAcrossPasses(() => startTroupePair(transportOf(options)), (p) => p.close());
  const p = await pair.get();
  const dead = new Map<string, number>();
  const sub = p.client.system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.set(e.reason, (dead.get(e.reason) ?? 0) + 1); });
  try {
    let reply: CountReply | undefined;
    const figures = await timeTellRemote(size, (m) => p.sink.tell(m), async () => {
      reply = await p.sink.ask<CountReply>((replyTo) => ({ type: 'count', replyTo }), { timeoutMs: 120_000 });
    });
    if (dead.size > 0) throw new Error(`dead letters on the sending node: ${JSON.stringify(Object.fromEntries(dead))}`);
    if (reply?.count !== size || reply.last !== size - 1) throw new Error(`node b counted ${reply?.count}/${size} messages, last v=${reply?.last}`);
    return figures;
  } finally {
    sub.unsubscribe();
    await pair.release(warmup);
  }
}
