// Recovery of services on virtual time: probes detect, the coordinator decides per policy under
// its budget, the service acts — hung, crash loop, degraded, five services at once, flapping.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing/test-system.ts';
import { createReceptionist } from '../../../actors/receptionist.ts';
import { createServiceHost, defineService, type ServiceSpec } from '../../../actors/services/index.ts';
import { createRecoveryCoordinator, type RecoveryCoordinatorOptions, type RecoveryEvent } from '../../../actors/recovery/index.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSimCluster } from '../../../runtime/testing/sim-cluster.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> } | { type: 'hang' } | { type: 'crash' } | { type: 'slow'; ms: number };

/** Counts work per path; `hang` blocks the instance, `crash` throws, `slow` makes every later message take `ms`. */
function worker(received: Map<string, number>) {
  return defineActor<Work, { slowMs: number }>({
    name: 'worker',
    init: () => ({ slowMs: 0 }),
    receive: async (s, m, ctx) => {
      if (m.type === 'hang') { await new Promise(() => {}); return s; }
      if (m.type === 'crash') throw new Error('boom');
      if (m.type === 'slow') return { slowMs: m.ms };
      if (s.slowMs > 0) await new Promise((r) => ctx.system.scheduler.startTimer(s.slowMs, () => r(undefined)));
      received.set(ctx.self.path, (received.get(ctx.self.path) ?? 0) + 1);
      m.replyTo.tell(ctx.self.path);
      return s;
    },
  });
}

const PROBES = { liveness: { periodMs: 1_000, failureThreshold: 2 }, readiness: { periodMs: 1_000 } } as const;

async function setup(services: Partial<ServiceSpec<Work, { slowMs: number }>>[], budget?: number, more: RecoveryCoordinatorOptions = {}) {
  const kit = createTestSystem();
  const receptionist = createReceptionist(kit);
  const recovery = createRecoveryCoordinator(kit, { budget, ...more });
  const events: RecoveryEvent[] = [];
  recovery.events$.subscribe((e) => events.push(e));
  const host = createServiceHost(kit, { receptionist, recovery });
  const received = new Map<string, number>();
  const started = [];
  for (const [i, extra] of services.entries()) {
    started.push(await host.start(defineService<Work, { slowMs: number }>({ name: `svc${i}`, behavior: worker(received), instances: 2, probes: PROBES, ...extra })));
  }
  await kit.runUntilIdle();
  await kit.advance(100);
  return { kit, services: started, events, received };
}

async function stop(kit: TestSystem) {
  const stopping = kit.terminate();
  await kit.advance(20_000);
  await stopping;
}

const test = suite('recovery of services');

test('a hung instance: detected by its probe, restarted within 3 s of detection; a fresh instance serves and no request is lost', async () => {
  const { kit, services: [svc], events } = await setup([{}]);
  const [i0, i1] = (await svc.status()).instances;
  (i0.ref as ActorRef<Work>).tell({ type: 'hang' });
  assert.ok(await kit.runUntil(() => events.some((e) => e.verdict === 'start'), 10_000), 'a recovery started');
  const start = events.find((e) => e.verdict === 'start')!;
  assert.equal([start.service, start.instance, start.kind, start.action], ['svc0', i0.address, 'hung', 'restart']);
  assert.ok(start.atMs - start.detectedAtMs <= 3_000, `recovery started ${start.atMs - start.detectedAtMs} ms after detection`);
  assert.match(start.reason, /^hung: .*liveness.* → restart \(attempt 1\)$/);
  const router = svc.router();
  const answers = await Promise.all(Array.from({ length: 10 }, () => router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 60_000 })));
  assert.equal(new Set(answers), new Set([i1.ref.path]), 'while it recovers the healthy instance serves');
  assert.ok(await kit.runUntil(() => svc.router().routees().length === 2, 20_000), 'the fresh instance joins routing');
  const after = await svc.status();
  assert.equal([after.health, after.instances.map((i) => i.id)], ['healthy', ['svc0-0', 'svc0-1']]);
  assert.not.ok(after.instances.some((i) => i.address === i0.address), 'as a fresh incarnation');
  await stop(kit);
});

