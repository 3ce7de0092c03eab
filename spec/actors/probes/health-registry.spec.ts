// Specs of the health registry: reports to status, service aggregation events, bounded history,
// the rxjs stream, forgetting, the /livez /readyz data through the API, and the event-bus adapter.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createEventBus, createMemoryLogBackend, type BusEvent } from '../../../actors/streams/index.ts';
import {
  createHealthRegistry, defineProbeActor, publishHealthEvents, type HealthEvent, type HealthReport, type InstanceHealth,
} from '../../../actors/probes/index.ts';
import { probedWorker, workerHooks } from '../../helpers/probed-worker.ts';

const healthy: InstanceHealth = { state: 'healthy', live: true, ready: true, started: true, reasons: [], sinceMs: 0 };
const notReady: InstanceHealth = { state: 'unhealthy', live: true, ready: false, started: true, reasons: ['readiness: db down'], sinceMs: 5 };
const report = (instance: string, health: InstanceHealth, service: string | null = 'orders', extra: Partial<HealthReport> = {}): HealthReport =>
  ({ type: 'health', instance, ...(service ? { service } : {}), health, checks: [], ...extra });

const registry = suite('health registry');

registry('reports become status; services are aggregated; events say what changed', async () => {
  const kit = createTestSystem();
  const reg = createHealthRegistry(kit);
  const events: HealthEvent[] = [];
  reg.events$.subscribe((e) => events.push(e));
  reg.ref.tell(report('/user/o1', healthy));
  reg.ref.tell(report('/user/o2', healthy));
  await kit.advance(100);
  reg.ref.tell(report('/user/o2', notReady));
  await kit.runUntilIdle();
  assert.equal(events.map((e) => e.type === 'service-health' ? `service ${e.from}→${e.to}` : e.type === 'instance-health' ? `${e.instance} ${e.from?.state ?? null}→${e.to.state}` : e.type), [
    '/user/o1 null→healthy', 'service null→healthy', '/user/o2 null→healthy', '/user/o2 healthy→unhealthy', 'service healthy→degraded',
  ]);
  assert.is(events[3].atMs, 100);
  const s = reg.service('orders')!;
  assert.equal([s.state, s.ready, s.total], ['degraded', 1, 2]);
  assert.equal(reg.instance('/user/o2')!.health, notReady);
  assert.is(reg.status().state, 'degraded');
  assert.is(reg.service('nope'), undefined);
  await kit.terminate();
});

registry('a report that only refreshes reasons updates the status without an event; a final report always is one', async () => {
  const kit = createTestSystem();
  const reg = createHealthRegistry(kit);
  reg.ref.tell(report('/user/o1', notReady));
  reg.ref.tell(report('/user/o1', { ...notReady, reasons: ['readiness: db still down'] }));
  await kit.runUntilIdle();
  assert.is(reg.history().length, 2, 'instance + service, no event for the refresh');
  assert.equal(reg.instance('/user/o1')!.health.reasons, ['readiness: db still down']);
  reg.ref.tell(report('/user/o1', notReady, 'orders', { final: true }));
  await kit.runUntilIdle();
  assert.is(reg.history().length, 3);
  await kit.terminate();
});

registry('an instance moving to another service re-aggregates both; forget removes it', async () => {
  const kit = createTestSystem();
  const reg = createHealthRegistry(kit);
  reg.ref.tell(report('/user/x', healthy, 'a'));
  reg.ref.tell(report('/user/y', notReady, 'a'));
  reg.ref.tell(report('/user/x', healthy, 'b'));
  await kit.runUntilIdle();
  assert.equal([reg.service('a')!.state, reg.service('b')!.state], ['unhealthy', 'healthy']);
  assert.is(reg.forget('/user/y'), true);
  assert.is(reg.forget('/user/y'), false);
  assert.is(reg.service('a'), undefined, 'a service with no instance left is gone');
  assert.equal(reg.history().at(-1), { type: 'instance-removed', instance: '/user/y', service: 'a', atMs: 0 });
  reg.ref.tell(report('/user/solo', healthy, null));
  await kit.runUntilIdle();
  assert.is(reg.forget('/user/solo'), true);
  assert.equal(reg.history().at(-1), { type: 'instance-removed', instance: '/user/solo', atMs: 0 });
  assert.equal(reg.status().instances.map((i) => i.instance), ['/user/x']);
  await kit.terminate();
});

registry('the history is bounded: the newest historySize events, oldest first', async () => {
  const kit = createTestSystem();
  const reg = createHealthRegistry(kit, { historySize: 5 });
  for (let i = 0; i < 10; i++) reg.ref.tell(report(`/user/i${i}`, healthy, null));
  await kit.runUntilIdle();
  const h = reg.history();
  assert.equal(h.map((e) => e.type === 'instance-health' && e.instance), ['/user/i5', '/user/i6', '/user/i7', '/user/i8', '/user/i9']);
  assert.equal(createHealthRegistry(createTestSystem()).history(), []);
  await kit.terminate();
});

