// Baseline: one-way messages as nats.js publishes (JSON bytes) to a subscriber in another process,
// through the NATS server on loopback; ends when the subscriber's count adds up.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { NATS_URL } from '../require-nats.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import { jsonOf, startNatsPair, type NatsPair } from '../nats-pair.ts';
import type { CountReply } from '../protocol.ts';
import { countUntil, timeTellRemote } from '../workload.ts';

let pair: KeptResource<NatsPair> | undefined;

/** Publishes `size` messages (batches of 1024, setImmediate between batches); timed to the count's reply; reports `msgPerSec`. */
export async function run({ size, warmup }: CaseParams): Promise<Metrics> {
  pair ??= keptAcrossPasses(() => startNatsPair(NATS_URL), (p) => p.close());
  const p = await pair.get();
  try {
    const subject = `${p.prefix}.n`;
    const count = async (): Promise<CountReply> => jsonOf<CountReply>((await p.nc.request(`${p.prefix}.count`, undefined, { timeout: 10_000 })).data);
    let reply: CountReply | undefined;
    const figures = await timeTellRemote(size, (m) => p.nc.publish(subject, Buffer.from(JSON.stringify(m))), async () => {
      reply = await countUntil(size, count);
    });
    if (reply?.count !== size || reply.last !== size - 1) throw new Error(`the subscriber counted ${reply?.count}/${size} messages, last v=${reply?.last}`);
    return figures;
  } finally {
    await pair.release(warmup);
  }
}