test('five services failing at once: the budget holds, the rest escalate (an operator event) and start as slots free', async () => {
  const { kit, services, events } = await setup([{}, {}, {}, {}, {}], 2);
  const first = await Promise.all(services.map(async (s) => (await s.status()).instances[0]));
  for (const i of first) (i.ref as ActorRef<Work>).tell({ type: 'hang' });
  assert.ok(await kit.runUntil(() => events.filter((e) => e.verdict === 'escalate').length === 3, 10_000), 'three escalated');
  const startsAtEscalation = events.filter((e) => e.verdict === 'start').length;
  assert.is(startsAtEscalation, 2, 'only the budget of 2 started');
  for (const e of events) assert.ok(e.reason.length > 0, 'every decision has its reason');
  assert.match(events.find((e) => e.verdict === 'escalate')!.reason, /budget of 2 concurrent recoveries is exhausted/);
  assert.ok(await kit.runUntil(() => events.filter((e) => e.verdict === 'start').length === 5, 60_000), 'all five recovered in the end');
  // never more than 2 at once: replay the starts and dones through the events' order
  assert.ok(await kit.runUntil(() => services.every((s) => s.router().routees().length === 2), 30_000), 'every service back to two routed instances');
  await stop(kit);
});

test('a degraded instance is circuit-broken: callers\' routers open their breaker for it (routing around it), then let one trial through; ejection never empties a service', async () => {
  const { kit, services: [svc], events } = await setup([{ instances: 2, recovery: { policy: { maxEjectedFraction: 0.5, breakMs: 2_000 } }, probes: { ...PROBES, signals: { latencyP99Ms: 50, minMessages: 1, failureThreshold: 1 } } }]);
  const router = svc.router();
  const [i0, i1] = (await svc.status()).instances;
  for (const i of [i0, i1]) (i.ref as ActorRef<Work>).tell({ type: 'slow', ms: 100 });
  for (const i of [i0, i1]) for (let n = 0; n < 3; n++) (i.ref as ActorRef<Work>).tell({ type: 'work', replyTo: kit.createProbe<string>().ref });
  assert.ok(await kit.runUntil(() => events.filter((e) => e.kind === 'degraded').length >= 2, 10_000), 'both reported degraded');
  const degraded = events.filter((e) => e.kind === 'degraded');
  assert.equal(degraded.slice(0, 2).map((e) => e.verdict).sort(), ['skip', 'start']);
  assert.match(degraded.find((e) => e.verdict === 'skip')!.reason, /max ejected fraction 0.5 \(one always stays routed\)/);
  const broken = degraded.find((e) => e.verdict === 'start')!.instance;
  assert.is(router.routees().length, 1, 'one broken, one still routed');
  assert.equal(router.stats().routees.map((r) => [r.address === broken, r.breaker]).sort(), [[false, 'closed'], [true, 'open']], 'the caller\'s breaker for it is open');
  const listed = (await svc.status()).instances.find((i) => i.address === broken)!;
  assert.is(listed.routed, false, 'status shows it out of routing while its circuit is open');
  const other = (await svc.status()).instances.find((i) => i.address !== broken)!;
  const ask = async (): Promise<string> => {
    let out: string | undefined;
    router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 5_000 }).then((v) => { out = v; }, (e) => { out = String(e); });
    await kit.runUntil(() => out !== undefined, 6_000);
    return out!;
  };
  const answers: string[] = [];
  for (let n = 0; n < 4; n++) answers.push(await ask());
  assert.equal(new Set(answers), new Set([other.ref.path]), 'asks are routed around the open one');
  await kit.advance(2_000); // breakMs: the breaker is half-open
  const tried = [await ask(), await ask()];
  assert.equal(new Set(tried), new Set([listed.ref.path, other.ref.path]), 'one trial went to it (slow but answering)');
  assert.is(router.stats().routees.find((r) => r.address === broken)!.breaker, 'closed', 'the trial succeeded: closed');
  await stop(kit);
});

