// Specs of the health endpoints against a real loopback server: /livez and /readyz (200/503,
// ?verbose, ?exclude=), /health as JSON per service and instance; probes run on virtual time.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createHttpEndpoint } from '../../../runtime/http/http-endpoint.ts';
import { createHealthRegistry, defineProbeActor, serveHealth, type HealthSnapshot } from '../../../actors/probes/index.ts';
import { probedWorker, workerHooks } from '../../helpers/probed-worker.ts';

const probes = { liveness: { periodMs: 1_000, timeoutMs: 500, failureThreshold: 1 }, readiness: { periodMs: 1_000, timeoutMs: 500, failureThreshold: 1 } };

async function setup() {
  const kit = createTestSystem();
  const registry = createHealthRegistry(kit);
  const hooks = workerHooks();
  const spawn = (name: string, service: string | undefined, ready = true) => {
    const w = kit.spawn(probedWorker(hooks, {}, ready), name);
    kit.spawn(defineProbeActor({ target: w, reportTo: registry.ref, service, probes }), `${name}-probe`);
    return w;
  };
  const o1 = spawn('orders-1', 'orders');
  const o2 = spawn('orders-2', 'orders');
  const mailer = spawn('mailer', undefined);
  await kit.advance(1_000);
  const http = await serveHealth(registry);
  const get = async (path: string) => { const r = await fetch(`${http.url}${path}`); return { status: r.status, body: await r.text(), type: r.headers.get('content-type') }; };
  return { kit, registry, hooks, o1, o2, mailer, http, get };
}

/** Runs `body` on a fresh setup and always terminates its system (which closes the server), pass or fail. */
async function withSetup(body: (s: Awaited<ReturnType<typeof setup>>) => Promise<void>): Promise<void> {
  const s = await setup();
  try { await body(s); } finally { s.hooks.release(); await s.kit.terminate(); }
}

const endpoints = suite('health endpoints over HTTP');

endpoints('all well: /livez and /readyz answer 200 ok; verbose lists every check', () => withSetup(async ({ get }) => {
  assert.equal(await get('/livez'), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
  assert.equal((await get('/readyz')).body, 'ok\n');
  assert.is((await get('/livez?verbose')).body, '[+]ping ok\n[+]/user/mailer ok\n[+]/user/orders-1 ok\n[+]/user/orders-2 ok\nlivez check passed\n');
  assert.is((await get('/readyz?verbose=1')).body, '[+]ping ok\n[+]service/orders ok\n[+]/user/mailer ok\nreadyz check passed\n');
  assert.is((await get('/readyz?verbose=false')).body, 'ok\n');
}));

endpoints('a hung instance fails /livez with 503 and its reason; ?exclude= leaves it out', () => withSetup(async ({ kit, o1, get }) => {
  o1.tell({ type: 'hang' });
  await kit.advance(2_500);
  const live = await get('/livez');
  assert.is(live.status, 503);
  assert.is(live.body, '[+]ping ok\n[+]/user/mailer ok\n[-]/user/orders-1 failed: liveness: no answer within 500 ms; readiness: no answer within 500 ms\n[+]/user/orders-2 ok\nlivez check failed\n');
  assert.equal(await get('/livez?exclude=/user/orders-1'), { status: 200, body: 'ok\n', type: 'text/plain; charset=utf-8' });
  const ready = await get('/readyz?verbose');
  assert.equal([ready.status, ready.body.split('\n')[1]], [200, '[+]service/orders ok'], 'one ready instance of two keeps the service ready');
}));

endpoints('/readyz fails with 503 when a service has no ready instance; exclusions repeat or use commas', () => withSetup(async ({ kit, o1, o2, mailer, get }) => {
  for (const w of [o1, o2, mailer]) w.tell({ type: 'set-ready', ready: false });
  await kit.advance(1_000);
  const ready = await get('/readyz?verbose');
  assert.is(ready.status, 503);
  assert.equal(ready.body.split('\n'), [
    '[+]ping ok',
    '[-]service/orders failed: no instance is ready (0/2); /user/orders-1: unhealthy (readiness: ready: not ready yet); /user/orders-2: unhealthy (readiness: ready: not ready yet)',
    '[-]/user/mailer failed: readiness: ready: not ready yet',
    'readyz check failed',
    '',
  ]);
  assert.is((await get('/readyz?exclude=service/orders&exclude=/user/mailer')).status, 200);
  assert.is((await get('/readyz?exclude=service/orders,/user/mailer')).status, 200);
  assert.is((await get('/livez')).status, 200, 'not ready is still live');
}));

endpoints('/health is the snapshot as JSON: per service and instance; 503 only when unhealthy', () => withSetup(async ({ kit, o1, o2, get }) => {
  const ok = await get('/health');
  assert.equal([ok.status, ok.type], [200, 'application/json']);
  const snap = JSON.parse(ok.body) as HealthSnapshot;
  assert.equal([snap.node, snap.state, snap.services.map((s) => [s.service, s.state, s.ready, s.total])], ['local', 'healthy', [['orders', 'healthy', 2, 2]]]);
  assert.equal(snap.services[0].instances[0], {
    instance: '/user/orders-1', service: 'orders',
    health: { state: 'healthy', live: true, ready: true, started: true, reasons: [], sinceMs: 0 },
    checks: [{ name: 'liveness', ok: true }, { name: 'readiness', ok: true }, { name: 'readiness/ready', ok: true }],
  });
  assert.equal(snap.instances.map((i) => i.instance), ['/user/mailer', '/user/orders-1', '/user/orders-2']);
  o1.tell({ type: 'set-ready', ready: false });
  await kit.advance(1_000);
  assert.equal(JSON.parse((await get('/health')).body).state, 'degraded');
  o2.tell({ type: 'set-ready', ready: false });
  await kit.advance(1_000);
  const down = await get('/health');
  assert.equal([down.status, JSON.parse(down.body).services[0].state], [503, 'unhealthy']);
}));

endpoints('the routes join an existing endpoint beside other routes; the server closes with the system', async () => {
  const kit = createTestSystem();
  const registry = createHealthRegistry(kit);
  const endpoint = await createHttpEndpoint(kit, { port: 0 });
  try {
    endpoint.route('/metrics', () => ({ status: 200, body: 'up 1\n' }));
    const same = await serveHealth(registry, { endpoint });
    assert.is(same, endpoint);
    assert.equal(endpoint.routes, ['/metrics', '/livez', '/readyz', '/health']);
    assert.is(await (await fetch(`${endpoint.url}/livez`)).text(), 'ok\n', 'no instance yet: ping alone');
  } finally {
    await kit.terminate();
  }
  assert.is(await fetch(`${endpoint.url}/livez`).then(() => 'served', () => 'refused'), 'refused');
});

endpoints.run();
