// Troupe: one-way `tell` from outside the system to one actor that records each message.

import { createSystem, defineActor } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../workload.ts';

let rx: Receiver | undefined;

const sink = defineActor<TellMsg, { n: number }>({
  init: () => ({ n: 0 }),
  receive: (s, m) => { rx!.receive(m); return s; },
});

/** Tells `size` messages (batches of 1024, yield per `options.yield`) to one actor on a real-clock system; reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const receiver = new Receiver(size);
  rx = receiver;
  const system = createSystem({ name: 'bench' });
  const ref = system.spawn(sink, 'sink');
  const figures = await timeTell(receiver, yieldKindOf(options), (m) => ref.tell(m));
  await system.terminate();
  return figures;
}
