// Two Troupe nodes for a measurement: node `b` in a server process (sink and counter actors) and
// node `a` in the measuring process, joined over TCP or NATS, with refs to b's actors.

import type { ActorRef } from '../../runtime/index.ts';
import { createNatsTransport } from '../../runtime/cluster/nats-transport.ts';
import { createNode, type ClusterNode } from '../../runtime/cluster/node.ts';
import { createTcpTransport } from '../../runtime/cluster/tcp-transport.ts';
import type { CaseOption } from '../harness/suite.ts';
import { benchRegistry, type CounterMsg, type SinkMsg } from './protocol.ts';
import { startServer, type ServerProcess } from './server-process.ts';
import type { TroupeNodeConfig } from './servers/troupe-node.ts';
import { freshSecret, natsUrl } from './workload.ts';
import { tracingOptionsOf, type TracingChoice } from '../observe/tracing-choice.ts';

/** Which transport a Troupe case runs over. */
export type TransportChoice = 'tcp' | 'nats';

/** Reads the `transport` case option; default `tcp`. */
export function transportOf(options: Readonly<Record<string, CaseOption>>): TransportChoice {
  const t = options.transport ?? 'tcp';
  if (t !== 'tcp' && t !== 'nats') throw new Error(`option transport=${t}: use 'tcp' or 'nats'`);
  return t;
}

/** A measuring node and a server node that see each other up. */
export interface TroupePair {
  readonly client: ClusterNode;
  readonly server: ServerProcess;
  readonly sink: ActorRef<SinkMsg>;
  readonly counter: ActorRef<CounterMsg>;
  /** Asks served by the counter so far (kept by the cases, for the lost-or-doubled check). */
  served: number;
  /** Stops the measuring node, then the server process (SIGTERM, SIGKILL after 2 s). */
  close(): Promise<void>;
}

/** Resolves once `node` sees `peer` up; rejects after `timeoutMs` (default 15 000). */
export function untilMemberUp(node: ClusterNode, peer: string, timeoutMs = 15_000): Promise<void> {
  const isUp = (): boolean => node.cluster.members().some((m) => m.node === peer && m.status === 'up');
  if (isUp()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.unsubscribe(); reject(new Error(`node ${node.system.node} did not see ${peer} up within ${timeoutMs} ms`)); }, timeoutMs);
    const sub = node.cluster.events$.subscribe(() => {
      if (isUp()) { clearTimeout(timer); sub.unsubscribe(); resolve(); }
    });
  });
}

/**
 * Starts node `b` (system `bench`) in a server process, then node `a` here, seeded by `b`, over
 * `transport` (NATS: `TROUPE_NATS_URL`, a subject prefix unique to this process), both nodes with
 * the observe suite's `tracing` setting (default off). Resolves once `a` sees `b` up.
 */
export async function startTroupePair(transport: TransportChoice, tracing: TracingChoice = 'off'): Promise<TroupePair> {
  const secret = freshSecret();
  const subjectPrefix = `bench${process.pid}`;
  const url = natsUrl();
  const cfg: TroupeNodeConfig = { transport, secret, node: 'b', system: 'bench', seeds: [], natsUrl: url, subjectPrefix, tracing };
  const server = await startServer('troupe-node.ts', { ...cfg });
  try {
    const client = await createNode({
      name: 'bench', node: 'a', registry: benchRegistry(), seeds: [server.ready.endpoint], tracing: tracingOptionsOf(tracing),
      transport: transport === 'tcp' ? createTcpTransport({ secret }) : createNatsTransport({ servers: url, secret, subjectPrefix }),
    });
    await client.cluster.whenUp();
    await untilMemberUp(client, 'b');
    return {
      client, server, served: 0,
      sink: client.cluster.refFor<SinkMsg>(server.ready.refs.sink),
      counter: client.cluster.refFor<CounterMsg>(server.ready.refs.counter),
      async close() { await client.stop(); await server.stop(); },
    };
  } catch (e) {
    await server.kill();
    throw e;
  }
}
