// Troupe: `ref.ask` from outside the system to a counter actor that replies on `replyTo`.

import { createSystem, defineActor, type ActorRef } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { inFlightOf, measureAsks } from '../ask-workload.ts';

type Msg = { type: 'get'; replyTo: ActorRef<number> };

const counter = defineActor<Msg, { served: number }>({
  init: () => ({ served: 0 }),
  receive: (s, m, ctx) => {
    s.served++;
    ctx.send(m.replyTo, s.served);
    return s;
  },
});

/** `size` asks per phase (timeoutMs 5000 each) to one counter actor; `options.inFlight` for the pipelined phase. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const system = createSystem({ name: 'bench' });
  const ref = system.spawn(counter, 'counter');
  const ask = (): Promise<number> => ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 5000 });
  const figures = await measureAsks(size, inFlightOf(options), ask);
  await system.terminate();
  return figures;
}
