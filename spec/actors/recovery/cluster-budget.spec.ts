// The cluster-wide recovery budget on a simulated cluster of three nodes, on virtual time: five
// services failing at once on every node never run more recoveries at once than the budget, and
// the budget's owner going down does not wedge recovery (the next oldest takes over).

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createReceptionist, registerReceptionistMessages } from '../../../actors/receptionist.ts';
import { createServiceHost, defineService, registerServiceMessages, type Service } from '../../../actors/services/index.ts';
import { createRecoveryCoordinator, type RecoveryCoordinator, type RecoveryEvent } from '../../../actors/recovery/index.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> } | { type: 'hang' };

const worker = defineActor<Work, undefined>({
  name: 'worker',
  init: () => undefined,
  receive: async (_s, m, ctx) => {
    if (m.type === 'hang') await new Promise(() => {});
    else m.replyTo.tell(`${ctx.system.node}${ctx.self.path}`);
  },
});

const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('work', { version: 1 }).define('hang', { version: 1 });
const NODES = ['a', 'b', 'c'];

interface World {
  sim: SimCluster;
  coordinators: Map<string, RecoveryCoordinator>;
  /** services.get(node)[i]: service i's handle on that node. */
  services: Map<string, Service<Work>[]>;
  events: (RecoveryEvent & { readonly node: string })[];
}

async function world(count: number, budget: number, shutdownMs = 500): Promise<World> {
  const sim = await createSimCluster({ nodes: NODES, registry, seed: 11 });
  const coordinators = new Map<string, RecoveryCoordinator>();
  const services = new Map<string, Service<Work>[]>();
  const events: World['events'] = [];
  const defs = Array.from({ length: count }, (_, i) => defineService<Work, undefined>({
    name: `svc${i}`, behavior: worker, instances: 3, shutdownMs,
    probes: { liveness: { periodMs: 1_000, failureThreshold: 2 }, readiness: { periodMs: 1_000 } },
  }));
  for (const n of NODES) {
    const node = sim.node(n);
    const receptionist = createReceptionist(node);
    const recovery = createRecoveryCoordinator(node, { budget, receptionist });
    recovery.events$.subscribe((e) => events.push({ ...e, node: n }));
    coordinators.set(n, recovery);
    const host = createServiceHost(node, { receptionist, recovery });
    const started: Service<Work>[] = [];
    for (const d of defs) started.push(await host.start(d));
    services.set(n, started);
  }
  const routed = (): boolean => NODES.every((n) => services.get(n)!.every((s) => s.router().routees().length === 3));
  assert.ok(await sim.runUntil(routed, 20_000), 'every service runs three routed instances');
  return { sim, coordinators, services, events };
}

/** Replays the recovery events of every node in time order: the most restarts/redeploys under way at once. */
function peakConcurrency(events: readonly RecoveryEvent[]): number {
  let now = 0;
  let peak = 0;
  const timeline = events.filter((e) => (e.verdict === 'start' && (e.action === 'restart' || e.action === 'redeploy')) || e.verdict === 'done')
    .map((e, i) => ({ at: e.atMs, delta: e.verdict === 'start' ? 1 : -1, i }))
    .sort((x, y) => x.at - y.at || x.delta - y.delta || x.i - y.i); // at one instant a release counts before a start
  for (const t of timeline) { now += t.delta; peak = Math.max(peak, now); }
  return peak;
}

/** Hangs, for each service, its instance on the given node (services round-robin over `on`). */
async function hang(w: World, on: readonly string[]): Promise<string[]> {
  const hung: string[] = [];
  const handles = w.services.get('a')!;
  for (const [i, s] of handles.entries()) {
    const node = on[i % on.length];
    const inst = w.services.get(node)![i];
    const mine = (await drive(w, inst.status({ scope: 'node' }))).instances[0];
    assert.ok(mine !== undefined && mine.node === node, `${s.name} runs an instance on ${node}`);
    (mine.ref as ActorRef<Work>).tell({ type: 'hang' });
    hung.push(mine.address);
  }
  return hung;
}

async function drive<T>(w: World, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => { done = true; }, () => { done = true; });
  await w.sim.runUntil(() => done, 10_000);
  return p;
}

const test = suite('cluster-wide recovery budget', {}, { limitMs: 60_000 });

