// Baseline: one-way messages as Moleculer 0.14 events (`broker.emit`) over its NATS transporter to
// a service in another process; ends when the server's count adds up.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import '../require-nats.ts';
import { keptAcrossPasses, type KeptResource } from '../kept-across-passes.ts';
import { startMoleculerPair, type MoleculerPair } from '../moleculer-client.ts';
import type { CountReply } from '../protocol.ts';
import { countUntil, timeTellRemote } from '../workload.ts';

let pair: KeptResource<MoleculerPair> | undefined;

/** Emits `size` events `n` (batches of 1024, setImmediate between batches); timed to the count's reply; reports `msgPerSec`. */
export async function run({ size, warmup }: CaseParams): Promise<Metrics> {
  pair ??= keptAcrossPasses(startMoleculerPair, (p) => p.close());
  const p = await pair.get();
  try {
    let reply: CountReply | undefined;
    const figures = await timeTellRemote(size, (m) => { void p.broker.emit('n', m); }, async () => {
      reply = await countUntil(size, () => p.broker.call('sink.count') as Promise<CountReply>);
    });
    if (reply?.count !== size || reply.last !== size - 1) throw new Error(`the server counted ${reply?.count}/${size} events, last v=${reply?.last}`);
    return figures;
  } finally {
    await pair.release(warmup);
  }
}
