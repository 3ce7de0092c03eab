// Server process of the Moleculer baselines: a broker on the NATS transporter with a `sink`
// service (event `n` counted, action `sink.count`) and a `counter` service (action `counter.get`).

import { ServiceBroker } from 'moleculer';
import type { TellMsg } from '../protocol.ts';
import { serverConfig, serveUntilParentGoes } from '../server-process.ts';

/** How the parent configures this process (argv[2], JSON). */
export interface MoleculerNodeConfig {
  readonly natsUrl: string;
  /** Moleculer namespace unique to the measuring process (keeps concurrent runs apart). */
  readonly namespace: string;
}

const { natsUrl, namespace } = serverConfig<MoleculerNodeConfig>();
const broker = new ServiceBroker({ namespace, nodeID: `server-${process.pid}`, logger: false, transporter: { type: 'NATS', options: { url: natsUrl } } });

/** The last event received, kept where V8 cannot drop it. */
let last: TellMsg | undefined;
let count = 0;
let served = 0;

broker.createService({
  name: 'sink',
  events: { n: { handler: (ctx: { params: TellMsg }) => { last = ctx.params; count++; } } },
  actions: {
    count: {
      handler: () => {
        const reply = { count, last: last?.v ?? -1 };
        count = 0;
        return reply;
      },
    },
  },
});
broker.createService({ name: 'counter', actions: { get: { handler: () => ++served } } });
await broker.start();
serveUntilParentGoes({ type: 'ready', endpoint: namespace, refs: {} }, () => broker.stop());
