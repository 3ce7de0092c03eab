// One-way tell to a service's instance, through the service router (`options.via: 'router'`) or
// its ref (`'ref'`): the cost of the router hop on tell.

import { defineActor } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../../local/workload.ts';
import { startService } from '../service-fixture.ts';

let rx: Receiver | undefined;

const sink = defineActor<TellMsg, undefined>({ init: () => undefined, receive: (_s, m) => { rx!.receive(m); } });

/** Tells `size` messages (batches of 1024, microtask yields); reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const receiver = new Receiver(size);
  rx = receiver;
  const { system, router, ref } = await startService(sink);
  const send = options.via === 'router' ? (m: TellMsg) => router.tell(m) : (m: TellMsg) => ref.tell(m);
  const figures = await timeTell(receiver, yieldKindOf(options), send);
  await system.terminate();
  return figures;
}
