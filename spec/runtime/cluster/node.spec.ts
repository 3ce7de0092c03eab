import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type SystemEvent } from '../../../runtime/index.ts';
import type { ClusterEvent } from '../../../runtime/cluster/membership.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { createSimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createLoopbackHub } from '../../helpers/loopback-transport.ts';

type GreeterMsg = { type: 'greet'; name: string; replyTo: ActorRef<string> } | { type: 'greet-later'; name: string; replyTo: ActorRef<string> };
const greeter = defineActor<GreeterMsg, number>({
  name: 'greeter',
  init: () => 0,
  receive: (n, m, ctx) => {
    if (m.type === 'greet-later') { ctx.timers.startSingle('later', { type: 'greet', name: m.name, replyTo: m.replyTo }, 5_000); return n; }
    m.replyTo.tell(`hello ${m.name} #${n + 1}`);
    return n + 1;
  },
});
const registry = () => createMessageRegistry()
  .define('greet', { version: 2, upcasters: { 1: (p) => ({ ...(p as object), name: (p as { who: string }).who }) }, validate: (p) => typeof (p as { name?: unknown }).name === 'string' || 'name must be a string' })
  .define('greet-later', { version: 1 });

async function cluster(nodes = ['a', 'b', 'c']) {
  const hub = createLoopbackHub();
  const sim = await createSimCluster({ nodes, registry, transport: () => hub.transport() });
  return { sim, hub };
}

const test = suite('node');

test('nodes join through the seed and every node sees every member up', async () => {
  const { sim } = await cluster();
  for (const n of ['a', 'b', 'c']) {
    assert.equal(sim.node(n).cluster.members().map((m) => `${m.node}:${m.status}`), ['a:up', 'b:up', 'c:up']);
  }
  await sim.shutdown();
});

test('tell and ask reach an actor on another node with the same API and typed reply', async () => {
  const { sim } = await cluster();
  sim.node('b').system.spawn(greeter, 'greeter');
  const found = sim.node('a').cluster.identify<GreeterMsg>('b', '/user/greeter');
  await sim.runUntilIdle();
  const ref = (await found)!;
  assert.is(ref.address.node, 'b');
  const reply = ref.ask<string>((replyTo) => ({ type: 'greet', name: 'ann', replyTo }));
  await sim.runUntilIdle();
  assert.is(await reply, 'hello ann #1');
  await sim.shutdown();
});

test('a remote ask times out on virtual time with ask-timeout', async () => {
  const { sim } = await cluster();
  sim.node('b').system.spawn(greeter, 'greeter');
  const ref = sim.node('a').cluster.refFor<GreeterMsg>(String(sim.node('b').system.lookup('/user/greeter')));
  let error: unknown;
  ref.ask<string>((replyTo) => ({ type: 'greet-later', name: 'x', replyTo }), { timeoutMs: 1_000 }).catch((e) => { error = e; });
  await sim.advance(1_001);
  assert.ok(isTroupeError(error, 'ask-timeout'));
  await sim.shutdown();
});

test('versioning on the receiver: unknown types and versions dead-letter with a reason, old versions are upcast, invalid payloads rejected', async () => {
  const hub = createLoopbackHub();
  const sim = await createSimCluster({ nodes: ['a'], registry, transport: () => hub.transport() });
  const incompat: ClusterEvent[] = [];
  sim.node('a').cluster.events$.subscribe((e) => { if (e.type === 'incompatible') incompat.push(e); });
  const dead: SystemEvent[] = [];
  sim.node('a').system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  const target = sim.node('a').system.spawn(greeter, 'greeter');
  const { createNode } = await import('../../../runtime/cluster/node.ts');
  const join = async (node: string, reg: ReturnType<typeof createMessageRegistry>) => {
    const n = await createNode({ name: 'sim', node, scheduler: sim.scheduler, transport: hub.transport(), seeds: ['a'], registry: reg, log: { level: 'silent' } });
    await sim.runUntil(() => n.cluster.self.status === 'up', 5_000);
    return n;
  };
  const newer = await join('newer', createMessageRegistry().define('greet', { version: 3 }).define('shout', { version: 1 }));
  const older = await join('older', createMessageRegistry().define('greet', { version: 1 }));
  assert.ok(incompat.some((e) => e.type === 'incompatible' && e.node === 'newer'), 'manifests are compared on join and differences reported');
  const fromNewer = newer.cluster.refFor<{ type: string; name?: unknown; replyTo?: unknown }>(String(target));
  fromNewer.tell({ type: 'shout' });
  fromNewer.tell({ type: 'greet', name: 'v3' });
  await sim.runUntilIdle();
  assert.equal(dead.map((e) => e.type === 'dead-letter' && e.reason), ['unknown-message-type', 'unsupported-version']);

  const fromOlder = older.cluster.refFor<{ type: 'greet'; who: string; replyTo: ActorRef<string> }>(String(target));
  const reply = fromOlder.ask<string>((replyTo) => ({ type: 'greet', who: 'old-timer', replyTo }));
  await sim.runUntilIdle();
  assert.is(await reply, 'hello old-timer #1', 'a v1 payload is upcast to v2 on the receiver');

  const twin = await join('twin', registry());
  twin.cluster.refFor<{ type: 'greet'; name: unknown }>(String(target)).tell({ type: 'greet', name: 42 });
  await sim.runUntilIdle();
  const last = dead.at(-1);
  assert.ok(last?.type === 'dead-letter' && last.reason === 'schema-invalid');
  for (const n of [newer, older, twin]) await n.stop();
  await sim.shutdown();
});

