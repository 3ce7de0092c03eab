// Specs of the probe actor on virtual time: detection of a hung instance within the thresholds'
// periods, degraded by latency / errors / mailbox depth / event-loop delay, crash loops, startup
// gating, flapping damped by thresholds, readiness from a dependency, and the end of an instance.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem, type TestSystemOptions } from '../../../runtime/testing.ts';
import {
  createHealthRegistry, defineProbeActor, dependsOn, type HealthEvent, type HealthRegistry, type InstanceHealth,
  type ProbeActorOptions, type ProbeConfig, type ProbeRequest, type WithProbesOptions,
} from '../../../actors/probes/index.ts';
import { probedWorker, workerHooks, type WorkerHooks, type WorkerMsg, type WorkerState } from '../../helpers/probed-worker.ts';

const PERIOD = 1_000;
const fast = (o: object = {}) => ({ periodMs: PERIOD, timeoutMs: PERIOD, ...o });

interface Rig {
  kit: TestSystem;
  registry: HealthRegistry;
  hooks: WorkerHooks;
  worker: ActorRef<WorkerMsg | ProbeRequest>;
  prober: ActorRef<never>;
  /** The instance's transitions so far (from the registry's history). */
  transitions(): { atMs: number; to: InstanceHealth }[];
  health(): InstanceHealth;
}

function rig(probes: ProbeConfig, o: { worker?: WithProbesOptions<WorkerState, WorkerMsg>; ready?: boolean; system?: TestSystemOptions; probe?: Partial<ProbeActorOptions> } = {}): Rig {
  const kit = createTestSystem(o.system);
  const registry = createHealthRegistry(kit);
  const hooks = workerHooks();
  const worker = kit.spawn(probedWorker(hooks, o.worker, o.ready ?? true), 'w');
  const prober = kit.spawn(defineProbeActor({ target: worker, reportTo: registry.ref, service: 'svc', probes, ...o.probe }), 'w-probe') as ActorRef<never>;
  const transitions = () => registry.history()
    .filter((e): e is Extract<HealthEvent, { type: 'instance-health' }> => e.type === 'instance-health')
    .map((e) => ({ atMs: e.atMs, to: e.to }));
  return { kit, registry, hooks, worker, prober, transitions, health: () => registry.instance('/user/w')!.health };
}

/** The virtual time at which the instance first matched `pred` (per the registry's history). */
function firstTime(r: Rig, pred: (h: InstanceHealth) => boolean): number | undefined {
  return r.transitions().find((t) => pred(t.to))?.atMs;
}

const hang = suite('probe actor: a hung instance');

hang('liveness fails after failureThreshold periods: detected within one period of the threshold', async () => {
  const r = rig({ liveness: fast(), readiness: fast() });
  await r.kit.advance(5_300);
  assert.is(r.health().state, 'healthy');
  const hungAt = r.kit.now();
  r.worker.tell({ type: 'hang' });
  await r.kit.advance(6_000);
  const detected = firstTime(r, (h) => !h.live);
  assert.ok(detected !== undefined, 'liveness must fail');
  const after = detected - hungAt;
  // a probe sent in the hang fails at its timeout; the third consecutive failure turns liveness
  assert.ok(after >= 2 * PERIOD + PERIOD && after <= 3 * PERIOD + PERIOD, `detected ${after} ms after the hang`);
  assert.equal(r.health(), { ...r.health(), state: 'unhealthy', live: false, ready: false });
  assert.match(r.health().reasons[0], /^liveness: no answer within 1000 ms \(3 consecutive failures\)|^liveness: no answer within the period/);
  assert.is((await r.registry.livez()).ok, false);
  r.hooks.release();
  await r.kit.advance(2 * PERIOD);
  assert.is(r.health().state, 'healthy', 'one answer brings liveness back (successThreshold 1), readiness too');
  await r.kit.terminate();
});

hang('with failureThreshold 1 an unresponsive instance is detected within 1–2 periods', async () => {
  const r = rig({ liveness: { periodMs: PERIOD, timeoutMs: 500, failureThreshold: 1 } });
  await r.kit.advance(3_700);
  const hungAt = r.kit.now();
  r.worker.tell({ type: 'hang' });
  await r.kit.advance(3_000);
  const detected = firstTime(r, (h) => !h.live)!;
  const after = detected - hungAt;
  assert.ok(after > 0 && after <= PERIOD + 500, `detected ${after} ms after the hang`);
  assert.ok(after <= 2 * PERIOD);
  // a timeout shorter than the period fails the run at its timeout, not at the next period
  assert.is(detected % PERIOD, 500, `probes run on the period; the run failed ${detected % PERIOD} ms after it`);
  assert.equal(r.health().reasons, ['liveness: no answer within 500 ms']);
  r.hooks.release();
  await r.kit.terminate();
});

