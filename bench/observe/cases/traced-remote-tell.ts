// Remote tell (TCP, node b in a server process) with tracing off, 1 % and 100 % of requests
// sampled on both nodes: the remote suite's tell workload and its lost-or-doubled check.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { keptAcrossPasses, type KeptResource } from '../../remote/kept-across-passes.ts';
import type { CountReply, TellMsg } from '../../remote/protocol.ts';
import { startTroupePair, type TroupePair } from '../../remote/troupe-pair.ts';
import { timeTellRemote } from '../../remote/workload.ts';
import { sendAs, tracingChoiceOf } from '../tracing-choice.ts';

let pair: KeptResource<TroupePair> | undefined;

/** Tells `size` messages (batches of 1024, setImmediate between) to b's sink, then asks its count; reports `msgPerSec`. */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  const choice = tracingChoiceOf(options);
  pair ??= keptAcrossPasses(() => startTroupePair('tcp', choice), (p) => p.close());
  const p = await pair.get();
  const dead = new Map<string, number>();
  const sub = p.client.system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.set(e.reason, (dead.get(e.reason) ?? 0) + 1); });
  try {
    let reply: CountReply | undefined;
    const send = sendAs(p.client.system, choice, (m: TellMsg) => p.sink.tell(m));
    const figures = await timeTellRemote(size, send, async () => {
      reply = await p.sink.ask<CountReply>((replyTo) => ({ type: 'count', replyTo }), { timeoutMs: 120_000 });
    });
    if (dead.size > 0) throw new Error(`dead letters on the sending node: ${JSON.stringify(Object.fromEntries(dead))}`);
    if (reply?.count !== size || reply.last !== size - 1) throw new Error(`node b counted ${reply?.count}/${size} messages, last v=${reply?.last}`);
    if (choice !== 'off' && (p.client.system.tracing?.collector?.size ?? 0) === 0) throw new Error(`tracing=${choice} collected no spans`);
    return figures;
  } finally {
    sub.unsubscribe();
    await pair.release(warmup);
  }
}