test('five services failing at once across three nodes: never more than the budget of 2 recoveries at once in the cluster; the rest escalate, then all recover', async () => {
  const w = await world(5, 2);
  assert.equal(NODES.map((n) => w.coordinators.get(n)!.owner()), [{ node: 'a', self: true }, { node: 'a', self: false }, { node: 'a', self: false }], 'one owner, the oldest node, seen alike');
  const hung = await hang(w, NODES);
  const starts = (): World['events'] => w.events.filter((e) => e.verdict === 'start' && hung.includes(e.instance));
  assert.ok(await w.sim.runUntil(() => starts().length === 5, 60_000), `all five recovered in the end: ${w.events.map((e) => `${e.node} ${e.verdict} ${e.reason}`).join('\n')}`);
  assert.ok(await w.sim.runUntil(() => w.events.filter((e) => e.verdict === 'done').length === 5, 30_000), 'and every permit was released');
  assert.is(peakConcurrency(w.events), 2, 'the cluster never ran more than 2 at once (and did run 2)');
  const escalated = w.events.filter((e) => e.verdict === 'escalate');
  assert.ok(escalated.length >= 3, `${escalated.length} escalations: the operator heard of the exhausted budget`);
  assert.match(escalated[0].reason, /the cluster-wide budget of 2 concurrent recoveries is exhausted \(2 in use, owner node a\)/);
  assert.equal(new Set(starts().map((e) => e.node)), new Set(NODES), 'recoveries started on every node, each by its own coordinator');
  for (const e of starts()) assert.ok(e.atMs - e.detectedAtMs >= 0);
  const first = starts().slice(0, 2);
  assert.ok(first.every((e) => e.atMs - e.detectedAtMs <= 3_000), 'the first two within 3 s of detection');
  assert.ok(await w.sim.runUntil(() => NODES.every((n) => w.services.get(n)!.every((s) => s.router().routees().length === 3)), 30_000), 'every service back to three routed instances');
  await drive(w, w.sim.shutdown());
});

test('the owner\'s node goes down: the next oldest owns the budget, learns the permits held, and recovery goes on (the bound holds through the takeover)', async () => {
  const w = await world(4, 1);
  const hung = await hang(w, ['b', 'c']);
  const starts = (): World['events'] => w.events.filter((e) => e.verdict === 'start' && hung.includes(e.instance));
  assert.ok(await w.sim.runUntil(() => starts().length === 1, 20_000), 'one recovery under way with a budget of 1');
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'escalate'), 10_000), 'the others escalated');
  const crashAt = w.sim.scheduler.clock.now();
  await w.sim.crash('a');
  assert.ok(await w.sim.runUntil(() => ['b', 'c'].every((n) => w.coordinators.get(n)!.owner()?.node === 'b'), 5_000), 'b (next oldest) owns the budget as b and c see it');
  assert.ok(await w.sim.runUntil(() => starts().length === 4, 60_000), `all four hung instances recovered after the owner went down: ${w.events.map((e) => `${e.node}@${e.atMs} ${e.verdict} ${e.reason}`).join('\n')}`);
  const after = starts().filter((e) => e.atMs > crashAt);
  assert.ok(after.length >= 2, 'recoveries started under the new owner');
  assert.is(peakConcurrency(w.events.filter((e) => e.node !== 'a')), 1, 'never more than the budget of 1 at once, across the takeover');
  await drive(w, w.sim.shutdown()); // a hung instance being stopped needs virtual time to be killed
});

test('a permit is a lease: the holder\'s node going down frees it at once, and the next waiting recovery starts', async () => {
  const w = await world(2, 1, 20_000); // a hung instance takes 20 s to be killed: its restart holds the permit that long
  const [svc0, svc1] = [0, 1].map((i) => w.services.get('c')![i]);
  const onC = (await drive(w, svc0.status({ scope: 'node' }))).instances[0];
  (onC.ref as ActorRef<Work>).tell({ type: 'hang' });
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'start' && e.instance === onC.address), 10_000), 'c holds the only permit');
  const onB = (await drive(w, w.services.get('b')![1].status({ scope: 'node' }))).instances[0];
  assert.ok(onB.node === 'b' && svc1.name === 'svc1');
  (onB.ref as ActorRef<Work>).tell({ type: 'hang' });
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'escalate' && e.instance === onB.address), 10_000), 'b waits for it');
  const crashAt = w.sim.scheduler.clock.now();
  const crashing = w.sim.crash('c'); // its network dies at once; its system stops once the hung instance is killed (virtual time)
  assert.ok(await w.sim.runUntil(() => w.events.some((e) => e.verdict === 'start' && e.instance === onB.address), 5_000), 'b got the permit');
  const started = w.events.find((e) => e.verdict === 'start' && e.instance === onB.address)!;
  assert.ok(started.atMs - crashAt < 1_000, `${started.atMs - crashAt} ms after c went down, not after the 30 s lease or the 20 s kill`);
  await w.sim.advance(25_000);
  await crashing;
  const down = w.sim.shutdown();
  await w.sim.advance(25_000);
  await down;
});

test.run();
