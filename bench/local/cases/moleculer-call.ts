// Baseline: ask as a Moleculer 0.14 local action call (`broker.call`, no transporter).

import { ServiceBroker } from 'moleculer';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { inFlightOf, measureAsks } from '../ask-workload.ts';

/** `size` calls per phase to a local counter action; `options.inFlight` for the pipelined phase. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const broker = new ServiceBroker({ nodeID: 'bench', logger: false, transporter: null });
  const state = { served: 0 };
  broker.createService({ name: 'counter', actions: { get: { handler: () => ++state.served } } });
  await broker.start();
  const figures = await measureAsks(size, inFlightOf(options), () => broker.call('counter.get') as Promise<number>);
  await broker.stop();
  return figures;
}