hang('a probe still unanswered at its next period counts as failed there', async () => {
  const r = rig({ liveness: { periodMs: 500, timeoutMs: 500, failureThreshold: 2 } });
  await r.kit.advance(1_000);
  r.worker.tell({ type: 'hang' });
  await r.kit.advance(2_000);
  assert.is(r.health().live, false);
  assert.ok(r.registry.instance('/user/w')!.checks!.some((c) => c.name === 'liveness' && /no answer within/.test(c.reason ?? '')));
  r.hooks.release();
  await r.kit.terminate();
});

hang('initialDelayMs delays the first probe', async () => {
  const r = rig({ readiness: fast({ initialDelayMs: 3_000 }) });
  await r.kit.advance(2_900);
  assert.is(r.health().state, 'starting');
  await r.kit.advance(200);
  assert.is(r.health().state, 'healthy');
  assert.is(firstTime(r, (h) => h.state === 'healthy'), 3_000);
  await r.kit.terminate();
});

const degraded = suite('probe actor: degraded from signals');

degraded('a slow handler pushes the p99 over its threshold: degraded, still ready; healthy once the window passes', async () => {
  const r = rig({ liveness: fast(), readiness: fast(), signals: { latencyP99Ms: 100, minMessages: 5 } }, { worker: { signalWindowMs: 6_000 } });
  await r.kit.advance(2_000);
  for (let i = 0; i < 12; i++) { r.worker.tell({ type: 'slow', ms: 200 }); await r.kit.advance(500); }
  const h = r.health();
  assert.is(h.state, 'degraded');
  assert.equal([h.live, h.ready], [true, true]);
  assert.match(h.reasons.join(), /latency p99 200 ms > 100 ms/);
  await r.kit.advance(10_000);
  assert.is(r.health().state, 'healthy', 'the slow samples left the window');
  const states = r.transitions().map((t) => t.to.state);
  assert.equal(states, ['starting', 'healthy', 'degraded', 'healthy']);
  await r.kit.terminate();
});

degraded('an erroring handler pushes the error rate over its threshold', async () => {
  const r = rig({ liveness: fast(), readiness: fast() }, { system: { guardian: { decider: () => 'resume' } } });
  await r.kit.advance(1_000);
  for (let i = 0; i < 20; i++) {
    r.worker.tell(i % 3 === 0 ? { type: 'boom' } : { type: 'work' });
    await r.kit.advance(250);
  }
  const h = r.health();
  assert.is(h.state, 'degraded');
  assert.match(h.reasons.join(), /error rate 0\.\d+ > 0\.2/);
  assert.equal([h.live, h.ready], [true, true], 'errors a supervisor resumes from leave it serving');
  await r.kit.terminate();
});

degraded('a deep mailbox is degraded', async () => {
  const r = rig({ liveness: fast(), signals: { failureThreshold: 1, successThreshold: 1 } });
  await r.kit.advance(9_900);
  r.worker.tell({ type: 'slow', ms: 300 }); // busy from 9 900 to 10 200: the probe of 10 000 waits behind it
  await r.kit.advance(150);
  for (let i = 0; i < 1_500; i++) r.worker.tell({ type: 'work' }); // queued behind the probe
  await r.kit.advance(300);
  assert.is(r.health().state, 'degraded');
  assert.match(r.health().reasons.join(), /mailbox depth 1500 > 1000/);
  await r.kit.advance(PERIOD);
  assert.is(r.health().state, 'healthy', 'drained');
  await r.kit.terminate();
});

degraded('the node\'s event-loop delay, read through the injected source', async () => {
  let delay = 5;
  const r = rig({ liveness: fast(), signals: { eventLoopDelayMs: 100, successThreshold: 1 } }, { probe: { eventLoop: { delayMs: () => delay } } });
  await r.kit.advance(3_000);
  assert.is(r.health().state, 'healthy');
  delay = 250;
  await r.kit.advance(2_000);
  assert.is(r.health().state, 'degraded');
  assert.match(r.health().reasons.join(), /event-loop delay p99 250 ms > 100 ms/);
  delay = 20;
  await r.kit.advance(PERIOD);
  assert.is(r.health().state, 'healthy');
  await r.kit.terminate();
});

const crashes = suite('probe actor: crashes');

