// Services with probes, on virtual time: each instance is probed by a probe actor under its
// service actor; a hung instance is detected and leaves routing while a healthy one keeps serving.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing/test-system.ts';
import { createReceptionist } from '../../../actors/receptionist.ts';
import { createServiceHost, defineService, type ServiceStatus } from '../../../actors/services/index.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> } | { type: 'hang' };

/** Counts the work each instance (by path) received; `hang` blocks the instance for good. */
function worker(received: Map<string, number>) {
  return defineActor<Work, undefined>({
    name: 'worker',
    init: () => undefined,
    receive: async (_s, m, ctx) => {
      if (m.type === 'hang') { await new Promise(() => {}); return; }
      received.set(ctx.self.path, (received.get(ctx.self.path) ?? 0) + 1);
      m.replyTo.tell(ctx.self.path);
    },
  });
}

const states = (s: ServiceStatus) => s.instances.map((i) => `${i.id}:${i.health.state}:${i.routed}`);

const test = suite('services with probes');

test('instances start not routed until their probe actor reports them healthy; probe actors are children of the service actor', async () => {
  const kit = createTestSystem();
  const receptionist = createReceptionist(kit);
  const host = createServiceHost(kit, { receptionist });
  const started: string[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'spawned' && e.path.includes('/probe-')) started.push(e.path); });
  const service = await host.start(defineService({ name: 'orders', behavior: worker(new Map()), instances: 2, probes: { liveness: { periodMs: 1_000, initialDelayMs: 500 }, readiness: { periodMs: 1_000, initialDelayMs: 500 } } }));
  await kit.runUntilIdle();
  assert.equal(states(await service.status()), ['orders-0:starting:false', 'orders-1:starting:false'], 'waiting for the first probe');
  assert.is(service.router().routees().length, 0);
  await kit.advance(600);
  assert.equal(states(await service.status()), ['orders-0:healthy:true', 'orders-1:healthy:true']);
  assert.is(service.router().routees().length, 2);
  assert.equal(started.sort(), ['/user/services/orders/probe-0.0', '/user/services/orders/probe-1.0']);
  await kit.terminate();
});

test('a hung instance is detected by its probe within failureThreshold periods and leaves routing; the healthy one serves every request', async () => {
  const kit = createTestSystem();
  const receptionist = createReceptionist(kit);
  const host = createServiceHost(kit, { receptionist });
  const received = new Map<string, number>();
  const service = await host.start(defineService({ name: 'orders', behavior: worker(received), instances: 2, probes: { liveness: { periodMs: 1_000, failureThreshold: 2 }, readiness: { periodMs: 1_000 } } }));
  await kit.runUntilIdle();
  await kit.advance(100);
  const [i0, i1] = (await service.status()).instances;
  assert.equal(states(await service.status()), ['orders-0:healthy:true', 'orders-1:healthy:true']);
  const router = service.router();

  (i0.ref as ActorRef<Work>).tell({ type: 'hang' });
  const hungAt = kit.now();
  const detected = await kit.runUntil(() => !service.router().routees().some((r) => r.ref.equals(i0.ref as never)), 5_000);
  assert.ok(detected, 'the hung instance left routing');
  const tookMs = kit.now() - hungAt;
  // (failureThreshold − 1) × period + timeout ≤ detection ≤ failureThreshold × period + timeout
  assert.ok(tookMs >= 1_000 && tookMs <= 3_000, `detected after ${tookMs} ms on the virtual clock`);
  const s = await service.status();
  const h0 = s.instances.find((i) => i.id === 'orders-0')!;
  assert.equal([h0.health.state, h0.health.live, h0.routed], ['unhealthy', false, false]);
  assert.match(h0.health.reasons.join(' '), /liveness/);

  const before0 = received.get(i0.ref.path) ?? 0;
  const asks = Promise.all(Array.from({ length: 20 }, () => router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 1_000 })));
  await kit.runUntilIdle();
  const answers = await asks;
  assert.equal(new Set(answers), new Set([i1.ref.path]), 'every request answered by the healthy instance');
  assert.is(received.get(i0.ref.path) ?? 0, before0, 'router traffic to the hung instance dropped to zero');
  assert.is(received.get(i1.ref.path), 20);
  const stopping = kit.terminate();
  await kit.advance(10_000); // the hung instance is killed after shutdownMs
  await stopping;
});

test('bad probe settings in a service are an invalid-spec naming the field', () => {
  const e = (() => { try { defineService({ name: 'x', behavior: worker(new Map()), probes: { liveness: { periodMs: -1 } } }); } catch (x) { return x; } })();
  assert.ok(isTroupeError(e, 'invalid-spec'));
  assert.match((e as Error).message, /defineService\("x"\).*periodMs/);
});

test.run();
