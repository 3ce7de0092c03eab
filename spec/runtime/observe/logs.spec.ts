// The system's JSON log, captured as records: a handler's line carries who, when (system clock)
// and the correlation ids of the message it handles; the runtime logs restarts, give-ups, failures,
// dead letters (rate-limited), lifecycle at debug, and the node's cluster reports, at their levels.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import {
  ack, child, createEventBus, createSystem, defineActor, defineSupervisor, isTroupeError,
  type ActorRef, type Delivery, type LogLine, type LogOptions,
} from '../../../runtime/index.ts';
import { createSimCluster, createTestSystem } from '../../../runtime/testing.ts';

const INFO = 30, DEBUG = 20, WARN = 40, ERROR = 50;

/** A test system whose log lines land in `lines`. */
function capture(level: LogOptions['level'] = 'info', startMs = 0) {
  const lines: LogLine[] = [];
  const kit = createTestSystem({ name: 'shop', node: 'n1', startMs, log: { level, destination: (r) => lines.push(r) } });
  return { kit, lines };
}

type OrderMsg =
  | { type: 'place'; orderId: string; correlationId?: string; causationId?: string }
  | { type: 'place-later'; orderId: string; correlationId: string };

const orders = defineActor<OrderMsg, undefined>({
  name: 'orders',
  init: () => undefined,
  receive: async (_s, m, ctx) => {
    if (m.type === 'place') { ctx.log.info({ orderId: m.orderId }, 'order placed'); return; }
    await Promise.resolve(); // a handler that awaits: the line below comes after other actors ran
    await Promise.resolve();
    ctx.log.warn({ orderId: m.orderId }, 'order placed late');
  },
});

const test = suite('logs');

test('a handler line: level, system clock time, system, node, actor path and class, and the correlation and causation ids of the message handled', async () => {
  const { kit, lines } = capture('info', 5_000);
  const ref = kit.spawn(orders, 'orders');
  await kit.advance(250);
  ref.tell({ type: 'place', orderId: 'o-1', correlationId: 'req-7', causationId: 'cmd-3' });
  ref.tell({ type: 'place', orderId: 'o-2' });
  ref.tell({ type: 'place-later', orderId: 'o-3', correlationId: 'req-8' });
  await kit.runUntilIdle();
  const handler = lines.filter((l) => /order placed/.test(l.msg));
  assert.equal(handler.map(({ level, time, system, node, actor, actor_class, correlationId, causationId, orderId, msg }) =>
    ({ level, time, system, node, actor, actor_class, correlationId, causationId, orderId, msg })), [
    { level: INFO, time: 5_250, system: 'shop', node: 'n1', actor: '/user/orders', actor_class: 'orders', correlationId: 'req-7', causationId: 'cmd-3', orderId: 'o-1', msg: 'order placed' },
    { level: INFO, time: 5_250, system: 'shop', node: 'n1', actor: '/user/orders', actor_class: 'orders', correlationId: undefined, causationId: undefined, orderId: 'o-2', msg: 'order placed' },
    { level: WARN, time: 5_250, system: 'shop', node: 'n1', actor: '/user/orders', actor_class: 'orders', correlationId: 'req-8', causationId: undefined, orderId: 'o-3', msg: 'order placed late' },
  ]);
  assert.ok(handler.every((l) => !('traceId' in l) && !('spanId' in l)), 'no trace ids until a traced message is handled');
  await kit.terminate();
});

test('a bus delivery\'s correlation-id and causation-id headers reach the handler actor\'s lines', async () => {
  const { kit, lines } = capture();
  const bus = createEventBus(kit);
  const topic = bus.topic<{ sku: string }>('stock');
  const handler = kit.spawn(defineActor<Delivery<{ sku: string }>, undefined>({
    name: 'stock-handler', init: () => undefined,
    receive: (_s, d, ctx) => { ctx.log.info({ sku: d.event.data.sku, attempt: d.attempt }, 'reserving'); ack(d); },
  }), 'stock');
  topic.subscribe(handler, { group: 'reservations' });
  await topic.publish({ sku: 'A1' }, { headers: { 'correlation-id': 'checkout-9', 'causation-id': 'order-placed-1' } });
  await kit.runUntil(() => lines.some((l) => l.msg === 'reserving'), 5_000);
  const line = lines.find((l) => l.msg === 'reserving')!;
  assert.equal([line.actor, line.correlationId, line.causationId, line.sku], ['/user/stock', 'checkout-9', 'order-placed-1', 'A1']);
  await bus.close();
  await kit.terminate();
});

