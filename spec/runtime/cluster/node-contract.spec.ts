// Runs the node behaviour contract against the three transports: the simulated network on
// virtual time, TCP on loopback (plain, and with mutual TLS), and NATS against a real server.

import { randomBytes } from 'node:crypto';
import { createNode, type ClusterNode } from '../../../runtime/cluster/node.ts';
import { createNatsTransport } from '../../../runtime/cluster/nats-transport.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import type { Transport } from '../../../runtime/cluster/transport.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing.ts';
import type { MessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { nodeContract, type NodeHarness } from '../../helpers/node-contract.ts';
import { serviceUrl } from '../../helpers/services.ts';
import { hasOpenssl, makeTestCerts } from '../../helpers/test-certs.ts';

nodeContract('simulated network', () => {
  let sim: SimCluster | undefined;
  return {
    async start(names, registry) {
      sim = await createSimCluster({ nodes: names, registry, network: { latencyMs: 2, jitterMs: 2 } });
      return sim.nodes;
    },
    settle: (done, limitMs = 10_000) => sim!.runUntil(done, limitMs),
    crash: (name) => sim!.crash(name),
    shutdown: async () => { await sim?.shutdown(); },
  };
});

/** Nodes on a real transport, real time; `settle` polls the condition until a real-time limit. */
function realHarness(makeTransport: () => Transport): NodeHarness {
  const nodes = new Map<string, ClusterNode>();
  const settle = async (done: () => boolean, limitMs = 10_000): Promise<boolean> => {
    const end = Date.now() + limitMs;
    while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    return done();
  };
  return {
    async start(names: readonly string[], registry: () => MessageRegistry) {
      let seed: string | undefined;
      for (const n of names) {
        const node = await createNode({ name: 'contract', node: n, transport: makeTransport(), seeds: seed ? [seed] : [], registry: registry(), log: { level: 'silent' } });
        seed ??= node.endpoint;
        nodes.set(n, node);
      }
      const ok = await settle(() => [...nodes.values()].every((x) => x.cluster.members().filter((m) => m.status === 'up').length === names.length));
      if (!ok) throw new Error('the nodes did not all come up');
      return nodes;
    },
    settle,
    crash: async (name) => { await nodes.get(name)?.stop(); nodes.delete(name); },
    shutdown: async () => { for (const n of nodes.values()) await n.stop(); nodes.clear(); },
  };
}

const secret = randomBytes(32).toString('base64url');
nodeContract('tcp', () => realHarness(() => createTcpTransport({ secret })));
if (hasOpenssl()) {
  const certs = makeTestCerts();
  nodeContract('tcp+tls', () => realHarness(() => createTcpTransport({ secret, tls: { key: certs.a.key, cert: certs.a.cert, ca: certs.ca, mutual: true } })));
}

const natsUrl = serviceUrl('nats', 'node contract: nats');
if (natsUrl) {
  const prefix = `troupe-contract-${randomBytes(4).toString('hex')}`;
  nodeContract('nats', () => realHarness(() => createNatsTransport({ servers: natsUrl, secret, subjectPrefix: prefix })));
}
