// Sample 07 — a service healing itself, on virtual time: a hung instance is restarted, a crash-
// looping one redeployed (probes detect, a recovery coordinator decides); on a simulated cluster a
// silent node's instance is redeployed elsewhere before the node is down, and a lost node's re-placed.

import { pathToFileURL } from 'node:url';
import { defineActor, type ActorRef } from '../runtime/index.ts';
import { createTestSystem } from '../runtime/testing.ts';
import { createSimCluster } from '../runtime/testing/sim-cluster.ts';
import { createMessageRegistry } from '../runtime/wire/message-registry.ts';
import { createReceptionist, registerReceptionistMessages } from '../actors/receptionist.ts';
import { createServiceHost, defineService, registerServiceMessages } from '../actors/services/index.ts';
import { createRecoveryCoordinator, type RecoveryEvent } from '../actors/recovery/index.ts';

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

/** One line per decision; a `done` one with how long the recovery took. */
function line(e: RecoveryEvent, node = ''): string {
  if (e.verdict === 'done') return `t=${e.atMs}ms ${node}done ${e.action} (${e.atMs - e.detectedAtMs} ms)`;
  return `t=${e.atMs}ms ${node}${e.verdict} ${e.action} for ${e.kind} (detected t=${e.detectedAtMs}ms): ${e.reason.replace(/^[^:]+: /, '')}`;
}

export async function main(log: (line: string) => void = console.log): Promise<void> {
  // 1. hang and crash loop on one node, with probes and a recovery coordinator
  const kit = createTestSystem({ name: 'healing' });
  const recovery = createRecoveryCoordinator(kit, { budget: 2 });
  recovery.events$.subscribe((e) => log(line(e)));
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

  // 2. a simulated three-node cluster, a coordinator per node sharing one budget: node c falls
  //    silent (suspect, not yet down) and its instance is redeployed on another node; then b is lost
  const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('quote', { version: 1 });
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], registry });
  const receptionist = new Map(['a', 'b', 'c'].map((n) => [n, createReceptionist(sim.node(n))]));
  const def = defineService({ name: 'pricing', behavior: pricing, instances: 3, drain: { quietMs: 50 } });
  for (const n of ['a', 'b', 'c']) {
    const coordinator = createRecoveryCoordinator(sim.node(n), { budget: 2, receptionist: receptionist.get(n)! });
    coordinator.events$.subscribe((e) => log(line(e, `${n}: `)));
    await createServiceHost(sim.node(n), { receptionist: receptionist.get(n)!, recovery: coordinator }).start(def);
  }
  const where = (): string => receptionist.get('a')!.instances(def.key).filter((i) => i.metadata.ready !== false && i.ref.alive).map((i) => i.node).sort().join(' ');
  await sim.runUntil(() => where() === 'a b c', 20_000);
  log(`instances on nodes: ${where()}`);
  sim.pause('c');
  await sim.runUntil(() => where() === 'a b b' || where() === 'a a b', 10_000);
  log(`node c silent (members ${sim.node('a').cluster.members().map((m) => m.status).join(' ')}); instances on nodes: ${where()}`);
  sim.resume('c');
  await sim.advance(1_000);
  await sim.crash('b');
  await sim.runUntil(() => where().split(' ').length === 3 && !where().includes('b'), 30_000);
  await sim.advance(6_000); // instances moving to c hand over (make-before-break)
  log(`node b lost; instances on nodes: ${where()}`);
  const down = sim.shutdown();
  await sim.advance(10_000);
  await down;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
t=3000ms start restart for hung (detected t=3000ms): liveness: no answer within the period of 1000 ms (2 consecutive failures) → restart (attempt 1)
t=8000ms done restart (5000 ms)
t=9000ms start redeploy for crash-loop (detected t=9000ms): crash loop: 3 restarts in the signal window > 2 → redeploy (attempt 1)
t=9050ms done redeploy (50 ms)
after: healthy, 2 routed, fresh incarnations: true
instances on nodes: a b c
t=2250ms b: start redeploy for node-suspect (detected t=2250ms): node c is suspect to the failure detector of node b → redeploy to node a (attempt 1)
t=2252ms b: done redeploy (2 ms)
node c silent (members up up up); instances on nodes: a a b
node b lost; instances on nodes: a a c
*/
