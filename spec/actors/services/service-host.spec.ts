// Services on one system (no cluster), on virtual time: placement and registration, status as
// data and as a message, scale up and down, drain, the health seam, routers, recovery, errors.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type SystemEvent, type TroupeError } from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing/test-system.ts';
import { createReceptionist, type Receptionist } from '../../../actors/receptionist.ts';
import {
  createServiceHost, defineService, type DrainResult, type InstanceHealth, type ScaleResult, type ServiceSpec, type ServiceStatus,
} from '../../../actors/services/index.ts';

/** A job: answers the instance's path; `holdMs` answers after that much virtual time, `hang` never. */
type Work =
  | { type: 'work'; replyTo: ActorRef<string>; holdMs?: number; hang?: boolean }
  | { type: 'crash' };

const worker = defineActor<Work, undefined>({
  name: 'worker',
  init: () => undefined,
  receive: async (_s, m, ctx) => {
    if (m.type === 'crash') throw new Error('boom');
    if (m.hang) await new Promise(() => {});
    if (m.holdMs) await new Promise((r) => ctx.system.scheduler.startTimer(m.holdMs!, () => r(undefined)));
    m.replyTo.tell(ctx.self.path);
  },
});

interface Kit { kit: TestSystem; receptionist: Receptionist; dead: SystemEvent[] }

