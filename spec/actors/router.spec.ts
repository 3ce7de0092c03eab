import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createSeededRandom, defineActor, isTroupeError, type ActorRef, type ActorSystem, type SystemEvent } from '../../runtime/index.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { createSimCluster } from '../../runtime/testing/sim-cluster.ts';
import { createTestSystem } from '../../runtime/testing/test-system.ts';
import { createReceptionist, defineServiceKey, registerReceptionistMessages } from '../../actors/receptionist.ts';
import { createRouter, type RoutingStrategy } from '../../actors/router.ts';
import { createLoopbackHub } from '../helpers/loopback-transport.ts';

/** A job: routees log `<name>:<key>`; with `replyTo` they answer their name, unless `hold` (then never). */
type Job = { type: 'job'; key: string; replyTo?: ActorRef<string>; hold?: boolean };
const Jobs = defineServiceKey<Job>('jobs');

function spawnWorkers(system: ActorSystem, names: readonly string[], log: string[]): ActorRef<Job>[] {
  return names.map((name) => system.spawn(defineActor<Job, undefined>({
    init: () => undefined,
    receive: (_s, m) => {
      log.push(`${name}:${m.key}`);
      if (m.replyTo && !m.hold) m.replyTo.tell(name);
    },
  }), name));
}

/** Who got each message, in the order of their numeric keys (the order they were sent; actors log in their own turns). */
const whoGot = (log: string[]) => log.map((l) => l.split(':')).sort((x, y) => Number(x[1]) - Number(y[1])).map(([w]) => w);
const count = (names: string[]) => names.reduce<Record<string, number>>((acc, n) => ({ ...acc, [n]: (acc[n] ?? 0) + 1 }), {});

function fixedRouter(strategy: RoutingStrategy<Job>, names = ['w1', 'w2', 'w3'], seed = 1) {
  const kit = createTestSystem({ seed });
  const log: string[] = [];
  const refs = spawnWorkers(kit, names, log);
  return { kit, log, refs, router: createRouter<Job>({ system: kit, routees: refs, strategy }) };
}

function serviceRouter(strategy: RoutingStrategy<Job>, names = ['w1', 'w2', 'w3']) {
  const kit = createTestSystem();
  const log: string[] = [];
  const receptionist = createReceptionist(kit);
  const refs = spawnWorkers(kit, names, log);
  for (const ref of refs) receptionist.register(Jobs, ref);
  return { kit, log, refs, receptionist, router: createRouter<Job>({ receptionist, key: Jobs, strategy }) };
}

const test = suite('router');

test('round-robin sends to each routee in turn, in listing order (round-robin is the default)', async () => {
  const { kit, log, router } = serviceRouter(undefined as never);
  for (let i = 0; i < 7; i++) router.tell({ type: 'job', key: String(i) });
  await kit.runUntilIdle();
  assert.equal(whoGot(log), ['w1', 'w2', 'w3', 'w1', 'w2', 'w3', 'w1']);
  assert.is(router.stats().routed, 7);
  await kit.terminate();
});

test('random picks come from the seeded random: the same seed replays the same picks', async () => {
  const run = async (seed: number, own?: number) => {
    const { kit, log, refs } = fixedRouter('random', ['w1', 'w2', 'w3', 'w4'], seed);
    const router = createRouter<Job>({ system: kit, routees: refs, strategy: 'random', random: own === undefined ? undefined : createSeededRandom(own) });
    for (let i = 0; i < 40; i++) router.tell({ type: 'job', key: String(i) });
    await kit.runUntilIdle();
    await kit.terminate();
    return whoGot(log).join(' ');
  };
  const a = await run(7);
  assert.is(await run(7), a, 'same system seed, same picks');
  assert.is.not(await run(8), a, 'another seed, other picks');
  assert.is(await run(1, 99), await run(2, 99), 'a router given its own random follows it, whatever the system seed');
  assert.equal(Object.keys(count(a.split(' '))).sort(), ['w1', 'w2', 'w3', 'w4'], 'every routee gets picked');
});

test('least-in-flight sends asks to the idle routee while another holds unanswered asks', async () => {
  const { kit, log, router } = fixedRouter('least-in-flight', ['slow', 'fast']);
  const held = router.ask<string>((replyTo) => ({ type: 'job', key: '-1', replyTo, hold: true }), { timeoutMs: 10_000 });
  held.catch(() => {});
  await kit.runUntilIdle();
  assert.equal(whoGot(log), ['slow']);
  const replies: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = router.ask<string>((replyTo) => ({ type: 'job', key: String(i), replyTo }));
    await kit.runUntilIdle();
    replies.push(await r);
  }
  assert.equal(replies, ['fast', 'fast', 'fast', 'fast']);
  assert.equal(router.stats().routees.map((r) => `${r.address.split('/').pop()!.split('#')[0]} in-flight=${r.inFlight}`), ['fast in-flight=0', 'slow in-flight=1']);
  await kit.advance(10_000);
  assert.ok(isTroupeError(await held.then(() => undefined, (e: unknown) => e), 'ask-timeout'));
  assert.is(router.stats().inFlight, 0, 'a timed-out ask no longer counts');
  const both = [router.ask<string>((replyTo) => ({ type: 'job', key: 'x', replyTo })), router.ask<string>((replyTo) => ({ type: 'job', key: 'y', replyTo }))];
  await kit.runUntilIdle();
  assert.equal((await Promise.all(both)).sort(), ['fast', 'slow'], 'with equal load the routees share');
  await kit.terminate();
});

