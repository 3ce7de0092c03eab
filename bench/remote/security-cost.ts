// What transport security costs: remote tell throughput between two nodes in this process over
// TCP, TCP with mutual TLS, and NATS (every frame sealed with a MAC). Prints figures, asserts nothing.
// Run: `source /tmp/env.sh && npx tsx bench/remote/security-cost.ts [tcp] [tcp+tls] [nats]`.

import { randomBytes } from 'node:crypto';
import { defineActor, type ActorRef } from '../../runtime/index.ts';
import { createNatsTransport } from '../../runtime/cluster/nats-transport.ts';
import { createNode, type ClusterNode } from '../../runtime/cluster/node.ts';
import { createTcpTransport } from '../../runtime/cluster/tcp-transport.ts';
import type { Transport } from '../../runtime/cluster/transport.ts';
import { makeTestCerts } from '../../spec/helpers/test-certs.ts';
import { benchRegistry, type CountReply, type SinkMsg } from './protocol.ts';
import { timeTellRemote } from './workload.ts';

const N = Number(process.env.SECURITY_COST_N ?? 200_000);
const RUNS = Number(process.env.SECURITY_COST_RUNS ?? 3);
const variants = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['tcp', 'tcp+tls', 'nats'];
const secret = randomBytes(32).toString('base64url');

const sink = defineActor<SinkMsg, { count: number; last: number }>({
  name: 'sink',
  init: () => ({ count: 0, last: -1 }),
  receive: (s, m) => {
    if (m.type === 'n') return { count: s.count + 1, last: m.v };
    m.replyTo.tell({ count: s.count, last: s.last });
    return { count: 0, last: -1 };
  },
});

function transport(variant: string): () => Transport {
  if (variant === 'tcp') return () => createTcpTransport({ secret });
  if (variant === 'tcp+tls') {
    const c = makeTestCerts();
    return () => createTcpTransport({ secret, tls: { key: c.a.key, cert: c.a.cert, ca: c.ca, mutual: true } });
  }
  if (variant === 'nats') {
    const prefix = `cost${process.pid}`;
    return () => createNatsTransport({ servers: process.env.TROUPE_NATS_URL ?? 'nats://127.0.0.1:4222', secret, subjectPrefix: prefix });
  }
  throw new Error(`unknown variant ${variant}: use tcp, tcp+tls or nats`);
}

async function measure(variant: string): Promise<number[]> {
  const make = transport(variant);
  const b = await createNode({ name: 'cost', node: 'b', transport: make(), seeds: [], registry: benchRegistry() });
  const a = await createNode({ name: 'cost', node: 'a', transport: make(), seeds: [b.endpoint], registry: benchRegistry() });
  const nodes: ClusterNode[] = [a, b];
  try {
    while (a.cluster.members().filter((m) => m.status === 'up').length < 2) await new Promise((r) => setTimeout(r, 10));
    const ref = a.cluster.refFor<SinkMsg>(String(b.system.spawn(sink, 'sink')));
    const out: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      let reply: CountReply | undefined;
      const { msgPerSec } = await timeTellRemote(N, (m) => ref.tell(m), async () => {
        for (;;) {
          reply = await ref.ask<CountReply>((replyTo: ActorRef<CountReply>) => ({ type: 'count', replyTo }), { timeoutMs: 120_000 });
          if (reply.last === N - 1) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      });
      if (run > 0) out.push(Math.round(msgPerSec)); // run 0 warms up
    }
    return out;
  } finally {
    for (const n of nodes) await n.stop();
  }
}

for (const v of variants) {
  const figures = await measure(v);
  const median = [...figures].sort((x, y) => x - y)[Math.floor(figures.length / 2)];
  console.log(`${v.padEnd(8)} tell ${N} msgs: ${figures.join(', ')} msg/s (median ${median})`);
}
process.exit(0);
