import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef } from '../../runtime/index.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { createSimCluster } from '../../runtime/testing/sim-cluster.ts';
import { createTestSystem } from '../../runtime/testing/test-system.ts';
import { createReceptionist, defineServiceKey, registerReceptionistMessages, type Listing, type Receptionist, type ServiceInstance } from '../../actors/receptionist.ts';
import { createLoopbackHub } from '../helpers/loopback-transport.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import { createSimNetwork, type SimNetwork } from '../../runtime/cluster/sim-network.ts';

type WorkMsg = { type: 'work'; replyTo: ActorRef<string> };
const worker = defineActor<WorkMsg, undefined>({
  name: 'worker',
  init: () => undefined,
  receive: (_s, m, ctx) => { m.replyTo.tell(`done by ${ctx.system.node}${ctx.path}`); },
});
const Work = defineServiceKey<WorkMsg>('work');
const Other = defineServiceKey<WorkMsg>('other');
const registry = () => registerReceptionistMessages(createMessageRegistry()).define('work', { version: 1 });

async function cluster(nodes = ['a', 'b', 'c']) {
  const hub = createLoopbackHub();
  const sim = await createSimCluster({ nodes, registry, transport: () => hub.transport() });
  const rec = new Map<string, Receptionist>(nodes.map((n) => [n, createReceptionist(sim.node(n))]));
  await sim.runUntilIdle();
  return { sim, hub, rec, r: (n: string) => rec.get(n)! };
}

/** Where each instance lives, e.g. `b/user/w1 w=1 healthy`. */
const show = (list: readonly ServiceInstance<unknown>[]) => list.map((i) => `${i.node}${i.ref.path} w=${i.metadata.weight} ${i.metadata.health}`);

const test = suite('receptionist');

