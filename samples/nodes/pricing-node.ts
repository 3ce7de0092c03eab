// The node program of sample 05 (samples/05-cluster.ts): every node runs a receptionist; n2 and n3 serve `pricing`;
// n1 routes quotes to whichever pricing instances are alive and watches them.

import {
  createMessageRegistry, createReceptionist, createRouter, defineActor, defineServiceKey, registerReceptionistMessages,
  type ActorRef, type ClusterNode, type Receptionist, type Router,
} from '../../runtime/index.ts';

export type PricingMsg = { type: 'quote'; sku: string; replyTo: ActorRef<{ cents: number; servedBy: string }> };
export const Pricing = defineServiceKey<PricingMsg>('pricing');

export const registry = () => registerReceptionistMessages(createMessageRegistry().define('quote', { version: 1 }));

let receptionist: Receptionist;
let router: Router<PricingMsg>;
const seen: string[] = [];

export function setup(node: ClusterNode): void {
  receptionist = createReceptionist(node);
  const me = node.system.node;
  if (me !== 'n1') {
    const pricing = node.system.spawn(defineActor<PricingMsg, undefined>({
      name: 'pricing',
      init: () => undefined,
      receive: (_s, m) => m.replyTo.tell({ cents: 4_200, servedBy: me }),
    }), 'pricing');
    receptionist.register(Pricing, pricing, { version: '1.0.0' });
    return;
  }
  router = createRouter({ receptionist, key: Pricing, strategy: 'round-robin' });
  // A monitor on n1 watches every pricing instance it learns of.
  const monitor = node.system.spawn(defineActor<{ type: 'listing'; instances: readonly { ref: ActorRef<PricingMsg> }[] }, Set<string>>({
    name: 'monitor',
    init: () => new Set(),
    receive: (watched, m, ctx) => {
      for (const i of m.instances) {
        if (!watched.has(String(i.ref))) { watched.add(String(i.ref)); ctx.watch(i.ref as ActorRef<never>); }
      }
    },
    signal: (_s, sig) => {
      if (sig.type === 'terminated') seen.push(`${sig.ref.path} on ${sig.ref.address.node} terminated: ${sig.reason.kind}`);
    },
  }), 'monitor');
  receptionist.subscribe(Pricing, monitor as never);
}

export const control = {
  instances: () => receptionist.instances(Pricing).map((i) => i.node),
  quote: async (_node: ClusterNode, sku: string) => router.ask<{ cents: number; servedBy: string }>((replyTo) => ({ type: 'quote', sku, replyTo }), { timeoutMs: 2_000 }),
  seen: () => seen,
};
