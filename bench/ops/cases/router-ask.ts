// Ask a service's instance, through the service router (`options.via: 'router'`, with its breakers
// unless `options.breaker: 'off'`) or its ref (`'ref'`): the cost of the router hop on request/reply.

import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { inFlightOf, measureAsks } from '../../local/ask-workload.ts';
import { startService } from '../service-fixture.ts';

type Msg = { type: 'get'; replyTo: ActorRef<number> };

const counter = defineActor<Msg, { served: number }>({
  init: () => ({ served: 0 }),
  receive: (s, m, ctx) => { s.served++; ctx.send(m.replyTo, s.served); return s; },
});

/** `size` asks per phase (sequential timed one by one, sequential in bulk, `options.inFlight` pipelined). */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const { system, router, ref } = await startService(counter, options.breaker !== 'off');
  const ask = options.via === 'router'
    ? () => router.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 5_000 })
    : () => ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 5_000 });
  const figures = await measureAsks(size, inFlightOf(options), ask);
  await system.terminate();
  return figures;
}