registry('malformed reports are ignored', async () => {
  const kit = createTestSystem();
  const reg = createHealthRegistry(kit);
  (reg.ref as unknown as { tell(m: unknown): void }).tell({ type: 'health', instance: 7 });
  (reg.ref as unknown as { tell(m: unknown): void }).tell({ type: 'health', instance: '/user/x', health: null });
  (reg.ref as unknown as { tell(m: unknown): void }).tell({ type: 'other' });
  await kit.runUntilIdle();
  assert.equal(reg.history(), []);
  await kit.terminate();
});

registry('the stream completes when the registry closes, and when its system terminates', async () => {
  const kit = createTestSystem();
  const a = createHealthRegistry(kit, { name: 'a' });
  const b = createHealthRegistry(kit, { name: 'b' });
  let aDone = false, bDone = false;
  a.events$.subscribe({ complete: () => { aDone = true; } });
  b.events$.subscribe({ complete: () => { bDone = true; } });
  await a.close();
  assert.equal([aDone, bDone], [true, false]);
  assert.equal((await a.livez()).checks[0].ok, false, 'a closed registry fails its ping');
  await kit.terminate();
  assert.is(bDone, true);
  await b.close();
});

registry('livez and readyz through the API, with exclusions', async () => {
  const kit = createTestSystem();
  const reg = createHealthRegistry(kit);
  reg.ref.tell(report('/user/o1', notReady));
  await kit.runUntilIdle();
  const live = await reg.livez();
  assert.equal([live.ok, live.checks.map((c) => c.name)], [true, ['ping', '/user/o1']]);
  const ready = await reg.readyz();
  assert.equal([ready.ok, ready.checks.map((c) => [c.name, c.ok])], [false, [['ping', true], ['service/orders', false]]]);
  assert.is((await reg.readyz({ exclude: ['service/orders'] })).ok, true);
  await kit.terminate();
});

registry('bad options are named in invalid-spec', async () => {
  const kit = createTestSystem();
  for (const [o, field] of [[{ historySize: 0 }, 'historySize'], [{ pingTimeoutMs: 0 }, 'pingTimeoutMs']] as const) {
    try { createHealthRegistry(kit, o); assert.unreachable(field); } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-spec'));
      assert.is(e.data.field, field);
    }
  }
  await kit.terminate();
});

const bus = suite('health events on the event bus');

bus('with a bus, every event is published in order to the durable topic', async () => {
  const kit = createTestSystem();
  const eventBus = createEventBus(kit, { backend: createMemoryLogBackend({ clock: kit.clock, ids: kit.ids }) });
  const reg = createHealthRegistry(kit, { bus: eventBus });
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  kit.spawn(defineProbeActor({ target: w, reportTo: reg.ref, service: 'svc', probes: { readiness: { periodMs: 1_000 } } }), 'w-probe');
  await kit.advance(1_000);
  const seen: BusEvent<HealthEvent>[] = [];
  eventBus.topic<HealthEvent>('troupe.health').subscribe((e) => { seen.push(e); }, { id: 'ops', startAt: 'earliest' });
  assert.ok(await kit.runUntil(() => seen.length === 4, 5_000));
  assert.equal(seen.map((e) => [e.data.type, e.key]), [
    ['instance-health', '/user/w'], ['service-health', 'service/svc'], ['instance-health', '/user/w'], ['service-health', 'service/svc'],
  ]);
  assert.equal(seen.map((e) => e.data), reg.history(), 'the same events as the history');
  await reg.close();
  await eventBus.close();
  await kit.terminate();
});

bus('publishHealthEvents on a custom topic reports failed publishes', async () => {
  const kit = createTestSystem();
  const eventBus = createEventBus(kit, { backend: createMemoryLogBackend({ clock: kit.clock, ids: kit.ids }) });
  const reg = createHealthRegistry(kit);
  const failures: unknown[] = [];
  const sub = publishHealthEvents(reg.events$, eventBus, { topic: 'ops.health', onError: (e) => failures.push(e) });
  reg.ref.tell(report('/user/o1', healthy));
  await kit.runUntilIdle();
  const stats = await eventBus.topic('ops.health').stats();
  assert.is(Object.values(stats).reduce((n, h) => n + h.last, 0), 2, 'the instance and the service event');
  sub.unsubscribe();
  await eventBus.close();
  await kit.terminate();
  assert.equal(failures, []);
});

registry.run();
bus.run();