test('consistent-hash: the same key goes to the same routee; a routee leaving or joining moves only its own keys', async () => {
  const names = ['w1', 'w2', 'w3', 'w4', 'w5'];
  const { kit, log, refs, receptionist, router } = serviceRouter({ kind: 'consistent-hash', keyOf: (m) => m.key }, names);
  const keys = Array.from({ length: 400 }, (_, i) => `customer-${i}`);
  const owners = async (): Promise<Map<string, string>> => {
    log.length = 0;
    for (const key of keys) router.tell({ type: 'job', key });
    await kit.runUntilIdle();
    return new Map(log.map((l) => { const [w, k] = l.split(':'); return [k, w] as [string, string]; }));
  };
  const before = await owners();
  assert.equal(await owners(), before, 'sticky while the routees stay');
  assert.equal(new Set(before.values()).size, 5, 'keys spread over every routee');

  receptionist.deregister(Jobs, refs[2]);
  const after = await owners();
  const moved = keys.filter((k) => before.get(k) !== after.get(k));
  assert.ok(moved.every((k) => before.get(k) === 'w3'), 'only keys of the routee that left move');
  assert.is(moved.length, keys.filter((k) => before.get(k) === 'w3').length);

  receptionist.register(Jobs, spawnWorkers(kit, ['w6'], log)[0]);
  const joined = await owners();
  const taken = keys.filter((k) => after.get(k) !== joined.get(k));
  assert.ok(taken.every((k) => joined.get(k) === 'w6'), 'a joining routee only takes keys');
  assert.ok(taken.length > 400 * 0.08 && taken.length < 400 * 0.35, `about a fifth of the keys move to it (${taken.length} of 400)`);
  await kit.terminate();
});

test('weighted: shares follow metadata weights over 1 000 messages, and re-registering with a new weight takes effect at once', async () => {
  const { kit, log, refs, receptionist, router } = serviceRouter({ kind: 'weighted' }, ['stable', 'canary']);
  receptionist.register(Jobs, refs[0], { weight: 9 });
  receptionist.register(Jobs, refs[1], { weight: 1 });
  for (let i = 0; i < 1_000; i++) router.tell({ type: 'job', key: String(i) });
  await kit.runUntilIdle();
  const first = count(whoGot(log));
  assert.ok(Math.abs(first.canary - 100) <= 10, `canary got ${first.canary} of 1000 at weight 1 of 10`);
  receptionist.register(Jobs, refs[1], { weight: 9 });
  log.length = 0;
  for (let i = 0; i < 1_000; i++) router.tell({ type: 'job', key: String(i) });
  await kit.runUntilIdle();
  const second = count(whoGot(log));
  assert.ok(Math.abs(second.canary - 500) <= 25, `canary got ${second.canary} of 1000 at weight 9 of 18`);
  receptionist.register(Jobs, refs[1], { weight: 0 });
  assert.equal(router.routees().map((i) => i.ref.path), ['/user/stable'], 'weight 0 takes a routee out');
  await kit.terminate();
});

test('weighted with weightOf: a custom weight function decides the shares', async () => {
  const { kit, log, router } = serviceRouter({ kind: 'weighted', weightOf: (i) => (i.ref.path.endsWith('w1') ? 3 : 1) }, ['w1', 'w2']);
  for (let i = 0; i < 400; i++) router.tell({ type: 'job', key: String(i) });
  await kit.runUntilIdle();
  const c = count(whoGot(log));
  assert.ok(Math.abs(c.w1 - 300) <= 15 && c.w1 + c.w2 === 400, JSON.stringify(c));
  await kit.terminate();
});

test('unhealthy instances and stopped routees are skipped; degraded ones still get traffic', async () => {
  const { kit, log, refs, receptionist, router } = serviceRouter('round-robin', ['w1', 'w2', 'w3']);
  receptionist.register(Jobs, refs[0], { health: 'unhealthy' });
  receptionist.register(Jobs, refs[1], { health: 'degraded' });
  for (let i = 0; i < 4; i++) router.tell({ type: 'job', key: String(i) });
  await kit.runUntilIdle();
  assert.equal(count(whoGot(log)), { w2: 2, w3: 2 });
  const fixed = fixedRouter('round-robin');
  fixed.kit.stop(fixed.refs[1] as ActorRef<never>);
  await fixed.kit.runUntilIdle();
  for (let i = 0; i < 4; i++) fixed.router.tell({ type: 'job', key: String(i) });
  await fixed.kit.runUntilIdle();
  assert.equal(whoGot(fixed.log), ['w1', 'w3', 'w1', 'w3'], 'a stopped routee of a fixed list is skipped');
  await kit.terminate();
  await fixed.kit.terminate();
});

