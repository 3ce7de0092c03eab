// node-suspect on a simulated cluster, on virtual time: a node that falls silent is suspect to the
// others before it is down; its instances are redeployed on another node the placement rules allow
// (one coordinator does it, the permit deduplicates), or on the same node when none qualifies.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createReceptionist, registerReceptionistMessages, type Receptionist } from '../../../actors/receptionist.ts';
import { createServiceHost, defineService, registerServiceMessages, type Service, type ServiceSpec } from '../../../actors/services/index.ts';
import { createRecoveryCoordinator, type RecoveryEvent } from '../../../actors/recovery/index.ts';
import { planPlacement } from '../../../actors/services/internal/place.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> };
const worker = defineActor<Work, undefined>({ name: 'worker', init: () => undefined, receive: (_s, m, ctx) => m.replyTo.tell(`${ctx.system.node}${ctx.self.path}`) });
const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('work', { version: 1 });
const NODES = ['a', 'b', 'c'];

interface World {
  sim: SimCluster;
  receptionists: Map<string, Receptionist>;
  services: Map<string, Service<Work>>;
  events: (RecoveryEvent & { readonly node: string })[];
}

async function world(extra: Partial<ServiceSpec<Work, undefined>>): Promise<World> {
  const sim = await createSimCluster({ nodes: NODES, registry, seed: 21 });
  const def = defineService<Work, undefined>({ name: 'orders', behavior: worker, instances: 3, drain: { quietMs: 50 }, ...extra });
  const receptionists = new Map<string, Receptionist>();
  const services = new Map<string, Service<Work>>();
  const events: World['events'] = [];
  for (const n of NODES) {
    const receptionist = createReceptionist(sim.node(n));
    receptionists.set(n, receptionist);
    const recovery = createRecoveryCoordinator(sim.node(n), { receptionist });
    recovery.events$.subscribe((e) => events.push({ ...e, node: n }));
    services.set(n, await createServiceHost(sim.node(n), { receptionist, recovery }).start(def));
  }
  return { sim, receptionists, services, events };
}

/** `ordinal@node#address` of the ready instances as node `from` lists them. */
const listing = (w: World, from: string) => w.receptionists.get(from)!.instances(w.services.get(from)!.key)
  .filter((i) => i.metadata.ready !== false)
  .map((i) => ({ ordinal: Number(i.ref.path.split('/').pop()!.split('.')[0]), node: i.node, address: String(i.ref) }));

const test = suite('node-suspect → redeploy', {}, { limitMs: 60_000 });

