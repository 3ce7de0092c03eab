// The entry module of the node processes that spec/runtime/cluster/local-cluster.spec.ts spawns.

import { defineActor, type ActorRef } from '../../runtime/index.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';

type EchoMsg = { type: 'echo'; text: string; replyTo: ActorRef<string> };

/** Nodes of these specs log warnings and worse only (their stdout is the test run's). */
export const log = { level: 'warn' } as const;

export const registry = () => createMessageRegistry().define('echo', { version: 1 });

export function setup(node: ClusterNode): void {
  node.system.spawn(defineActor<EchoMsg, undefined>({
    name: 'echo',
    init: () => undefined,
    receive: (_s, m) => m.replyTo.tell(`${node.system.node}: ${m.text}`),
  }), 'echo');
}

export const control = {
  echoVia: async (node: ClusterNode, target: string, text: string) => {
    const ref = await node.cluster.identify<EchoMsg>(target, '/user/echo');
    if (!ref) return 'not found';
    return ref.ask<string>((replyTo) => ({ type: 'echo', text, replyTo }), { timeoutMs: 2_000 });
  },
  view: (node: ClusterNode) => node.cluster.members().map((m) => `${m.node}:${m.status}`),
  incarnation: (node: ClusterNode) => node.cluster.self.incarnation,
  /** Fails an actor until the guardian's restart intensity (3 in 5 s) is exceeded: the system terminates. */
  escalate: (node: ClusterNode) => {
    const fragile = node.system.spawn(defineActor<{ type: 'boom' }, undefined>({ init: () => undefined, receive: () => { throw new Error('disk on fire'); } }), 'fragile');
    for (let i = 0; i < 5; i++) fragile.tell({ type: 'boom' });
    return 'sent';
  },
};