crashes('an instance crashing in a loop (restarted each time) is not ready: unhealthy, still live', async () => {
  const r = rig({ liveness: fast(), readiness: fast() }, { system: { guardian: { intensity: { maxRestarts: 1_000, withinMs: 1_000 } } } });
  await r.kit.advance(1_000);
  for (let i = 0; i < 8; i++) { r.worker.tell({ type: 'boom' }); await r.kit.advance(500); }
  await r.kit.advance(PERIOD);
  const h = r.health();
  assert.equal([h.state, h.live, h.ready], ['unhealthy', true, false]);
  assert.match(h.reasons.join(), /crash loop: \d+ restarts in the signal window > 3/);
  assert.is(r.registry.service('svc')!.state, 'unhealthy');
  await r.kit.terminate();
});

crashes('an instance that crashes and is not restarted stops: a final unhealthy report, and the probe actor stops', async () => {
  const r = rig({ liveness: fast(), readiness: fast() }, { system: { guardian: { decider: () => 'stop' } } });
  await r.kit.advance(1_000);
  const watcher = r.kit.createProbe<never>();
  r.worker.tell({ type: 'boom' });
  await watcher.expectTerminated(r.prober);
  const last = r.registry.history().at(-2)!;
  assert.equal(last.type === 'instance-health' && [last.to.state, last.to.live, last.to.reasons], ['unhealthy', false, ['stopped (failure)']]);
  assert.is(r.health().state, 'unhealthy', 'the registry keeps it until it is forgotten');
  await r.kit.terminate();
});

const gating = suite('probe actor: startup gating');

gating('liveness and readiness wait until the startup probe succeeds', async () => {
  let livenessChecks = 0;
  const r = rig(
    { startup: fast({ failureThreshold: 30 }), liveness: fast(), readiness: fast() },
    { worker: { started: (s) => s.handled >= 3, checks: { probe: { kind: 'liveness', check: () => { livenessChecks++; return true; } } } } },
  );
  await r.kit.advance(5_000);
  assert.equal([r.health().state, r.health().started, r.health().live], ['starting', false, true]);
  assert.is(livenessChecks, 0, 'no liveness probe before startup succeeded');
  for (let i = 0; i < 3; i++) r.worker.tell({ type: 'work' });
  await r.kit.advance(PERIOD);
  assert.equal([r.health().state, r.health().started], ['healthy', true]);
  await r.kit.advance(3 * PERIOD);
  assert.ok(livenessChecks >= 3, `liveness probed after startup (${livenessChecks})`);
  await r.kit.terminate();
});

gating('a startup probe that fails failureThreshold times makes the instance unhealthy and not live', async () => {
  const r = rig({ startup: fast({ failureThreshold: 5 }), liveness: fast() }, { worker: { started: () => ({ ok: false, reason: 'cache cold' }) } });
  await r.kit.advance(3_500);
  assert.is(r.health().state, 'starting');
  await r.kit.advance(1_000);
  const h = r.health();
  assert.equal([h.state, h.live, h.started], ['unhealthy', false, false]);
  assert.equal(h.reasons, ['startup: started: cache cold (5 consecutive failures)']);
  assert.is(firstTime(r, (x) => !x.live), 4_000, 'the 5th probe (at 0, 1, 2, 3, 4 s) fails at once');
  await r.kit.terminate();
});

const flapping = suite('probe actor: flapping and dependencies');

flapping('readiness flapping every period is damped by the thresholds; a sustained change goes through', async () => {
  const r = rig({ readiness: fast({ failureThreshold: 3, successThreshold: 2 }) });
  await r.kit.advance(1_500);
  assert.is(r.health().state, 'healthy');
  for (let i = 0; i < 10; i++) {
    r.worker.tell({ type: 'set-ready', ready: i % 2 === 1 });
    await r.kit.advance(PERIOD);
  }
  assert.equal(r.transitions().map((t) => t.to.state), ['starting', 'healthy'], 'no transition while it flaps');
  r.worker.tell({ type: 'set-ready', ready: false });
  await r.kit.advance(3 * PERIOD);
  assert.is(r.health().ready, false);
  r.worker.tell({ type: 'set-ready', ready: true });
  await r.kit.advance(PERIOD);
  assert.is(r.health().ready, false, 'one success is not enough (successThreshold 2)');
  await r.kit.advance(PERIOD);
  assert.is(r.health().ready, true);
  assert.equal(r.transitions().map((t) => t.to.state), ['starting', 'healthy', 'unhealthy', 'healthy']);
  await r.kit.terminate();
});