test('a crash loop: the instance is redeployed (drained, a fresh incarnation takes its ordinal) within 3 s of detection', async () => {
  const { kit, services: [svc], events } = await setup([{
    recovery: { intensity: { maxRestarts: 20, withinMs: 5_000 } }, drain: { quietMs: 50 },
    probes: { ...PROBES, signals: { maxRestarts: 2, failureThreshold: 1 } },
  }]);
  const [i0] = (await svc.status()).instances;
  for (let n = 0; n < 3; n++) (i0.ref as ActorRef<Work>).tell({ type: 'crash' });
  assert.ok(await kit.runUntil(() => events.some((e) => e.verdict === 'start'), 10_000), 'a recovery started');
  const start = events.find((e) => e.verdict === 'start')!;
  assert.equal([start.instance, start.kind, start.action], [i0.address, 'crash-loop', 'redeploy']);
  assert.match(start.reason, /^crash-loop: crash loop: 3 restarts in the signal window > 2.* → redeploy/);
  assert.ok(start.atMs - start.detectedAtMs <= 3_000);
  assert.ok(await kit.runUntil(() => !i0.ref.alive, 20_000), 'the looping incarnation drained and stopped');
  assert.ok(await kit.runUntil(() => svc.router().routees().length === 2, 20_000));
  const after = await svc.status();
  assert.equal([after.health, after.instances.map((i) => i.id).sort()], ['healthy', ['svc0-0', 'svc0-1']]);
  await stop(kit);
});

test('flapping health is damped: cooldown and backoff let few recoveries start, every other decision waits with its reason', async () => {
  const { kit, services: [svc], events } = await setup([{ probes: undefined, recovery: { policy: { breakMs: 100 } } }]);
  const [i0] = (await svc.status()).instances;
  const t0 = kit.now();
  for (let n = 0; n < 40; n++) {
    const bad = n % 2 === 0;
    svc.ref.tell({ type: 'health', instance: i0.address, checks: [], health: { state: bad ? 'degraded' : 'healthy', live: true, ready: true, started: true, reasons: bad ? ['p99 latency 900 ms'] : [], sinceMs: kit.now() } });
    await kit.advance(250);
  }
  const elapsed = kit.now() - t0;
  const starts = events.filter((e) => e.verdict === 'start');
  assert.ok(events.filter((e) => e.kind === 'degraded').length >= 10, `${events.length} decisions`);
  assert.ok(starts.length <= Math.ceil(elapsed / 5_000) + 1, `${starts.length} recoveries in ${elapsed} ms: at most one per cooldown`);
  assert.ok(starts.length >= 1);
  for (const e of events) assert.ok(e.reason.length > 0 && (e.verdict !== 'wait' || e.retryAtMs! > e.atMs));
  assert.ok(events.some((e) => e.verdict === 'wait' && /cooling down|backs off/.test(e.reason)));
  await stop(kit);
});

test('a recovery never reported done does not hold the budget for ever: its permit expires after timeoutMs and the next one starts', async () => {
  const { kit, services, events } = await setup([{ shutdownMs: 60_000 }, { shutdownMs: 60_000 }], 1, { timeoutMs: 4_000 });
  for (const s of services) ((await s.status()).instances[0].ref as ActorRef<Work>).tell({ type: 'hang' });
  assert.ok(await kit.runUntil(() => events.some((e) => e.verdict === 'escalate'), 10_000), 'one started, the other waits');
  const first = events.find((e) => e.verdict === 'start')!;
  assert.ok(await kit.runUntil(() => events.filter((e) => e.verdict === 'start').length === 2, 10_000), 'the second started');
  const expired = events.find((e) => e.verdict === 'done')!;
  assert.equal([expired.instance, expired.atMs - first.atMs], [first.instance, 4_000]);
  assert.match(expired.reason, /restart of .* was not reported done within 4000 ms; its permit expires/);
  assert.is(events.filter((e) => e.verdict === 'start')[1].atMs, expired.atMs, 'the next one started as the permit expired');
  const stopping = kit.terminate();
  await kit.advance(70_000);
  await stopping;
});

test('options are checked: budget, timeouts, and a receptionist on a cluster node', async () => {
  const kit = createTestSystem();
  assert.throws(() => createRecoveryCoordinator(kit, { budget: 0 }), /budget must be an integer ≥ 1 \(default 2\)/);
  assert.throws(() => createRecoveryCoordinator(kit, { syncMs: 0 }), /syncMs must be a finite number > 0 \(default 1000\)/);
  assert.throws(() => createRecoveryCoordinator(kit, { timeoutMs: Infinity }), /timeoutMs must be a finite number > 0/);
  await kit.terminate();
  const sim = await createSimCluster({ nodes: ['a'] });
  const e = (() => { try { createRecoveryCoordinator(sim.node('a')); } catch (x) { return x; } })();
  assert.ok(isTroupeError(e, 'invalid-argument'));
  assert.match((e as Error).message, /on a cluster node give options.receptionist \(createReceptionist\(node\)\)/);
  await sim.shutdown();
});

test.run();