test('supervision: a restart is a warning with the cause; a supervisor that gives up is an error; a failure that stops an actor is an error', async () => {
  const { kit, lines } = capture();
  type Crash = { type: 'crash' };
  const fragile = defineActor<Crash, undefined>({ name: 'fragile', init: () => undefined, receive: () => { throw new Error('disk full'); } });
  kit.spawn(defineSupervisor({ name: 'store-sup', intensity: { maxRestarts: 1, withinMs: 10_000 }, children: [child('disk', fragile)] }), 'store');
  await kit.runUntilIdle();
  const disk = kit.lookup<Crash>('/user/store/disk')!;
  disk.tell({ type: 'crash' });
  await kit.runUntilIdle();
  kit.lookup<Crash>('/user/store/disk')!.tell({ type: 'crash' });
  await kit.runUntilIdle();
  const restart = lines.find((l) => /restarted/.test(l.msg));
  assert.ok(restart, JSON.stringify(lines.map((l) => l.msg)));
  assert.equal([restart.level, restart.actor, restart.restarts, (restart.err as { message: string }).message], [WARN, '/user/store/disk', 1, 'disk full']);
  const gaveUp = lines.find((l) => /gave up/.test(l.msg));
  assert.ok(gaveUp, JSON.stringify(lines.map((l) => l.msg)));
  assert.equal([gaveUp.level, gaveUp.actor, gaveUp.child, gaveUp.why], [ERROR, '/user/store', '/user/store/disk', 'intensity']);
  assert.match(gaveUp.msg, /more than 1 restarts within 10000 ms/);

  const temp = kit.spawn(defineSupervisor({ children: [child('once', fragile, { restart: 'temporary' })] }), 'temp');
  await kit.runUntilIdle();
  kit.lookup<Crash>('/user/temp/once')!.tell({ type: 'crash' });
  await kit.runUntilIdle();
  const stopped = lines.find((l) => l.actor === '/user/temp/once' && l.level === ERROR);
  assert.ok(stopped, JSON.stringify(lines.map((l) => l.msg)));
  assert.match(stopped.msg, /stopped by a failure: disk full/);
  assert.ok(!lines.some((l) => l.level === DEBUG), 'nothing below the level');
  kit.stop(temp as ActorRef<never>);
  await kit.terminate();
});

test('dead letters: a warning for a full mailbox, debug for a stopped recipient, one line per reason per 10 s that says how many were not logged', async () => {
  const { kit, lines } = capture('debug');
  const narrow = kit.spawn(defineActor<{ type: 'job' }, undefined>({ name: 'narrow', init: () => undefined, receive: () => undefined, mailbox: { kind: 'bounded', capacity: 1 } }), 'narrow');
  for (let i = 0; i < 6; i++) narrow.tell({ type: 'job' }); // 1 queued, 5 rejected
  const full = () => lines.filter((l) => l.reason === 'mailbox-full');
  assert.equal(full().map((l) => [l.level, l.recipient, l.messageType, l.suppressed]), [[WARN, '/user/narrow', 'job', 0]]);
  await kit.advance(10_000);
  narrow.tell({ type: 'job' });
  narrow.tell({ type: 'job' });
  assert.equal(full().map((l) => l.suppressed), [0, 4], 'the next line, 10 s later, counts the 4 not logged');
  assert.match(full()[1].msg, /4 more with this reason were not logged/);
  kit.stop(narrow as ActorRef<never>);
  await kit.runUntilIdle();
  narrow.tell({ type: 'job' });
  const stopped = lines.filter((l) => l.reason === 'actor-stopped');
  assert.ok(stopped.length >= 1 && stopped.every((l) => l.level === DEBUG), JSON.stringify(stopped));
  await kit.terminate();
});

test('lifecycle lines (spawned, stopped) at debug only', async () => {
  const debug = capture('debug');
  const a = debug.kit.spawn(orders, 'a');
  debug.kit.stop(a as ActorRef<never>);
  await debug.kit.runUntilIdle();
  assert.equal(debug.lines.filter((l) => l.actor === '/user/a').map((l) => [l.level, l.msg]), [[DEBUG, '/user/a spawned'], [DEBUG, '/user/a stopped (shutdown)']]);
  const info = capture('info');
  const b = info.kit.spawn(orders, 'b');
  info.kit.stop(b as ActorRef<never>);
  await info.kit.runUntilIdle();
  assert.equal(info.lines, []);
  await debug.kit.terminate();
  await info.kit.terminate();
});

test('destinations: a file gets JSON lines (epoch time on the real clock); test systems are silent by default; bad options are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-log-'));
  try {
    const file = join(dir, 'logs', 'shop.log');
    const system = createSystem({ name: 'shop', log: { destination: { file } } });
    system.log.info({ k: 1 }, 'hello file');
    await system.terminate();
    const [line] = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LogLine);
    assert.equal([line.level, line.msg, line.system, line.node, line.k], [INFO, 'hello file', 'shop', 'local', 1]);
    assert.ok(line.time > 1.6e12, `epoch milliseconds on the real clock, got ${line.time}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const quiet = createTestSystem();
  assert.is(quiet.log.level, 'silent');
  await quiet.terminate();
  for (const log of [{ level: 'loud' }, { destination: 42 }, 'info']) {
    const e = (() => { try { createSystem({ log: log as never }); } catch (x) { return x; } })();
    assert.ok(isTroupeError(e, 'invalid-argument'), `${JSON.stringify(log)}: ${String(e)}`);
  }
});

test('a node logs through its system\'s logger: members up at info, a member unreachable and down at warn', async () => {
  const lines: LogLine[] = [];
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], nodeOptions: { log: { destination: (r) => { if (r.node === 'a') lines.push(r); } } } });
  await sim.runUntil(() => sim.node('a').cluster.members().filter((m) => m.status === 'up').length === 3, 10_000);
  assert.equal(lines.filter((l) => l.event === 'member-up').map((l) => [l.level, l.member, l.component]).sort(), [[INFO, 'a', 'cluster'], [INFO, 'b', 'cluster'], [INFO, 'c', 'cluster']]);
  sim.network!.isolate('c');
  await sim.runUntil(() => lines.some((l) => l.event === 'member-down'), 30_000);
  assert.ok(lines.some((l) => l.event === 'member-unreachable' && l.level === WARN && l.member === 'c'), JSON.stringify(lines.map((l) => l.msg)));
  assert.ok(lines.some((l) => l.event === 'member-down' && l.level === WARN && l.member === 'c'));
  await sim.shutdown();
});

test.run();