flapping('readiness from a dependency: not ready (but live) while the dependency is not; custom checks are in the report', async () => {
  const kit = createTestSystem();
  const registry = createHealthRegistry(kit);
  const hooks = workerHooks();
  const db = kit.spawn(probedWorker(hooks, {}, false), 'db');
  const api = kit.spawn(probedWorker(hooks, { checks: { db: dependsOn(db, { timeoutMs: 300 }) } }), 'api');
  kit.spawn(defineProbeActor({ target: api, reportTo: registry.ref, service: 'api', probes: { liveness: fast(), readiness: fast({ failureThreshold: 1 }) } }), 'api-probe');
  await kit.advance(2_000);
  const status = registry.instance('/user/api')!;
  assert.equal([status.health.state, status.health.live, status.health.ready], ['unhealthy', true, false]);
  assert.equal(status.checks, [
    { name: 'liveness', ok: true },
    { name: 'readiness', ok: false, reason: 'db: /user/db is not ready: ready: not ready yet' },
    { name: 'readiness/ready', ok: true },
    { name: 'readiness/db', ok: false, reason: '/user/db is not ready: ready: not ready yet' },
  ]);
  db.tell({ type: 'set-ready', ready: true });
  await kit.advance(PERIOD);
  assert.is(registry.instance('/user/api')!.health.state, 'healthy');
  await kit.terminate();
});

gating('each probe runs every period of its own: readiness on liveness\'s schedule runs at every liveness tick, on another schedule at its own', async () => {
  for (const [readiness, expected] of [[fast(), 6], [fast({ periodMs: 3 * PERIOD }), 2], [fast({ initialDelayMs: PERIOD / 2 }), 6]] as const) {
    let live = 0;
    let ready = 0;
    const worker = { ready: () => { ready++; return true; }, checks: { alive: { kind: 'liveness' as const, check: () => { live++; return true; } } } };
    const r = rig({ liveness: fast(), readiness }, { worker });
    await r.kit.advance(6 * PERIOD - 1);
    assert.equal([live, ready], [6, expected], `readiness ${JSON.stringify(readiness)}`);
    await r.kit.terminate();
  }
});

gating('probe actors started at different moments probe together on the alignment grid; alignMs 0 probes each on its own schedule', async () => {
  for (const [alignMs, expected] of [[undefined, [[100, 1_100, 2_100], [100, 1_100, 2_100], [200, 1_200, 2_200]]], [0, [[30, 1_030, 2_030], [70, 1_070, 2_070], [130, 1_130, 2_130]]]] as const) {
    const kit = createTestSystem();
    const seen: number[][] = [];
    const start = (i: number) => {
      const at: number[] = [];
      seen.push(at);
      const worker = { checks: { alive: { kind: 'liveness' as const, check: () => { at.push(kit.now()); return true; } } } };
      const w = kit.spawn(probedWorker(workerHooks(), worker), `w${i}`);
      kit.spawn(defineProbeActor({ target: w, probes: { liveness: fast({ alignMs }) } }), `p${i}`);
    };
    // period 1 000 ms: aligned by default to 100 ms; started at 30, 70 and 130 ms
    await kit.advance(30); start(0);
    await kit.advance(40); start(1);
    await kit.advance(60); start(2);
    await kit.advance(2_300 - 130);
    assert.equal(seen, expected, `alignMs ${String(alignMs)}`);
    await kit.terminate();
  }
});

gating('liveness and readiness on one schedule and timeout are asked in one request; a target that answers liveness only fails readiness, saying so', async () => {
  const kit = createTestSystem();
  const registry = createHealthRegistry(kit);
  const seen: ProbeRequest[] = [];
  // a target without withProbes: it gets the requests as messages and answers liveness only
  const target = kit.spawn(defineActor<ProbeRequest, undefined>({
    name: 'liveness-only', init: () => undefined,
    receive: (_s, m) => { seen.push(m); m.replyTo.tell({ kind: m.kind, ok: true, checks: [] }); },
  }), 't');
  kit.spawn(defineProbeActor({ target, reportTo: registry.ref, probes: { liveness: fast(), readiness: fast({ failureThreshold: 1 }) } }), 'p');
  await kit.advance(2 * PERIOD - 1);
  assert.equal(seen.map((r) => [r.kind, r.also]), [['liveness', 'readiness'], ['liveness', 'readiness']], 'one request a period');
  const h = registry.instance('/user/t')!.health;
  assert.is(h.live, true);
  assert.is(h.ready, false);
  assert.ok(h.reasons.some((r) => r.includes('the instance answered liveness without readiness')), h.reasons.join('; '));
  await kit.terminate();
});

