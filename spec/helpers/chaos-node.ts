// The node entry module of the chaos specs, run by spawnLocalCluster({ chaos: true }) processes
// and, unchanged, by the simulated cluster target: a receptionist, a service host and the 'echo'
// service (three instances), with probes and load as control functions. State is kept per node
// (a simulation runs every node in one process); nothing here uses real timers.

import { isTroupeError, type ActorRef } from '../../runtime/index.ts';
import { defineActor } from '../../runtime/behavior.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { createReceptionist, registerReceptionistMessages } from '../../actors/receptionist.ts';
import type { Router } from '../../actors/router.ts';
import { createServiceHost, defineService, registerServiceMessages, type ServiceHost } from '../../actors/services/index.ts';
import type { NodeChaosTargets } from '../../actors/chaos/node-chaos.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> };

export const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('work', { version: 1 });

const echo = defineActor<Work, undefined>({
  name: 'echo',
  init: () => undefined,
  receive: (_s, m, ctx) => m.replyTo.tell(ctx.system.node),
});

const nodes = new Map<ClusterNode, { host: ServiceHost; router: Router<Work> }>();
const of = (node: ClusterNode) => {
  const s = nodes.get(node);
  if (s === undefined) throw new Error(`node ${node.system.node} is not set up`);
  return s;
};

export async function setup(node: ClusterNode): Promise<void> {
  const receptionist = createReceptionist(node);
  const host = createServiceHost(node, { receptionist, settleMs: 1_000 });
  const service = await host.start(defineService({ name: 'echo', behavior: echo, instances: 3, drain: { quietMs: 100 }, handoverMs: 1_000 }));
  nodes.set(node, { host, router: service.router() });
}

export function chaos(node: ClusterNode): NodeChaosTargets {
  return { services: of(node).host };
}

const ask = (node: ClusterNode, timeoutMs: number) => of(node).router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs });

export const control = {
  /** `n` asks through this node's router, one after the other: how many were answered within `timeoutMs` each. */
  probe: async (node: ClusterNode, n: unknown = 3, timeoutMs: unknown = 500): Promise<number> => {
    let ok = 0;
    for (let i = 0; i < Number(n); i++) if (await ask(node, Number(timeoutMs)).then(() => true, () => false)) ok++;
    return ok;
  },
  /** One request of the load: `'ok'`, `'lost'` (no answer in time) or `'failed'` (an error answer). */
  work: (node: ClusterNode, timeoutMs: unknown = 1_000): Promise<string> =>
    ask(node, Number(timeoutMs)).then(() => 'ok', (e: unknown) => (isTroupeError(e, 'ask-timeout') ? 'lost' : 'failed')),
  /** Ready instances as this node's router sees them: `<ordinal>@<node>`, sorted. */
  listing: (node: ClusterNode): string[] => of(node).router.routees().map((r) => `${String(r.ref.path).split('/').pop()}@${r.node}`).sort(),
};