function setup(): Kit {
  const kit = createTestSystem();
  const dead: SystemEvent[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  return { kit, receptionist: createReceptionist(kit), dead };
}

async function start(k: Kit, extra: Partial<ServiceSpec<Work, undefined>> = {}, zone?: string) {
  const host = createServiceHost(k.kit, { receptionist: k.receptionist, zone });
  const service = await host.start(defineService<Work, undefined>({ name: 'orders', behavior: worker, instances: 3, ...extra }));
  await k.kit.runUntilIdle();
  return { host, service };
}

const ids = (s: ServiceStatus) => s.instances.map((i) => `${i.id}:${i.phase}`);
const tail = (path: string) => path.slice(path.lastIndexOf('/') + 1);

const test = suite('services on one system');

test('every instance runs locally, registered under the service key with version, zone, weight and health; status as data and as a message agree', async () => {
  const k = setup();
  const { host, service } = await start(k, { version: '2.1', weight: 3 }, 'z1');
  const listed = k.receptionist.instances(service.key);
  assert.equal(listed.map((i) => [tail(i.ref.path), i.node, i.metadata]), [
    ['0.0', 'local', { version: '2.1', zone: 'z1', weight: 3, health: 'healthy' }],
    ['1.0', 'local', { version: '2.1', zone: 'z1', weight: 3, health: 'healthy' }],
    ['2.0', 'local', { version: '2.1', zone: 'z1', weight: 3, health: 'healthy' }],
  ]);
  const status = await service.status();
  assert.equal({ ...status, instances: ids(status) }, {
    service: 'orders', version: '2.1', node: 'local', scope: 'cluster', desired: 3, desiredVersion: 0, settled: true, placed: 3, unplaced: [],
    nodes: [{ node: 'local', zone: 'z1', ordinals: [0, 1, 2] }], instances: ['orders-0:running', 'orders-1:running', 'orders-2:running'],
    routed: 3, health: 'healthy', problems: [],
  });
  assert.equal(status.instances[0].health, { state: 'healthy', live: true, ready: true, started: true, reasons: [], sinceMs: 0 });
  assert.equal(status.instances.map((i) => [i.node, i.zone, i.routed, i.source, i.address === String(i.ref)]), Array(3).fill(['local', 'z1', true, 'node', true]));

  const viaService = k.kit.createProbe<ServiceStatus>();
  service.ref.tell({ type: 'service.status', service: 'orders', replyTo: viaService.ref });
  assert.equal(await viaService.expectMessage(), status, 'the service actor answers the same data');
  const viaHost = k.kit.createProbe<ServiceStatus>();
  host.ref.tell({ type: 'service.status', service: 'orders', scope: 'node', replyTo: viaHost.ref });
  assert.equal(await viaHost.expectMessage(), { ...status, scope: 'node' }, 'the host hands commands to the service they name');
  assert.is(service.ref.path, '/user/services/orders');
  assert.is(host.service('orders'), service);
  await k.kit.terminate();
});

test('scale up adds the next ordinals; scale down drains and stops the newest first; the router follows without being recreated', async () => {
  const k = setup();
  const { service } = await start(k, { instances: 2, drain: { quietMs: 50 } });
  const router = service.router();
  assert.is(router.routees().length, 2);
  assert.equal(await service.scale(5), { service: 'orders', previous: 2, count: 5, version: 1 } satisfies ScaleResult);
  await k.kit.runUntilIdle();
  assert.equal(ids(await service.status()), ['orders-0:running', 'orders-1:running', 'orders-2:running', 'orders-3:running', 'orders-4:running']);
  const seen = new Set<string>();
  for (let i = 0; i < 5; i++) seen.add(tail(await router.ask<string>((replyTo) => ({ type: 'work', replyTo }))));
  assert.equal([...seen].sort(), ['0.0', '1.0', '2.0', '3.0', '4.0'], 'the same router reaches the new instances');

  const stopped: string[] = [];
  k.kit.events$.subscribe((e) => { if (e.type === 'stopped' && e.path.startsWith('/user/services/orders/')) stopped.push(tail(e.path)); });
  const result = await service.scale(3);
  assert.equal([result.previous, result.count, result.version], [5, 3, 2]);
  assert.equal(router.routees().map((i) => tail(i.ref.path)), ['0.0', '1.0', '2.0'], 'the scaled-away instances leave routing at once');
  assert.equal(ids(await service.status({ scope: 'node' })), ['orders-0:running', 'orders-1:running', 'orders-2:running', 'orders-3:draining', 'orders-4:draining']);
  await k.kit.advance(1_000);
  assert.equal(stopped.sort(), ['3.0', '4.0'], 'ordinals 3 and 4, the newest, stopped');
  const after = await service.status();
  assert.equal([ids(after), after.desired, after.desiredVersion, after.health], [['orders-0:running', 'orders-1:running', 'orders-2:running'], 3, 2, 'healthy']);
  await service.scale(0);
  await k.kit.advance(1_000);
  const none = await service.status();
  assert.equal([none.instances.length, none.health, none.problems], [0, 'healthy', []]);
  await k.kit.terminate();
});

test('drain: an in-flight ask finishes, no new work is routed to it, it stops once quiet, and a fresh instance takes its ordinal', async () => {
  const k = setup();
  const { service } = await start(k, { instances: 2, drain: { quietMs: 100 } });
  const old = (await service.status()).instances[0];
  assert.is(old.id, 'orders-0');
  const inFlight = (old.ref as ActorRef<Work>).ask<string>((replyTo) => ({ type: 'work', replyTo, holdMs: 1_000 }), { timeoutMs: 10_000 });
  await k.kit.runUntilIdle();
  const t0 = k.kit.now();
  let drained: DrainResult | undefined;
  void service.drain('orders-0').then((r) => { drained = r; });
  await k.kit.runUntilIdle();

  const router = service.router();
  assert.not.ok(router.routees().some((i) => i.ref.equals(old.ref as never)), 'the draining instance is out of routing at once');
  const during = await service.status({ scope: 'node' });
  assert.equal(ids(during), ['orders-0:draining', 'orders-0:running', 'orders-1:running'], 'its replacement runs already');
  assert.equal(during.instances.map((i) => i.routed), [false, true, true]);
  const answers = await Promise.all(Array.from({ length: 6 }, () => router.ask<string>((replyTo) => ({ type: 'work', replyTo }))));
  assert.ok(answers.every((p) => p !== old.ref.path), `no new work reached the draining instance: ${answers.join(' ')}`);

  await k.kit.advance(999);
  assert.is(drained, undefined, 'it keeps running while its in-flight ask is being handled');
  assert.ok(old.ref.alive);
  await k.kit.advance(1);
  assert.is(await inFlight, old.ref.path, 'the in-flight ask was answered');
  await k.kit.advance(200);
  assert.ok(drained !== undefined, 'the drain finished');
  assert.equal({ ...drained, tookMs: undefined }, { service: 'orders', instance: 'orders-0', address: old.address, node: 'local', outcome: 'drained', tookMs: undefined });
  assert.ok(drained.tookMs >= 1_000 + 100 && drained.tookMs <= 1_000 + 250, `took ${drained.tookMs} ms (the ask, then the quiet period)`);
  assert.is(k.kit.now() - t0 >= drained.tookMs, true);
  assert.not.ok(old.ref.alive);
  assert.equal((await service.status()).instances.map((i) => `${i.id} ${tail(i.ref.path)}`), ['orders-0 0.1', 'orders-1 1.0']);
  await k.kit.terminate();
});

test('drain of an instance that hangs: stopped at its deadline (and killed after shutdownMs); the others are served', async () => {
  const k = setup();
  const { service } = await start(k, { instances: 2, shutdownMs: 200, drain: { quietMs: 50 } });
  const old = (await service.status()).instances[1];
  const hung = (old.ref as ActorRef<Work>).ask<string>((replyTo) => ({ type: 'work', replyTo, hang: true }), { timeoutMs: 5_000 }).then(() => undefined, (e: unknown) => e);
  await k.kit.runUntilIdle();
  let drained: DrainResult | undefined;
  void service.drain(old.ref as ActorRef<Work>, { deadlineMs: 500 }).then((r) => { drained = r; });
  await k.kit.advance(499);
  assert.is(drained, undefined);
  await k.kit.advance(1);
  assert.is(drained, undefined, 'at the deadline it is asked to stop; it is still stuck in its handler');
  await k.kit.advance(200);
  assert.equal([drained?.outcome, drained?.tookMs, drained?.instance], ['deadline', 700, 'orders-1'], 'killed after shutdownMs');
  await k.kit.advance(5_000);
  assert.ok(isTroupeError(await hung, 'ask-timeout'), 'the hung ask was taken, so it is never answered: it times out');
  const router = service.router();
  assert.equal((await Promise.all([1, 2].map(() => router.ask<string>((replyTo) => ({ type: 'work', replyTo }))))).map(tail).sort(), ['0.0', '1.1']);
  await k.kit.terminate();
});

test('the health seam: unhealthy or not ready takes an instance out of routing, degraded keeps it; status carries it; stale and malformed reports change nothing', async () => {
  const k = setup();
  const { service } = await start(k, { instances: 3 });
  const [i0, i1, i2] = (await service.status()).instances;
  const health = (state: InstanceHealth['state'], ready: boolean, reasons: string[] = []): InstanceHealth => ({ state, live: true, ready, started: true, reasons, sinceMs: k.kit.now() });
  service.ref.tell({ type: 'health', instance: 'orders-0', health: health('unhealthy', false, ['liveness: no answer in 1000 ms']), checks: [] });
  service.ref.tell({ type: 'health', instance: i1.address, health: health('degraded', true, ['p99 latency 800 ms']), checks: [] });
  service.ref.tell({ type: 'health', instance: i2.ref.path, health: health('healthy', false, ['readiness: database down']), checks: [] });
  await k.kit.runUntilIdle();
  assert.equal(k.receptionist.instances(service.key).map((i) => [tail(i.ref.path), i.metadata.health, i.metadata.ready]), [['0.0', 'unhealthy', false], ['1.0', 'degraded', undefined], ['2.0', 'healthy', false]]);
  const router = service.router();
  assert.equal(router.routees().map((i) => tail(i.ref.path)), ['1.0'], 'only the degraded one is routed');
  const s = await service.status();
  assert.equal(s.instances.map((i) => [i.id, i.health.state, i.routed, i.health.reasons]), [
    ['orders-0', 'unhealthy', false, ['liveness: no answer in 1000 ms']], ['orders-1', 'degraded', true, ['p99 latency 800 ms']], ['orders-2', 'healthy', false, ['readiness: database down']],
  ]);
  assert.equal([s.routed, s.health], [1, 'degraded']);

  const dead = k.dead.length;
  service.ref.tell({ type: 'health', instance: 'orders-9', health: health('healthy', true), checks: [] });
  service.ref.tell({ type: 'health', instance: 'orders-1', health: { state: 'fine' } as never, checks: [] });
  await k.kit.runUntilIdle();
  assert.is(k.dead.length, dead + 1, 'a malformed report is dead-lettered; one for an instance that is not here is ignored');
  for (const i of [i0, i1, i2]) service.ref.tell({ type: 'health', instance: i.id, health: health('unhealthy', false), checks: [] });
  await k.kit.runUntilIdle();
  assert.equal((await service.status()).health, 'unhealthy', 'nothing routed: the service is unhealthy');
  const e = await router.ask<string>((replyTo) => ({ type: 'work', replyTo })).then(() => undefined, (x: unknown) => x);
  assert.ok(isTroupeError(e, 'actor-dead'), 'with every instance out of routing an ask fails at once');
  service.ref.tell({ type: 'health', instance: 'orders-0', health: health('healthy', true), checks: [] });
  await k.kit.runUntilIdle();
  assert.is(tail(await router.ask<string>((replyTo) => ({ type: 'work', replyTo }))), '0.0', 'back in routing as soon as it reports healthy');
  await k.kit.terminate();
});

test('recovery: a failing instance restarts in place; one that exhausts the intensity restarts the service on the node after a backoff', async () => {
  const k = setup();
  const { service } = await start(k, { instances: 2, recovery: { intensity: { maxRestarts: 2, withinMs: 1_000 } } });
  const before = (await service.status()).instances;
  (before[0].ref as ActorRef<Work>).tell({ type: 'crash' });
  await k.kit.runUntilIdle();
  const once = (await service.status()).instances;
  assert.equal(once.map((i) => i.address), before.map((i) => i.address), 'restarted in place: same refs');
  for (let i = 0; i < 3; i++) (before[1].ref as ActorRef<Work>).tell({ type: 'crash' });
  await k.kit.runUntilIdle();
  assert.not.ok(before[0].ref.alive || before[1].ref.alive, 'beyond the intensity the service on this node restarts, its instances with it');
  assert.ok(await k.kit.runUntil(() => k.receptionist.instances(service.key).length === 2, 5_000), 'after the backoff the instances are back');
  const again = await service.status();
  assert.equal([ids(again), again.health], [['orders-0:running', 'orders-1:running'], 'healthy']);
  assert.ok(again.instances.every((i) => !before.some((b) => b.address === i.address)), 'as fresh incarnations');
  await k.kit.terminate();
});

test('max per node on one node: the instances that do not fit are reported unplaced, nothing throws', async () => {
  const k = setup();
  const { service } = await start(k, { instances: 3, placement: { maxPerNode: 2 } });
  const s = await service.status();
  assert.equal([s.desired, s.placed, s.unplaced, s.routed, s.health], [3, 2, [2], 2, 'degraded']);
  assert.match(s.problems.join(' '), /1 of 3 instances have no node: maxPerNode 2 × 1 eligible node hold 2/);
  const pinned = await createServiceHost(k.kit, { receptionist: k.receptionist, name: 'pinned' })
    .start(defineService({ name: 'pinned', behavior: worker, instances: 2, placement: { nodes: ['elsewhere'] } }));
  const p = await pinned.status();
  assert.equal([p.placed, p.unplaced, p.health], [0, [0, 1], 'unhealthy']);
  assert.match(p.problems.join(' '), /no node hosting pinned matches the placement \(nodes \[elsewhere\]\)/);
  await k.kit.terminate();
});

test('bad input: typed errors from the API, dead letters for bad messages, nothing lost', async () => {
  const k = setup();
  const { host, service } = await start(k, { instances: 1 });
  const err = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as TroupeError);
  assert.ok(isTroupeError(await err(host.start(defineService({ name: 'orders', behavior: worker }))), 'duplicate-name'));
  assert.ok(isTroupeError(await err(host.start({ kind: 'actor' } as never)), 'invalid-argument'));
  for (const n of [-1, 1.5, 10_001, NaN]) assert.ok(isTroupeError(await err(service.scale(n)), 'invalid-argument'), `scale(${n})`);
  const unknown = await err(service.drain('orders-7'));
  assert.ok(isTroupeError(unknown, 'unknown-instance'));
  assert.match((unknown as Error).message, /no instance "orders-7" runs/);
  assert.ok(isTroupeError(await err(service.drain('orders-0', { deadlineMs: 0 })), 'invalid-argument'));
  assert.throws(() => createServiceHost(k.kit, { receptionist: createReceptionist(createTestSystem()) }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => createServiceHost(k.kit, { receptionist: k.receptionist, name: 'x2', zone: 'eu 1' }), (e: unknown) => isTroupeError(e, 'invalid-argument'));
  assert.throws(() => createServiceHost(k.kit, { receptionist: k.receptionist, name: 'x3', statusTimeoutMs: 0 }), (e: unknown) => isTroupeError(e, 'invalid-argument'));

  const dead = k.dead.length;
  const probe = k.kit.createProbe<unknown>();
  host.ref.tell({ type: 'service.status', service: 'nope', replyTo: probe.ref as never });
  service.ref.tell({ type: 'service.scale', service: 'orders', count: -3, replyTo: probe.ref as never });
  service.ref.tell({ type: 'service.scale', service: 'billing', count: 1 });
  service.ref.tell({ type: 'service.drain', service: 'orders', instance: 'orders-0', deadlineMs: -1 });
  await k.kit.runUntilIdle();
  assert.is(k.dead.length, dead + 4, 'each bad command is a dead letter');
  await probe.expectNoMessage(100);
  assert.equal(ids(await service.status()), ['orders-0:running'], 'and the service carries on as it was');
  const notFound = k.kit.createProbe<DrainResult>();
  service.ref.tell({ type: 'service.drain', service: 'orders', instance: 'orders-5', replyTo: notFound.ref });
  assert.equal(await notFound.expectMessage(), { service: 'orders', instance: 'orders-5', address: '', node: 'local', outcome: 'not-found', tookMs: 0 }, 'the message form answers not-found as data');
  await k.kit.terminate();
});

test.run();