test('service keys are plain serializable data; bad ids and bad metadata are rejected with the fix', () => {
  assert.equal(JSON.parse(JSON.stringify(Work)), { kind: 'service-key', id: 'work' });
  for (const id of ['', 'has space', 'x'.repeat(201)]) assert.throws(() => defineServiceKey(id), (e: unknown) => isTroupeError(e, 'invalid-spec'));
  const kit = createTestSystem();
  const r = createReceptionist(kit);
  const w = kit.spawn(worker, 'w');
  assert.throws(() => r.register(Work, w, { weight: -1 }), (e: unknown) => isTroupeError(e, 'invalid-argument') && /weight/.test((e as Error).message));
  assert.throws(() => r.register(Work, w, { health: 'sick' as never }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => createReceptionist(kit, { name: '$r' }), (e: unknown) => isTroupeError(e, 'invalid-name'));
});

test('on one system: register is visible at once with defaults, deregister removes it', async () => {
  const kit = createTestSystem();
  const r = createReceptionist(kit);
  const w = kit.spawn(worker, 'w');
  r.register(Work, w);
  assert.equal(show(r.instances(Work)), ['local/user/w w=1 healthy']);
  assert.equal(r.instances(Other), []);
  r.deregister(Work, w);
  assert.equal(r.instances(Work), []);
  await kit.terminate();
});

test('a registration on one node is visible on every other after the sync, and its ref works from there', async () => {
  const { sim, r } = await cluster();
  r('b').register(Work, sim.node('b').system.spawn(worker, 'w1'), { zone: 'eu', version: '1.2.0' });
  await sim.runUntilIdle();
  for (const n of ['a', 'b', 'c']) assert.equal(show(r(n).instances(Work)), ['b/user/w1 w=1 healthy'], `seen on ${n}`);
  const seen = r('a').instances(Work)[0];
  assert.equal(seen.metadata, { weight: 1, health: 'healthy', zone: 'eu', version: '1.2.0' });
  const reply = seen.ref.ask<string>((replyTo) => ({ type: 'work', replyTo }));
  await sim.runUntilIdle();
  assert.is(await reply, 'done by b/user/w1');
  await sim.shutdown();
});

test('registrations made before the receptionists met are carried by the full sync', async () => {
  const hub = createLoopbackHub();
  const sim = await createSimCluster({ nodes: ['a', 'b'], registry, transport: () => hub.transport() });
  const rb = createReceptionist(sim.node('b'));
  rb.register(Work, sim.node('b').system.spawn(worker, 'early'));
  await sim.runUntilIdle();
  const ra = createReceptionist(sim.node('a'));
  await sim.runUntilIdle();
  assert.equal(show(ra.instances(Work)), ['b/user/early w=1 healthy']);
  await sim.shutdown();
});

test('listing$ emits the current list on subscribe and again when a new node joins with instances', async () => {
  const { sim, r } = await cluster(['a', 'b']);
  r('a').register(Work, sim.node('a').system.spawn(worker, 'w'));
  const emitted: string[][] = [];
  r('a').listing$(Work).subscribe((l) => emitted.push(show(l)));
  await sim.runUntilIdle();
  assert.equal(emitted, [['a/user/w w=1 healthy']]);
  const d = await sim.start('d');
  const rd = createReceptionist(d);
  rd.register(Work, d.system.spawn(worker, 'w'));
  assert.ok(await sim.runUntil(() => emitted.length === 2, 5_000));
  assert.equal(emitted[1], ['a/user/w w=1 healthy', 'd/user/w w=1 healthy']);
  assert.equal(show(rd.instances(Work)), ['a/user/w w=1 healthy', 'd/user/w w=1 healthy'], 'the new node got the existing registrations');
  await sim.shutdown();
});

test('listing$ emits on deregistration and on termination of a registered actor, on every node', async () => {
  const { sim, r } = await cluster();
  const w1 = sim.node('b').system.spawn(worker, 'w1');
  const w2 = sim.node('b').system.spawn(worker, 'w2');
  r('b').register(Work, w1);
  r('b').register(Work, w2);
  r('b').register(Other, w2);
  await sim.runUntilIdle();
  const onC: string[][] = [];
  r('c').listing$(Work).subscribe((l) => onC.push(show(l)));
  r('b').deregister(Work, w1);
  await sim.runUntilIdle();
  assert.equal(onC.at(-1), ['b/user/w2 w=1 healthy']);
  sim.node('b').system.stop(w2 as ActorRef<never>);
  await sim.runUntilIdle();
  assert.equal(onC, [['b/user/w1 w=1 healthy', 'b/user/w2 w=1 healthy'], ['b/user/w2 w=1 healthy'], []]);
  assert.equal(r('a').instances(Other), [], 'a terminated actor leaves every key');
  await sim.shutdown();
});

test('when a node crashes its instances disappear at once on the others, all keys together', async () => {
  const { sim, r } = await cluster();
  for (const n of ['a', 'b', 'c']) r(n).register(Work, sim.node(n).system.spawn(worker, 'w'));
  r('c').register(Other, sim.node('c').system.lookup<WorkMsg>('/user/w')!);
  await sim.runUntilIdle();
  const onA: string[][] = [];
  r('a').listing$(Work).subscribe((l) => onA.push(l.map((i) => i.node)));
  await sim.crash('c');
  const onB = () => r('b').instances(Work).map((i) => i.node).join();
  assert.ok(await sim.runUntil(() => onA.length === 2 && onB() === 'a,b', 15_000), 'the crash was detected on a and on b (unreachable, then downed by the resolver)');
  assert.equal(onA, [['a', 'b', 'c'], ['a', 'b']]);
  assert.equal(r('a').instances(Other), []);
  await sim.shutdown();
});

test('registering again with new metadata updates it everywhere; the same metadata emits nothing', async () => {
  const { sim, r } = await cluster(['a', 'b']);
  const w = sim.node('b').system.spawn(worker, 'w');
  r('b').register(Work, w, { weight: 1 });
  await sim.runUntilIdle();
  const onA: string[][] = [];
  r('a').listing$(Work).subscribe((l) => onA.push(show(l)));
  r('b').register(Work, w, { weight: 5, health: 'degraded' });
  await sim.runUntilIdle();
  r('b').register(Work, w, { weight: 5, health: 'degraded' });
  await sim.runUntilIdle();
  assert.equal(onA, [['b/user/w w=1 healthy'], ['b/user/w w=5 degraded']]);
  await sim.shutdown();
});

test('a subscribed actor receives listing messages on subscribe and on change', async () => {
  const { sim, r } = await cluster(['a', 'b']);
  const got: string[][] = [];
  const watcher = sim.node('a').system.spawn(defineActor<Listing<WorkMsg>, undefined>({
    init: () => undefined,
    receive: (_s, m) => { got.push([m.key.id, ...m.instances.map((i) => i.node)]); },
  }), 'watcher');
  r('a').subscribe(Work, watcher);
  await sim.runUntilIdle();
  r('b').register(Work, sim.node('b').system.spawn(worker, 'w'));
  await sim.runUntilIdle();
  r('a').unsubscribe(Work, watcher);
  r('a').register(Work, sim.node('a').system.spawn(worker, 'w'));
  await sim.runUntilIdle();
  assert.equal(got, [['work'], ['work', 'b']]);
  await sim.shutdown();
});

test('local actors may use the message form of the API; an invalid command is dead-lettered, not fatal', async () => {
  const { sim, r } = await cluster(['a', 'b']);
  const dead: string[] = [];
  sim.node('b').system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(`${e.recipient} ${e.messageType} ${e.reason}`); });
  const w = sim.node('b').system.spawn(worker, 'w');
  r('b').ref.tell({ type: 'receptionist.register', key: Work, ref: w, metadata: { weight: -3 } });
  r('b').ref.tell({ type: 'receptionist.register', key: Work, ref: w, metadata: { weight: 3 } });
  await sim.runUntilIdle();
  assert.equal(dead, ['/user/receptionist receptionist.register undeliverable']);
  assert.equal(show(r('a').instances(Work)), ['b/user/w w=3 healthy']);
  await sim.shutdown();
});

