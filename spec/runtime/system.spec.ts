import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type SystemEvent, type TroupeError } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

type CounterMsg = { type: 'add'; by: number } | { type: 'get'; replyTo: ActorRef<number> } | { type: 'boom' };
const counter = defineActor<CounterMsg, { total: number }>({
  name: 'counter',
  init: () => ({ total: 0 }),
  receive: (s, m, ctx) => {
    switch (m.type) {
      case 'add': return { total: s.total + m.by };
      case 'get': ctx.send(m.replyTo, s.total); return s;
      case 'boom': throw new Error('boom');
    }
  },
});

const test = suite('system');

test('tell is processed in order and ask gets the typed reply', async () => {
  const kit = createTestSystem();
  const c = kit.spawn(counter, 'counter');
  c.tell({ type: 'add', by: 2 });
  c.tell({ type: 'add', by: 3 });
  const p = c.ask<number>((replyTo) => ({ type: 'get', replyTo }));
  await kit.runUntilIdle();
  assert.is(await p, 5);
  await kit.terminate();
});

test('a handler exception goes to the supervisor and events$, never to the sender', async () => {
  const kit = createTestSystem();
  const events: SystemEvent['type'][] = [];
  kit.events$.subscribe((e) => events.push(e.type));
  const c = kit.spawn(counter, 'counter');
  c.tell({ type: 'add', by: 1 });
  assert.not.throws(() => c.tell({ type: 'boom' }));
  c.tell({ type: 'add', by: 7 });
  const probe = kit.createProbe<number>();
  c.tell({ type: 'get', replyTo: probe.ref });
  // restarted with a fresh state; the message after the failing one is still processed
  await probe.expectMessage(7);
  assert.ok(events.includes('failed'));
  assert.ok(events.includes('restarted'));
  await kit.terminate();
});

test('spawning a duplicate name and an invalid name fail at the point of misuse', () => {
  const kit = createTestSystem();
  kit.spawn(counter, 'a');
  try { kit.spawn(counter, 'a'); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'duplicate-name')); assert.match((e as Error).message, /choose another name/); }
  try { kit.spawn(counter, 'bad/name'); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-name')); }
});

test('ask times out on virtual time with a typed error', async () => {
  const kit = createTestSystem();
  const silent = kit.spawn(defineActor<{ type: 'q'; replyTo: ActorRef<string> }, undefined>({ init: () => undefined, receive: () => undefined }), 'silent');
  const p = silent.ask<string>((replyTo) => ({ type: 'q', replyTo }), { timeoutMs: 250 });
  let err: unknown;
  p.catch((e) => { err = e; });
  await kit.advance(249);
  assert.is(err, undefined);
  await kit.advance(1);
  assert.ok(isTroupeError(err, 'ask-timeout'));
  assert.is((err as TroupeError).data.timeoutMs, 250);
});

test('an ask to a dead actor fails fast, without waiting for any timeout', async () => {
  const kit = createTestSystem();
  const c = kit.spawn(counter, 'c');
  kit.stop(c as ActorRef<never>);
  await kit.runUntilIdle();
  assert.is(c.alive, false);
  const t0 = kit.now();
  try { await c.ask<number>((replyTo) => ({ type: 'get', replyTo })); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'actor-dead')); }
  assert.is(kit.now(), t0);
});

test('messages to a stopped actor become dead letters with a reason', async () => {
  const kit = createTestSystem();
  const dead: SystemEvent[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  const c = kit.spawn(counter, 'c');
  kit.stop(c as ActorRef<never>);
  await kit.runUntilIdle();
  c.tell({ type: 'add', by: 1 });
  assert.is(dead.length, 1);
  assert.equal({ ...dead[0], atMs: 0, message: null }, { type: 'dead-letter', recipient: '/user/c', messageType: 'add', message: null, reason: 'actor-stopped', atMs: 0 });
  assert.is(kit.deadLetterCount, 1);
});

test('terminate stops everything depth-first, rejects pending asks, and sending afterwards throws', async () => {
  const kit = createTestSystem();
  const order: string[] = [];
  const node = (label: string, kids: number) => defineActor<{ type: 'q'; replyTo: ActorRef<number> }, undefined>({
    name: label,
    init: (ctx) => { for (let i = 0; i < kids; i++) ctx.spawn(node(`${label}.${i}`, kids - 1), `k${i}`); return undefined; },
    receive: () => undefined,
    signal: (_s, sig, ctx) => { if (sig.type === 'stopped') order.push(ctx.path); },
  });
  const root = kit.spawn(node('root', 2), 'root');
  await kit.runUntilIdle();
  let askError: unknown;
  root.ask<number>((replyTo) => ({ type: 'q', replyTo }), { timeoutMs: 60_000 }).catch((e) => { askError = e; });
  await kit.runUntilIdle();
  const done = kit.terminate();
  await kit.runUntilIdle();
  assert.equal(await done, { kind: 'requested' });
  assert.ok(isTroupeError(askError, 'system-terminated'));
  // children before parents, newest child first
  assert.equal(order, ['/user/root/k1/k0', '/user/root/k1', '/user/root/k0/k0', '/user/root/k0', '/user/root']);
  try { root.tell({ type: 'q', replyTo: root as never }); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'system-terminated')); }
  try { kit.spawn(counter); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'system-terminated')); }
});

test('async handlers run strictly one message at a time', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  type M = { type: 'work'; id: number; ms: number };
  const worker = kit.spawn(defineActor<M, undefined>({
    init: () => undefined,
    receive: async (_s, m) => {
      log.push(`start ${m.id}`);
      for (let i = 0; i < m.ms; i++) await Promise.resolve();
      log.push(`end ${m.id}`);
    },
  }), 'w');
  worker.tell({ type: 'work', id: 1, ms: 10 });
  worker.tell({ type: 'work', id: 2, ms: 10 });
  await kit.runUntilIdle();
  assert.equal(log, ['start 1', 'end 1', 'start 2', 'end 2']);
});

test('lookup finds live actors by path', async () => {
  const kit = createTestSystem();
  const c = kit.spawn(counter, 'shop');
  assert.ok(kit.lookup('/user/shop')?.equals(c as never));
  assert.is(kit.lookup('/user/nope'), undefined);
});

test.run();