test('a silent node: its instance is redeployed on another node before the node is downed; it hands over once heard again; the move lasts until the hosting nodes change', async () => {
  const w = await world({});
  assert.ok(await w.sim.runUntil(() => listing(w, 'a').length === 3, 20_000));
  const onC = listing(w, 'a').find((i) => i.node === 'c')!;
  const pausedAt = w.sim.scheduler.clock.now();
  w.sim.pause('c');
  const started = (): World['events'] => w.events.filter((e) => e.verdict === 'start' && e.kind === 'node-suspect');
  assert.ok(await w.sim.runUntil(() => started().length > 0, 6_000), `a redeploy started: ${w.events.map((e) => `${e.node} ${e.verdict} ${e.reason}`).join('\n')}`);
  const start = started()[0];
  assert.equal([start.instance, start.action, started().length], [onC.address, 'redeploy', 1], 'exactly one coordinator redeploys it');
  assert.ok(start.toNode === 'a' || start.toNode === 'b');
  assert.match(start.reason, new RegExp(`^node-suspect: node c is suspect to the failure detector of node [ab] → redeploy to node ${start.toNode} \\(attempt 1\\)$`));
  assert.ok(start.atMs - pausedAt < 3_500, `detected and started ${start.atMs - pausedAt} ms after c fell silent`);
  const replaced = () => listing(w, 'a').some((i) => i.ordinal === onC.ordinal && i.node === start.toNode);
  assert.ok(await w.sim.runUntil(replaced, 3_000), 'a fresh instance of its ordinal serves on the target node');
  const replacedAt = w.sim.scheduler.clock.now();
  assert.equal(w.sim.node('a').cluster.members().map((m) => m.status), ['up', 'up', 'up'], 'before c was downed');
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'done' && e.instance === onC.address), 2_000), 'its permit was released once the fresh instance was ready');
  // routers skip c's old instance once c is unreachable (phi ≥ 8), a tick or so after it became suspect
  assert.ok(await w.sim.runUntil(() => w.sim.node('a').cluster.unreachable().includes('c'), 1_000));
  const router = w.services.get('a')!.router();
  const answers: string[] = [];
  for (let i = 0; i < 6; i++) router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 1_000 }).then((x) => answers.push(x), () => answers.push('failed'));
  await w.sim.advance(100);
  assert.is(answers.filter((x) => x !== 'failed').length, 6, `every ask answered by a live instance: ${answers.join(' ')}`);
  assert.ok(answers.some((x) => x.startsWith(`${start.toNode}/user/services/orders/${onC.ordinal}.`)), 'the fresh instance takes its share');
  console.log(`    c silent → redeploy started ${start.atMs - pausedAt} ms, fresh instance ready ${replacedAt - pausedAt} ms (virtual)`);

  w.sim.resume('c');
  assert.ok(await w.sim.runUntil(() => !listing(w, 'b').some((i) => i.address === onC.address) && w.sim.node('c').system.lookup(new URL(onC.address.replace('troupe://', 'http://')).pathname) === undefined, 10_000), 'c heard of the move: its old instance handed over and stopped');
  assert.equal(w.sim.node('a').cluster.members().map((m) => m.status), ['up', 'up', 'up'], 'nobody was downed');
  const s = await drive(w, w.services.get('c')!.status());
  assert.equal([s.placed, s.routed, s.health], [3, 3, 'healthy']);
  assert.is(s.nodes.find((n) => n.node === start.toNode)!.ordinals.includes(onC.ordinal), true, 'every node plans the moved ordinal where it went');

  // a move holds while the same nodes host the service: once one leaves, placement starts afresh
  // (the node to lose is one whose loss gives the moved ordinal back to c in a fresh plan)
  const rules = w.services.get('c')!.definition.placement;
  const freshWithout = (gone: string) => planPlacement('orders', 3, rules, NODES.filter((n) => n !== gone).map((node) => ({ node })));
  const other = ['a', 'b'].find((n) => freshWithout(n).nodeOf[onC.ordinal] === 'c')!;
  assert.ok(other !== undefined, 'such a node exists for this service name');
  await w.sim.crash(other);
  const survivor = NODES.find((n) => n !== other && n !== 'c')!;
  const settled = (): boolean => { const l = listing(w, survivor); return l.length === 3 && !l.some((i) => i.node === other) && l.some((i) => i.node === 'c' && i.ordinal === onC.ordinal); };
  assert.ok(await w.sim.runUntil(settled, 15_000), `the moved ordinal runs on c again, c being heard: ${JSON.stringify(listing(w, survivor))}`);
  const plannedNow = await drive(w, w.services.get('c')!.status());
  assert.equal(plannedNow.nodes.map((n) => [n.node, n.ordinals]), NODES.filter((n) => n !== other).map((n) => [n, freshWithout(other).nodeOf.flatMap((x, i) => (x === n ? [i] : []))]), 'exactly the plan without the move');
  await drive(w, w.sim.shutdown());
});

test('no other node qualifies (placement pinned to the suspect node): redeployed on the same node, and the decision says so', async () => {
  const w = await world({ instances: 1, placement: { nodes: ['c'] } });
  assert.ok(await w.sim.runUntil(() => listing(w, 'a').length === 1, 20_000));
  const [onC] = listing(w, 'a');
  w.sim.pause('c');
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'start' && e.kind === 'node-suspect'), 6_000));
  const start = w.events.find((e) => e.verdict === 'start' && e.kind === 'node-suspect')!;
  assert.match(start.reason, /→ redeploy on the same node c: no other node qualifies under the placement rules \(eligible: c; nodes \[c\]\) \(attempt 1\)$/);
  assert.is(start.toNode, 'c');
  w.sim.resume('c');
  assert.ok(await w.sim.runUntil(() => listing(w, 'a').length === 1 && listing(w, 'a')[0].address !== onC.address, 10_000), 'c drained it and a fresh instance took its place there');
  assert.is(listing(w, 'a')[0].node, 'c');
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'done' && e.instance === onC.address), 5_000));
  await drive(w, w.sim.shutdown());
});

async function drive<T>(w: World, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await w.sim.runUntil(() => done, 10_000);
  return p;
}

test.run();