test('a node that leaves gracefully takes its instances with it', async () => {
  const { sim, r } = await cluster(['a', 'b']);
  r('a').register(Work, sim.node('a').system.spawn(worker, 'w'));
  r('b').register(Work, sim.node('b').system.spawn(worker, 'w'));
  await sim.runUntilIdle();
  assert.equal(r('a').instances(Work).map((i) => i.node), ['a', 'b']);
  const left = sim.node('b').leave();
  assert.ok(await sim.runUntil(() => r('a').instances(Work).length === 1, 5_000));
  await left;
  assert.equal(r('a').instances(Work).map((i) => i.node), ['a']);
  await sim.shutdown();
});

test('only actors of its own node register with a receptionist', async () => {
  const { sim, r } = await cluster(['a', 'b']);
  const remote = sim.node('a').cluster.refFor<WorkMsg>(String(sim.node('b').system.spawn(worker, 'w')));
  assert.throws(() => r('a').register(Work, remote), (e: unknown) => isTroupeError(e, 'invalid-argument') && /receptionist of the node/.test((e as Error).message));
  await sim.shutdown();
});

test('a delta lost on the way is repaired by the periodic status digest', async () => {
  const { sim, hub, r } = await cluster(['a', 'b']);
  hub.cut('b');
  r('b').register(Work, sim.node('b').system.spawn(worker, 'w'));
  await sim.runUntilIdle();
  hub.heal('b');
  assert.equal(r('a').instances(Work), [], 'the delta was lost');
  assert.ok(await sim.runUntil(() => r('a').instances(Work).length === 1, 2_500), 'repaired within one status interval');
  assert.equal(sim.node('a').cluster.members().map((m) => m.status), ['up', 'up']);
  await sim.shutdown();
});

test('over a lossy, reordering, duplicating network every node converges to the same listing', async () => {
  let net: SimNetwork | undefined;
  const transport = (scheduler: Parameters<typeof createSimNetwork>[0]['scheduler']) =>
    (net ??= createSimNetwork({ scheduler, random: createSeededRandom(11), defaults: { latencyMs: 2, jitterMs: 3 } })).transport();
  const nodes = ['a', 'b', 'c'];
  const sim = await createSimCluster({ nodes, registry, transport });
  const rec = new Map(nodes.map((n) => [n, createReceptionist(sim.node(n))]));
  await sim.advance(100);
  for (const from of nodes) for (const to of nodes) if (from !== to) net!.setLink(from, to, { loss: 0.25, reorder: 0.4, duplicate: 0.2 });
  const expected: string[] = [];
  for (const n of nodes) {
    const refs = [1, 2, 3, 4].map((i) => sim.node(n).system.spawn(worker, `w${i}`));
    refs.forEach((ref, i) => { rec.get(n)!.register(Work, ref, { weight: i }); });
    await sim.advance(5);
    rec.get(n)!.deregister(Work, refs[0]);
    sim.node(n).system.stop(refs[1] as ActorRef<never>);
    rec.get(n)!.register(Work, refs[3], { weight: 7 });
    await sim.advance(5);
    expected.push(`${n}/user/w3 w=2 healthy`, `${n}/user/w4 w=7 healthy`);
  }
  const converged = () => nodes.every((n) => show(rec.get(n)!.instances(Work)).join() === expected.join());
  assert.ok(await sim.runUntil(converged, 20_000), nodes.map((n) => `${n}: ${show(rec.get(n)!.instances(Work)).join(', ')}`).join('\n'));
  assert.ok(sim.node('a').cluster.members().every((m) => m.status === 'up'), 'no node was declared down on the way');
  await sim.shutdown();
});

test.run();
