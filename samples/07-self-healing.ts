// Sample 07 — a service healing itself, on virtual time: a hung instance is restarted, a crash-
// looping one redeployed (probes detect, a recovery coordinator decides), and after a node loss
// the service re-places its instances on the surviving nodes of a simulated cluster.

import { pathToFileURL } from 'node:url';
import { defineActor, type ActorRef } from '../runtime/index.ts';
import { createTestSystem } from '../runtime/testing.ts';
import { createSimCluster } from '../runtime/testing/sim-cluster.ts';
import { createMessageRegistry } from '../runtime/wire/message-registry.ts';
import { createReceptionist, registerReceptionistMessages } from '../actors/receptionist.ts';
import { createServiceHost, defineService, registerServiceMessages } from '../actors/services/index.ts';
import { createRecoveryCoordinator } from '../actors/recovery/index.ts';

type Quote = { type: 'quote'; replyTo: ActorRef<string> } | { type: 'hang' } | { type: 'crash' };

const pricing = defineActor<Quote, undefined>({
  name: 'pricing',
  init: () => undefined,
  receive: async (_s, m, ctx) => {
    if (m.type === 'hang') await new Promise(() => {}); // stuck for good: only liveness notices
    else if (m.type === 'crash') throw new Error('bad price table');
    else m.replyTo.tell(`${ctx.system.node}:${ctx.self.path.split('/').pop()}`);
  },
});

export async function main(log: (line: string) => void = console.log): Promise<void> {
  // 1. hang and crash loop on one node, with probes and a recovery coordinator
  const kit = createTestSystem({ name: 'healing' });
  const recovery = createRecoveryCoordinator(kit, { budget: 2 });
  recovery.events$.subscribe((e) => log(`t=${e.atMs}ms ${e.verdict} ${e.action} for ${e.kind} (detected t=${e.detectedAtMs}ms): ${e.reason.replace(/^[^:]+: /, '')}`));
  const host = createServiceHost(kit, { receptionist: createReceptionist(kit), recovery });
  const service = await host.start(defineService({
    name: 'pricing', behavior: pricing, instances: 2,
    probes: { liveness: { periodMs: 1_000, failureThreshold: 2 }, readiness: { periodMs: 1_000 }, signals: { maxRestarts: 2, failureThreshold: 1 } },
    recovery: { intensity: { maxRestarts: 20, withinMs: 5_000 } }, drain: { quietMs: 50 },
  }));
  await kit.runUntilIdle();
  await kit.advance(100);
  const [first, second] = (await service.status()).instances;
  (first.ref as ActorRef<Quote>).tell({ type: 'hang' });
  await kit.runUntil(() => false, 8_000);
  for (let i = 0; i < 3; i++) (second.ref as ActorRef<Quote>).tell({ type: 'crash' });
  await kit.runUntil(() => false, 12_000);
  const healed = await service.status();
  log(`after: ${healed.health}, ${healed.routed} routed, fresh incarnations: ${healed.instances.every((i) => i.address !== first.address && i.address !== second.address)}`);
  const stopping = kit.terminate();
  await kit.advance(10_000);
  await stopping;

  // 2. node loss on a simulated three-node cluster: the lost node's instance is re-placed
  const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('quote', { version: 1 });
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], registry });
  const receptionist = new Map(['a', 'b', 'c'].map((n) => [n, createReceptionist(sim.node(n))]));
  const def = defineService({ name: 'pricing', behavior: pricing, instances: 3, drain: { quietMs: 50 } });
  const services = new Map<string, Awaited<ReturnType<ReturnType<typeof createServiceHost>['start']>>>();
  for (const n of ['a', 'b', 'c']) services.set(n, await createServiceHost(sim.node(n), { receptionist: receptionist.get(n)! }).start(def));
  const where = (): string => receptionist.get('a')!.instances(def.key).filter((i) => i.metadata.ready !== false).map((i) => i.node).sort().join(' ');
  await sim.runUntil(() => where() === 'a b c', 20_000);
  log(`instances on nodes: ${where()}`);
  await sim.crash('c');
  await sim.runUntil(() => where().split(' ').length === 3 && !where().includes('c'), 30_000);
  log(`node c lost; instances on nodes: ${where().split(' ').sort().join(' ')}`);
  await sim.shutdown();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
t=3000ms start restart for hung (detected t=3000ms): liveness: no answer within the period of 1000 ms (2 consecutive failures) → restart (attempt 1)
t=9000ms start redeploy for crash-loop (detected t=9000ms): crash loop: 3 restarts in the signal window > 2 → redeploy (attempt 1)
after: healthy, 2 routed, fresh incarnations: true
instances on nodes: a b c
node c lost; instances on nodes: a a b
*/
