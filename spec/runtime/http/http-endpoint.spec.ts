// Specs of the node's HTTP endpoint on a real loopback server: routes added by other modules,
// 404/405/500, HEAD, bad requests, bind failures, and closing with the system.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { createSystem, isTroupeError } from '../../../runtime/index.ts';
import { createHttpEndpoint } from '../../../runtime/http/http-endpoint.ts';
import { createHealthRegistry, serveHealth } from '../../../actors/probes/index.ts';
import { parseFamilies } from '../../helpers/prom-text.ts';

const http = suite('http endpoint');

/** Runs `body` with a fresh real system and always terminates it (which closes its servers), pass or fail. */
async function withSystem(body: (system: ReturnType<typeof createSystem>) => Promise<void>): Promise<void> {
  const system = createSystem({ name: 'http' });
  try { await body(system); } finally { await system.terminate(); }
}

http('serves added routes on 127.0.0.1 with the query parsed; unknown paths 404', () => withSystem(async (system) => {
  const endpoint = await createHttpEndpoint(system);
  assert.is(endpoint.host, '127.0.0.1');
  assert.ok(endpoint.port > 0);
  assert.is(endpoint.url, `http://127.0.0.1:${endpoint.port}`);
  endpoint.route('/metrics', (req) => ({ status: 200, body: `m ${req.query.get('name')} ${req.method}`, contentType: 'text/plain; version=0.0.4', headers: { 'x-extra': '1' } }));
  assert.equal(endpoint.routes, ['/metrics']);
  const res = await fetch(`${endpoint.url}/metrics?name=a`);
  assert.equal([res.status, await res.text(), res.headers.get('content-type'), res.headers.get('x-extra'), res.headers.get('cache-control')],
    [200, 'm a GET', 'text/plain; version=0.0.4', '1', 'no-store']);
  const missing = await fetch(`${endpoint.url}/nope`);
  assert.equal([missing.status, await missing.text()], [404, 'not found: /nope; routes: /metrics\n']);
}));

http('one endpoint per node: a system created with metrics serves /metrics (parsed by a real parser) next to /livez, /readyz and /health', async () => {
  const system = createSystem({ name: 'http-metrics', metrics: true });
  try {
    const registry = createHealthRegistry(system);
    const endpoint = await serveHealth(registry);
    assert.equal([...endpoint.routes].sort(), ['/health', '/livez', '/metrics', '/readyz']);
    system.metrics!.counter({ name: 'shop_orders_placed_total', help: 'orders placed' }).inc(3);
    const res = await fetch(`${endpoint.url}/metrics`);
    assert.is(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain; version=0\.0\.4/);
    const families = parseFamilies(await res.text());
    assert.ok(families.has('shop_orders_placed_total'), 'the business counter is served with the runtime families');
    assert.ok([...families.keys()].some((n) => n.startsWith('troupe_')), 'runtime families are there');
    assert.is((await fetch(`${endpoint.url}/livez`)).status, 200);
  } finally { await system.terminate(); }
});

http('other methods get 405; HEAD gets the headers only', () => withSystem(async (system) => {
  const endpoint = await createHttpEndpoint(system);
  endpoint.route('/x', () => ({ status: 200, body: 'hello' }));
  const post = await fetch(`${endpoint.url}/x`, { method: 'POST', body: 'a' });
  assert.equal([post.status, post.headers.get('allow')], [405, 'GET, HEAD']);
  await post.text();
  const head = await fetch(`${endpoint.url}/x`, { method: 'HEAD' });
  assert.equal([head.status, head.headers.get('content-length'), await head.text()], [200, '5', '']);
}));

http('a handler that throws or rejects gives 500 with the message; the server keeps serving', () => withSystem(async (system) => {
  const endpoint = await createHttpEndpoint(system);
  endpoint.route('/sync', () => { throw new Error('sync bug'); });
  endpoint.route('/async', async () => { throw new Error('async bug'); });
  endpoint.route('/odd', () => { throw 'text'; });
  endpoint.route('/ok', async () => ({ status: 200, body: 'fine' }));
  for (const [path, body] of [['/sync', 'internal error: sync bug\n'], ['/async', 'internal error: async bug\n'], ['/odd', 'internal error: text\n']]) {
    const r = await fetch(`${endpoint.url}${path}`);
    assert.equal([r.status, await r.text()], [500, body]);
  }
  assert.is(await (await fetch(`${endpoint.url}/ok`)).text(), 'fine');
}));

http('a malformed request gets 400 and does not disturb the server', () => withSystem(async (system) => {
  const endpoint = await createHttpEndpoint(system);
  endpoint.route('/ok', () => ({ status: 200, body: 'fine' }));
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(endpoint.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.on('data', (d) => { data += d.toString(); });
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
  assert.match(reply, /^HTTP\/1\.1 400 Bad Request/);
  assert.is(await (await fetch(`${endpoint.url}/ok`)).text(), 'fine');
}));

http('route misuse and bind failures are typed errors', () => withSystem(async (system) => {
  const endpoint = await createHttpEndpoint(system);
  endpoint.route('/a', () => ({ status: 200, body: '' }));
  const codeOf = (fn: () => unknown): string | undefined => { try { fn(); } catch (e) { return isTroupeError(e) ? e.code : String(e); } return undefined; };
  assert.is(codeOf(() => endpoint.route('/a', () => ({ status: 200, body: '' }))), 'duplicate-name');
  assert.is(codeOf(() => endpoint.route('a', () => ({ status: 200, body: '' }))), 'invalid-argument');
  assert.is(codeOf(() => endpoint.route('/a?b', () => ({ status: 200, body: '' }))), 'invalid-argument');
  assert.is(codeOf(() => endpoint.route('/b', 'x' as never)), 'invalid-argument');
  const busy = await createHttpEndpoint(system, { port: endpoint.port }).then(() => 'bound', (e: unknown) => (isTroupeError(e) ? e.code : String(e)));
  assert.is(busy, 'listen-failed');
  for (const o of [{ port: -1 }, { port: 70_000 }, { port: 1.5 }, { host: '' }]) {
    const code = await createHttpEndpoint(system, o).then(() => 'bound', (e: unknown) => (isTroupeError(e) ? e.code : String(e)));
    assert.is(code, 'invalid-argument', JSON.stringify(o));
  }
  await system.terminate();
  const late = await createHttpEndpoint(system).then(() => 'bound', (e: unknown) => (isTroupeError(e) ? e.code : String(e)));
  assert.is(late, 'system-terminated');
}));

http('terminating the system closes the server; close is idempotent', () => withSystem(async (system) => {
  const endpoint = await createHttpEndpoint(system);
  endpoint.route('/x', () => ({ status: 200, body: 'x' }));
  const keepAlive = await fetch(`${endpoint.url}/x`);
  await keepAlive.text();
  assert.is(endpoint.closed, false);
  await system.terminate();
  await endpoint.close();
  assert.is(endpoint.closed, true);
  const after = await fetch(`${endpoint.url}/x`).then(() => 'served', () => 'refused');
  assert.is(after, 'refused');
  await endpoint.close();
}));

http.run();
