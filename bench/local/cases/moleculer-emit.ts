// Baseline: one-way messages as Moleculer 0.14 local events (`broker.emit`, no transporter).

import { ServiceBroker } from 'moleculer';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../workload.ts';

/** Emits `size` events (batches of 1024, yield per `options.yield`) to one local service handler; reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const rx = new Receiver(size);
  const broker = new ServiceBroker({ nodeID: 'bench', logger: false, transporter: null });
  broker.createService({ name: 'sink', events: { n: { handler: (ctx: { params: TellMsg }) => rx.receive(ctx.params) } } });
  await broker.start();
  const figures = await timeTell(rx, yieldKindOf(options), (m) => { void broker.emit('n', m); });
  await broker.stop();
  return figures;
}
