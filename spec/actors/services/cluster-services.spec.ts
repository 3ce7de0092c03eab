// Services across a simulated cluster on virtual time: the same placement on every node, zones,
// scale replicated to every node, a node going down (instances re-placed on the survivors while
// the router keeps delivering), a node joining (make-before-break handover), settling, remote
// drain, and a status that reports a node that does not answer.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createReceptionist, registerReceptionistMessages, type Receptionist } from '../../../actors/receptionist.ts';
import {
  createServiceHost, defineService, registerServiceMessages, type Service, type ServiceSpec, type ServiceStatus,
} from '../../../actors/services/index.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> };

const worker = defineActor<Work, undefined>({
  name: 'worker',
  init: () => undefined,
  receive: (_s, m, ctx) => m.replyTo.tell(`${ctx.system.node}${ctx.self.path.slice(ctx.self.path.lastIndexOf('/'))}`),
});

const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('work', { version: 1 });

interface World {
  sim: SimCluster;
  receptionists: Map<string, Receptionist>;
  services: Map<string, Service<Work>>;
  join(node: string): Promise<Service<Work>>;
}

async function world(nodes: string[], extra: Partial<ServiceSpec<Work, undefined>> = {}, zones: Record<string, string> = {}, deploy = nodes): Promise<World> {
  const sim = await createSimCluster({ nodes, registry });
  const def = defineService<Work, undefined>({ name: 'orders', behavior: worker, instances: 3, drain: { quietMs: 50 }, ...extra });
  const receptionists = new Map<string, Receptionist>();
  const services = new Map<string, Service<Work>>();
  const join = async (node: string): Promise<Service<Work>> => {
    const receptionist = receptionists.get(node) ?? createReceptionist(sim.node(node));
    receptionists.set(node, receptionist);
    const service = await createServiceHost(sim.node(node), { receptionist, zone: zones[node] }).start(def);
    services.set(node, service);
    return service;
  };
  for (const n of nodes) receptionists.set(n, createReceptionist(sim.node(n)));
  for (const n of deploy) await join(n);
  return { sim, receptionists, services, join };
}

/** Where each ordinal runs, as every node's receptionist lists it: `ordinal@node`, sorted. */
const listing = (w: World, node: string): string[] => w.receptionists.get(node)!.instances(w.services.get(node)!.key)
  .filter((i) => i.metadata.ready !== false)
  .map((i) => `${i.ref.path.split('/').pop()!.split('.')[0]}@${i.node}`).sort();

/** Awaits `p` while virtual time runs (replies between nodes travel on the simulated network's timers). */
async function driven<T>(w: World, p: Promise<T>, limitMs = 10_000): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await w.sim.runUntil(() => done, limitMs);
  return p;
}

const placements = (s: ServiceStatus): string[] => s.nodes.flatMap((n) => n.ordinals.map((o) => `${o}@${n.node}`)).sort();

/** Runs until every listed node lists `count` ready instances, each ordinal once, and returns the shared listing. */
async function converged(w: World, nodes: string[], count: number, limitMs = 10_000): Promise<string[]> {
  const ok = (): boolean => nodes.every((n) => { const l = listing(w, n); return l.length === count && new Set(l.map((x) => x.split('@')[0])).size === count && l.join() === listing(w, nodes[0]).join(); });
  assert.ok(await w.sim.runUntil(ok, limitMs), `converged on ${count}: ${nodes.map((n) => `${n}: ${listing(w, n).join(' ')}`).join('; ')}`);
  return listing(w, nodes[0]);
}

const test = suite('services in a cluster');

test('three nodes compute the same placement: one instance each; a cluster status lists every instance as its node reports it', async () => {
  const w = await world(['a', 'b', 'c']);
  const where = await converged(w, ['a', 'b', 'c'], 3);
  assert.equal(where.map((x) => x.split('@')[1]).sort(), ['a', 'b', 'c']);
  const statuses = await driven(w, Promise.all(['a', 'b', 'c'].map((n) => w.services.get(n)!.status())));
  for (const s of statuses) {
    assert.equal(placements(s), where, `node ${s.node} plans what runs`);
    assert.equal([s.desired, s.placed, s.routed, s.health, s.settled, s.problems], [3, 3, 3, 'healthy', true, []]);
    assert.equal(s.instances.map((i) => `${i.ordinal}@${i.node}:${i.source}`).sort(), where.map((x) => `${x}:node`));
  }
  const router = w.services.get('a')!.router();
  const answers = await driven(w, Promise.all(Array.from({ length: 6 }, () => router.ask<string>((replyTo) => ({ type: 'work', replyTo })))));
  assert.equal(new Set(answers.map((x) => x.split('/')[0])).size, 3, `a router on one node reaches the instances of all three: ${answers.join(' ')}`);
  await w.sim.shutdown();
});