test('instances registered not ready are listed but get no work until they are ready', async () => {
  const { kit, log, refs, receptionist, router } = serviceRouter('round-robin', ['w1', 'w2']);
  receptionist.register(Jobs, refs[0], { ready: false });
  assert.equal(receptionist.instances(Jobs).map((i) => i.metadata.ready), [false, undefined], 'listed, with ready: false');
  for (let i = 0; i < 3; i++) router.tell({ type: 'job', key: String(i) });
  await kit.runUntilIdle();
  assert.equal(whoGot(log), ['w2', 'w2', 'w2']);
  receptionist.register(Jobs, refs[0], { ready: true });
  assert.equal(router.routees().map((i) => i.ref.path), ['/user/w1', '/user/w2'], 'ready again: routed again');
  assert.throws(() => receptionist.register(Jobs, refs[0], { ready: 'yes' as never }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  await kit.terminate();
});

test('with no routee, tell goes to dead letters and ask rejects with actor-dead naming the key', async () => {
  const kit = createTestSystem();
  const dead: SystemEvent[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  const receptionist = createReceptionist(kit);
  const router = createRouter<Job>({ receptionist, key: Jobs });
  router.tell({ type: 'job', key: 'lost' });
  const error = await router.ask<string>((replyTo) => ({ type: 'job', key: 'q', replyTo })).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(error, 'actor-dead'), String(error));
  assert.match((error as Error).message, /No routee for service key "jobs"/);
  assert.equal(dead.map((e) => e.type === 'dead-letter' && `${e.recipient} ${e.reason} ${e.messageType}`), ['/router/jobs undeliverable job']);
  assert.is(router.stats().noRoutee, 2);
  const w = kit.spawn(defineActor<Job, undefined>({ init: () => undefined, receive: (_s, m) => { m.replyTo?.tell('here'); } }), 'late');
  receptionist.register(Jobs, w);
  const reply = router.ask<string>((replyTo) => ({ type: 'job', key: 'q', replyTo }));
  await kit.runUntilIdle();
  assert.is(await reply, 'here', 'a routee registered later is used at once');
  await kit.terminate();
});

test('a strategy that is not one of the five is rejected when the router is created', () => {
  const kit = createTestSystem();
  assert.throws(() => createRouter<Job>({ system: kit, routees: [], strategy: 'fastest' as never }), (e: unknown) => isTroupeError(e, 'invalid-spec'));
  assert.throws(() => createRouter<Job>({ system: kit, routees: [], strategy: { kind: 'consistent-hash' } as never }), (e: unknown) => isTroupeError(e, 'invalid-spec'));
});

test('across a cluster: routees on a crashed node are skipped once it is down, and asks to it fail fast', async () => {
  const hub = createLoopbackHub();
  const registry = () => registerReceptionistMessages(createMessageRegistry()).define('job', { version: 1 });
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], registry, transport: () => hub.transport() });
  const log: string[] = [];
  const rec = new Map(['a', 'b', 'c'].map((n) => [n, createReceptionist(sim.node(n))]));
  for (const n of ['b', 'c']) rec.get(n)!.register(Jobs, spawnWorkers(sim.node(n).system, [`on-${n}`], log)[0]);
  await sim.runUntilIdle();
  const router = createRouter<Job>({ receptionist: rec.get('a')!, key: Jobs });
  const fixed = createRouter<Job>({ system: sim.node('a').system, routees: router.routees().map((i) => i.ref) });
  assert.equal(router.routees().map((i) => i.node), ['b', 'c']);
  for (let i = 0; i < 5; i++) router.tell({ type: 'job', key: String(i) });
  await sim.runUntilIdle();
  assert.equal(whoGot(log), ['on-b', 'on-c', 'on-b', 'on-c', 'on-b']);

  let failedAt = -1;
  const pending = router.ask<string>((replyTo) => ({ type: 'job', key: 'held', replyTo, hold: true }), { timeoutMs: 60_000 })
    .then(() => undefined, (e: unknown) => { failedAt = sim.scheduler.clock.now(); return e; });
  assert.equal(router.stats().routees.map((r) => `${r.node}:${r.inFlight}`), ['b:0', 'c:1']);
  await sim.runUntilIdle();
  await sim.crash('c');
  assert.ok(await sim.runUntil(() => router.routees().length === 1 && fixed.routees().length === 1, 15_000), 'c was declared down');
  assert.ok(isTroupeError(await pending, 'node-unreachable'), 'the ask to c failed as soon as c was unreachable (it may still have run there)');
  assert.ok(failedAt >= 0 && failedAt < 5_000, `failed at ${failedAt} ms, long before its 60 s timeout`);
  log.length = 0;
  for (let i = 0; i < 4; i++) { router.tell({ type: 'job', key: String(i) }); fixed.tell({ type: 'job', key: String(i) }); }
  await sim.runUntilIdle();
  assert.equal(whoGot(log), Array(8).fill('on-b'));
  await sim.shutdown();
});

test.run();