test('sending an undeclared type fails on the sender: dead letter with unknown-message-type, ask rejected with it', async () => {
  const { sim } = await cluster(['a', 'b']);
  const target = sim.node('b').system.spawn(greeter, 'greeter');
  const remote = sim.node('a').cluster.refFor<{ type: 'nope'; replyTo: ActorRef<string> }>(String(target));
  const error = await remote.ask<string>((replyTo) => ({ type: 'nope', replyTo })).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(error, 'unknown-message-type'), String(error));
  await sim.shutdown();
});

test('remote death watch: a stopped remote actor terminates for its watcher with the reason', async () => {
  const { sim } = await cluster();
  const target = sim.node('b').system.spawn(greeter, 'greeter');
  const seen: string[] = [];
  const remote = sim.node('a').cluster.refFor<GreeterMsg>(String(target));
  sim.node('a').system.spawn(defineActor<{ type: 'x' }, undefined>({
    init: (ctx) => { ctx.watch(remote as ActorRef<never>); return undefined; },
    receive: () => undefined,
    signal: (_s, sig) => { if (sig.type === 'terminated') seen.push(`${sig.ref.path} ${sig.reason.kind} same-ref=${sig.ref.equals(remote as never)}`); },
  }), 'watcher');
  await sim.runUntilIdle();
  sim.node('b').system.stop(target as ActorRef<never>);
  await sim.runUntilIdle();
  assert.equal(seen, ['/user/greeter shutdown same-ref=true']);
  await sim.shutdown();
});

test('a crashed node is marked unreachable by the failure detector, then downed by the split-brain resolver', async () => {
  const { sim } = await cluster();
  const target = sim.node('c').system.spawn(greeter, 'greeter');
  const remote = sim.node('a').cluster.refFor<GreeterMsg>(String(target));
  const seen: string[] = [];
  const events: string[] = [];
  sim.node('a').cluster.events$.subscribe((e) => { if (e.type === 'member-down' || e.type === 'member-unreachable') events.push(`${e.member.node} ${e.type}`); });
  sim.node('a').system.spawn(defineActor<{ type: 'x' }, undefined>({
    init: (ctx) => { ctx.watch(remote as ActorRef<never>); return undefined; },
    receive: () => undefined,
    signal: (_s, sig) => { if (sig.type === 'terminated') seen.push(sig.reason.kind); },
  }), 'watcher');
  let askError: unknown;
  remote.ask<string>((replyTo) => ({ type: 'greet-later', name: 'x', replyTo }), { timeoutMs: 60_000 }).catch((e) => { askError = e; });
  await sim.runUntilIdle();
  const crashedAt = sim.scheduler.clock.now();
  await sim.crash('c');
  assert.ok(await sim.runUntil(() => askError !== undefined, 5_000), 'the silence was noticed');
  const detectionMs = sim.scheduler.clock.now() - crashedAt;
  // a silent node (no refused connect to hint at it) waits for the failure detector: ~2.3 s by default
  assert.ok(detectionMs >= 1_500 && detectionMs <= 2_600, `unreachable after ${detectionMs} ms of silence (default settings)`);
  assert.ok(isTroupeError(askError, 'node-unreachable'), 'the request may have run: not actor-dead');
  assert.equal(sim.node('a').cluster.unreachable(), ['c']);
  assert.equal(seen, [], 'unreachable is not down: watchers wait for the decision');
  assert.ok(isTroupeError(await remote.ask((replyTo) => ({ type: 'greet', name: 'y', replyTo })).catch((e: unknown) => e), 'node-unreachable'), 'a new ask fails at once, node-unreachable');
  assert.ok(await sim.runUntil(() => seen.length > 0, 10_000), 'the resolver downed c');
  const downMs = sim.scheduler.clock.now() - crashedAt;
  assert.ok(downMs >= detectionMs + 7_000 && downMs <= detectionMs + 7_500, `downed ${downMs} ms after the crash: the default stable period is 7 s`);
  assert.equal(seen, ['node-down']);
  assert.equal(events, ['c member-unreachable', 'c member-down']);
  assert.is(remote.alive, false);
  remote.tell({ type: 'greet', name: 'late', replyTo: remote as never });
  await sim.shutdown();
});

test('a restarted node is a new incarnation: refs to the old one dead-letter', async () => {
  const { sim } = await cluster();
  const old = sim.node('b').system.spawn(greeter, 'greeter');
  const oldRef = sim.node('a').cluster.refFor<GreeterMsg>(String(old));
  await sim.crash('b');
  await sim.advance(3_000);
  const b2 = await sim.start('b');
  await sim.runUntil(() => sim.node('a').cluster.members().some((m) => m.node === 'b' && m.status === 'up' && m.incarnation === b2.cluster.self.incarnation), 5_000);
  b2.system.spawn(greeter, 'greeter');
  const dead: SystemEvent[] = [];
  b2.system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  oldRef.tell({ type: 'greet', name: 'ghost', replyTo: oldRef as never });
  await sim.runUntilIdle();
  assert.is(dead.length, 1);
  assert.ok(dead[0].type === 'dead-letter' && dead[0].reason === 'unknown-recipient');
  await sim.shutdown();
});

test.run();