test('scale on one node reaches every node; concurrent scales on two nodes converge on the same winner everywhere', async () => {
  const w = await world(['a', 'b', 'c']);
  await converged(w, ['a', 'b', 'c'], 3);
  assert.equal((await w.services.get('b')!.scale(6)).version, 1);
  const six = await converged(w, ['a', 'b', 'c'], 6);
  assert.equal(['a', 'b', 'c'].map((n) => six.filter((x) => x.endsWith(`@${n}`)).length), [2, 2, 2]);
  for (const n of ['a', 'c']) assert.equal((await driven(w, w.services.get(n)!.status())).desired, 6, `node ${n} applied b's write`);

  // two writes at once: both version 2; the writer with the higher name ('c') wins on every node
  const [fromA, fromC] = await Promise.all([w.services.get('a')!.scale(2), w.services.get('c')!.scale(4)]);
  assert.equal([fromA.version, fromC.version], [2, 2]);
  await converged(w, ['a', 'b', 'c'], 4);
  await w.sim.advance(1_000);
  const desired = await driven(w, Promise.all(['a', 'b', 'c'].map(async (n) => { const s = await w.services.get(n)!.status({ scope: 'node' }); return `${s.desired}@v${s.desiredVersion}`; })));
  assert.equal(desired, ['4@v2', '4@v2', '4@v2']);
  await w.sim.shutdown();
});

test('zones: spread over zones balances zones before nodes; pinned zones keep instances in those zones', async () => {
  const zones = { a: 'eu-1', b: 'eu-1', c: 'eu-1', d: 'us-1' };
  const spread = await world(['a', 'b', 'c', 'd'], { instances: 4, placement: { spread: 'zones' } }, zones);
  const where = await converged(spread, ['a', 'b', 'c', 'd'], 4);
  assert.is(where.filter((x) => x.endsWith('@d')).length, 2, `us-1 (one node) holds half: ${where.join(' ')}`);
  const s = await driven(spread, spread.services.get('a')!.status());
  assert.equal(s.nodes.map((n) => `${n.node}:${n.zone}`), ['a:eu-1', 'b:eu-1', 'c:eu-1', 'd:us-1']);
  assert.ok(s.instances.every((i) => i.zone === zones[i.node as keyof typeof zones]), 'instances carry their node\'s zone');
  await spread.sim.shutdown();

  const pinned = await world(['a', 'b', 'c', 'd'], { instances: 3, placement: { zones: ['us-1'], maxPerNode: 2 } }, zones);
  const only = await converged(pinned, ['a', 'b', 'c', 'd'], 2);
  assert.ok(only.every((x) => x.endsWith('@d')), `only the us-1 node runs instances: ${only.join(' ')}`);
  const p = await driven(pinned, pinned.services.get('b')!.status());
  assert.equal([p.placed, p.unplaced, p.health], [2, [2], 'degraded']);
  assert.match(p.problems.join(' '), /1 of 3 instances have no node: maxPerNode 2 × 1 eligible node hold 2/);
  await pinned.sim.shutdown();
});

test('a node goes down: its instances are re-placed on the survivors, the router keeps delivering, no request to a live instance is lost', async () => {
  const w = await world(['a', 'b', 'c'], { instances: 3 });
  const before = await converged(w, ['a', 'b', 'c'], 3);
  const router = w.services.get('a')!.router();
  const outcomes: { sentAt: number; node: string; ok: boolean; viaRouter: boolean }[] = [];
  let i = 0;
  const load = (): void => {
    // attributed asks (to the routees the router would pick from, in turn) and asks through the router itself
    const routees = router.routees();
    const r = routees[i++ % routees.length];
    const sentAt = w.sim.scheduler.clock.now();
    r.ref.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 3_000 })
      .then(() => outcomes.push({ sentAt, node: r.node, ok: true, viaRouter: false }), () => outcomes.push({ sentAt, node: r.node, ok: false, viaRouter: false }));
    router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 3_000 })
      .then((from) => outcomes.push({ sentAt, node: from.split('/')[0], ok: true, viaRouter: true }), () => outcomes.push({ sentAt, node: '?', ok: false, viaRouter: true }));
  };
  for (let t = 0; t < 50; t++) { load(); await w.sim.advance(10); }
  const crashAt = w.sim.scheduler.clock.now();
  await w.sim.crash('c');
  let replacedAt = -1;
  for (let t = 0; t < 300; t++) {
    load();
    await w.sim.advance(10);
    if (replacedAt < 0 && ['a', 'b'].every((n) => listing(w, n).length === 3 && listing(w, n).every((x) => !x.endsWith('@c')))) replacedAt = w.sim.scheduler.clock.now();
  }
  await w.sim.advance(4_000); // every ask settles
  const total = outcomes.length;
  assert.is(total, 2 * 350, 'every ask settled');
  assert.ok(replacedAt > 0 && replacedAt - crashAt <= 1_000, `re-placed ${replacedAt - crashAt} ms (virtual) after the crash`);
  const after = await converged(w, ['a', 'b'], 3);
  assert.equal(after.map((x) => x.split('@')[0]), before.map((x) => x.split('@')[0]), 'the same ordinals run again');
  const lostOnSurvivors = outcomes.filter((o) => !o.ok && !o.viaRouter && o.node !== 'c');
  assert.equal(lostOnSurvivors, [], 'no ask sent to an instance on a surviving node was lost');
  const failedAfter = outcomes.filter((o) => !o.ok && o.sentAt >= replacedAt);
  assert.equal(failedAfter, [], 'once re-placed, every ask succeeds, through the router or not');
  const failed = outcomes.filter((o) => !o.ok);
  assert.ok(failed.every((o) => o.sentAt >= crashAt - 10 && o.sentAt < replacedAt), 'the only failures are asks sent to c around its crash');
  assert.ok(failed.length <= 2 * Math.ceil((replacedAt - crashAt) / 10) + 2, `${failed.length} failed asks, all in the recovery window`);
  const s = await driven(w, w.services.get('b')!.status());
  assert.equal([s.placed, s.routed, s.health, s.nodes.map((n) => n.node)], [3, 3, 'healthy', ['a', 'b']]);
  await w.sim.shutdown();
});