gating('readiness on liveness\'s ticks with another timeout is asked in a request of its own', async () => {
  const kit = createTestSystem();
  const seen: [string, string | undefined][] = [];
  const target = kit.spawn(defineActor<ProbeRequest, undefined>({
    name: 'answers', init: () => undefined,
    receive: (_s, m) => { seen.push([m.kind, m.also]); m.replyTo.tell({ kind: m.kind, ok: true, checks: [] }); },
  }), 't');
  kit.spawn(defineProbeActor({ target, probes: { liveness: fast(), readiness: fast({ timeoutMs: PERIOD / 2 }) } }), 'p');
  await kit.advance(PERIOD - 1);
  assert.equal(seen, [['liveness', undefined], ['readiness', undefined]]);
  await kit.terminate();
});

gating('a probe actor that restarts probes once a period again, and one that is stopped stops probing', async () => {
  const kit = createTestSystem();
  const registry = createHealthRegistry(kit);
  const seen: number[] = [];
  const target = kit.spawn(defineActor<ProbeRequest, undefined>({
    name: 'answers', init: () => undefined,
    receive: (_s, m, ctx) => { seen.push(ctx.now()); m.replyTo.tell({ kind: m.kind, ok: true, checks: [], also: { kind: 'readiness', ok: true, checks: [] } }); },
  }), 't');
  const p = kit.spawn(defineProbeActor({ target, reportTo: registry.ref, probes: { liveness: fast(), readiness: fast() } }), 'p');
  await kit.advance(1_500);
  assert.equal(seen, [0, 1_000]);
  (p as ActorRef<unknown>).tell({ type: 'not-a-probe-actor-message' }); // its receive throws: the guardian restarts it
  await kit.advance(2_000);
  assert.equal(seen, [0, 1_000, 1_500, 2_500, 3_500], 'the restarted one starts over (its first probe at once, then a period on); the old schedule (2 000, 3 000) is gone');
  assert.is(registry.instance('/user/t')!.health.state, 'healthy');
  kit.stop(p as ActorRef<never>);
  await kit.advance(3 * PERIOD);
  assert.equal(seen, [0, 1_000, 1_500, 2_500, 3_500], 'no probe after its probe actor stopped');
  await kit.terminate();
});

const api = suite('probe actor: API');

api('get-health answers the current health, reasons up to date', async () => {
  const r = rig({ readiness: fast() }, { ready: false });
  await r.kit.advance(1_500);
  const h = await (r.prober as unknown as ActorRef<{ type: 'get-health'; replyTo: ActorRef<InstanceHealth> }>).ask<InstanceHealth>((replyTo) => ({ type: 'get-health', replyTo }));
  assert.equal(h, { state: 'unhealthy', live: true, ready: false, started: true, reasons: ['readiness: ready: not ready yet (2 consecutive failures)'], sinceMs: 0 });
  await r.kit.terminate();
});

api('a probe actor without reportTo still probes (for get-health)', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const p = kit.spawn(defineProbeActor({ target: w, probes: { readiness: fast() } }), 'p');
  await kit.advance(100);
  assert.is((await p.ask<InstanceHealth>((replyTo) => ({ type: 'get-health', replyTo }))).state, 'healthy');
  await kit.terminate();
});

api('reports name the instance as asked (e.g. by its address, per incarnation)', async () => {
  const kit = createTestSystem();
  const registry = createHealthRegistry(kit);
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  kit.spawn(defineProbeActor({ target: w, reportTo: registry.ref, instance: String(w), probes: { liveness: fast() } }), 'p');
  await kit.runUntilIdle();
  assert.equal(registry.status().instances.map((i) => i.instance), [String(w)]);
  assert.match(String(w), /\/user\/w/);
  await kit.terminate();
});

api('bad options are named in invalid-spec', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const cases: [unknown, string][] = [
    [null, 'options'],
    [{ target: 'w' }, 'target'],
    [{ target: w, reportTo: {} }, 'reportTo'],
    [{ target: w, service: '' }, 'service'],
    [{ target: w, instance: 3 }, 'instance'],
    [{ target: w, eventLoop: { delay: 3 } }, 'eventLoop'],
    [{ target: w, probes: { liveness: { timeoutMs: 2_000 } } }, 'probes.liveness.timeoutMs'],
  ];
  for (const [o, field] of cases) {
    try { defineProbeActor(o as ProbeActorOptions); assert.unreachable(field); } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-spec'), `${field}: ${String(e)}`);
      assert.is(e.data.field, field);
    }
  }
  await kit.terminate();
});

hang.run();
degraded.run();
crashes.run();
gating.run();
flapping.run();
api.run();
