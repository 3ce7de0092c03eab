// Baseline: one-way messages to an xstate v5 actor (`actor.send` processes synchronously).

import { createActor, createMachine } from 'xstate';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../workload.ts';

let rx: Receiver | undefined;

const machine = createMachine({
  types: {} as { events: TellMsg },
  on: { n: { actions: ({ event }) => rx!.receive(event) } },
});

/** Sends `size` events (batches of 1024, yield per `options.yield`) to a started xstate actor whose action records them; reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const receiver = new Receiver(size);
  rx = receiver;
  const actor = createActor(machine).start();
  const figures = await timeTell(receiver, yieldKindOf(options), (m) => actor.send(m));
  actor.stop();
  return figures;
}