test('a node joins: it takes its share, and a moved instance serves until its replacement is ready (routed count never drops)', async () => {
  const w = await world(['a', 'b', 'c'], { instances: 4 }, {}, ['a', 'b']);
  const before = await converged(w, ['a', 'b'], 4);
  assert.ok(before.every((x) => !x.endsWith('@c')));
  const router = w.services.get('a')!.router();
  await w.join('c');
  let least = Infinity;
  for (let t = 0; t < 200; t++) { least = Math.min(least, router.routees().length); await w.sim.advance(10); }
  const after = await converged(w, ['a', 'b', 'c'], 4);
  assert.ok(after.some((x) => x.endsWith('@c')), `c took its share: ${after.join(' ')}`);
  assert.ok(least >= 4, `routed instances never fell below 4 during the move (least ${least})`);
  await w.sim.shutdown();
});

test('settling: a node alone waits to hear the cluster, then places everything; as other nodes host the service instances move to them, and a late node adopts the current count', async () => {
  const w = await world(['a', 'b', 'c'], { instances: 3 }, {}, ['a']);
  await w.sim.advance(100);
  const early = await driven(w, w.services.get('a')!.status({ scope: 'node' }));
  assert.equal([early.settled, early.instances.length], [false, 0], 'b and c are up but do not host it: a waits');
  assert.match(early.problems.join(' '), /still learning which nodes host orders/);
  await w.sim.advance(3_000);
  assert.equal(await converged(w, ['a'], 3), ['0@a', '1@a', '2@a'], 'after settleMs a places every instance on itself');
  await w.services.get('a')!.scale(5);
  await w.join('b');
  await w.join('c');
  assert.ok(await w.sim.runUntil(() => ['a', 'b', 'c'].every((n) => listing(w, 'a').some((x) => x.endsWith(`@${n}`))), 10_000), 'instances reach b and c');
  const spread = await converged(w, ['a', 'b', 'c'], 5);
  assert.equal(['a', 'b', 'c'].map((n) => spread.filter((x) => x.endsWith(`@${n}`)).length).sort(), [1, 2, 2]);
  assert.equal((await driven(w, w.services.get('c')!.status())).desired, 5, 'c adopted the count a wrote before c started');
  await w.sim.shutdown();
});

test('drain by id from any node reaches the instance\'s node; a cluster status reports a node that does not answer', async () => {
  const w = await world(['a', 'b', 'c'], { instances: 3 });
  const where = await converged(w, ['a', 'b', 'c'], 3);
  const onC = where.find((x) => x.endsWith('@c'))!.split('@')[0];
  const drained = await driven(w, w.services.get('a')!.drain(`orders-${onC}`));
  assert.equal([drained.node, drained.instance, drained.outcome], ['c', `orders-${onC}`, 'drained']);
  assert.equal(await converged(w, ['a', 'b', 'c'], 3), where, 'a fresh instance of that ordinal runs on c again');

  w.sim.pause('c');
  const pending = w.services.get('a')!.status();
  await w.sim.advance(1_500);
  const s = await pending;
  w.sim.resume('c');
  assert.match(s.problems.join(' '), /Node c did not answer within 1000 ms/);
  assert.equal(s.instances.map((i) => `${i.node}:${i.source}`).sort(), ['a:node', 'b:node', 'c:listing']);
  await w.sim.shutdown();
});

test.run();
