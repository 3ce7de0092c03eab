// Crash semantics of the simulated world: crash(node) is abrupt (in-flight handlers never resume,
// timers die, no stop hooks, unsynced writes are lost), restart recovers from the node's disk, and
// terminate/shutdown/crash never wait for someone to move virtual time.

import * as assert from 'uvu/assert';
import { suite } from '../../helpers/uvu.ts';
import { createMessageRegistry, defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createSimCluster, createTestSystem, type SimCluster, type SimClusterOptions, type SimNodeStart } from '../../../runtime/testing.ts';
import { defineEventSourced, type CommandResult } from '../../../actors/event-sourced.ts';
import type { Journal } from '../../../actors/journal/journal.ts';

type CounterCmd = { type: 'add'; by: number; replyTo: ActorRef<CommandResult<number>> };
const counter = (journal: Journal) => defineEventSourced<CounterCmd, { type: 'added'; by: number }, number>({
  name: 'counter', journal, streamOf: () => 'counter', initialState: 0,
  decide: (_s, c) => [{ type: 'added', by: c.by }],
  apply: (s, e) => s + e.by,
});
const registry = () => createMessageRegistry().define('add', { version: 1 }).define('ping', { version: 1 });

/** A cluster whose node b runs the counter on its disk at every start. */
async function cluster(extra: Partial<SimClusterOptions> = {}): Promise<SimCluster> {
  const boot = ({ name, node, journal }: SimNodeStart): void => { if (name === 'b') node.system.spawn(counter(journal), 'counter'); };
  return createSimCluster({ nodes: ['a', 'b'], seed: 4, registry, boot, ...extra });
}

/** Asks b's counter (looked up afresh) from a, driving the simulation until the answer. */
async function add(sim: SimCluster, by: number): Promise<CommandResult<number>> {
  let out: CommandResult<number> | Error | undefined;
  void (async () => {
    const ref = await sim.node('a').cluster.identify<CounterCmd>('b', '/user/counter');
    return ref!.ask<CommandResult<number>>((replyTo) => ({ type: 'add', by, replyTo }), { timeoutMs: 2_000 });
  })().then((r) => { out = r; }, (e: Error) => { out = e; });
  assert.ok(await sim.runUntil(() => out !== undefined, 10_000), 'the add settled');
  if (out instanceof Error) throw out;
  return out!;
}

const test = suite('simulated crashes', undefined, { limitMs: 60_000 });

test('crash is abrupt: the in-flight handler never resumes, its timers die, no stop hook runs; it takes effect at once', async () => {
  const seen: string[] = [];
  type Msg = { type: 'go' } | { type: 'tick' };
  const worker = defineActor<Msg, number>({
    init: (ctx) => { ctx.timers.startPeriodic('tick', { type: 'tick' }, 100); return 0; },
    receive: async (n, m, ctx) => {
      if (m.type === 'tick') { seen.push('tick'); return n + 1; }
      seen.push('handler started');
      await ctx.ask(ctx.self as ActorRef<never>, () => ({ type: 'never-answered' }) as never, { timeoutMs: 900 }).catch(() => undefined);
      seen.push('handler resumed'); // a graceful stop would get here once the ask times out
      return n;
    },
    signal: (n, s) => { seen.push(`signal ${s.type}`); return n; },
  });
  const sim = await cluster();
  const ref = sim.node('b').system.spawn(worker, 'worker');
  await sim.advance(250);
  ref.tell({ type: 'go' });
  await sim.runUntilIdle();
  const at = sim.now();
  await sim.crash('b');
  assert.is(sim.now(), at, 'crash moved no virtual time');
  assert.not.ok(sim.nodes.has('b'));
  await sim.advance(5_000);
  assert.equal(seen, ['signal started', 'tick', 'tick', 'handler started'], 'nothing ran on b after the crash: no tick, no resumed handler, no stop signals');
  assert.ok(sim.node('a').cluster.members().some((m) => m.node === 'b' && m.status === 'down'), 'a found out (failure detector, then downing)');
  await sim.shutdown();
});

test("an ask in flight to a node that crashes fails with mayHaveRun: the request may have run there", async () => {
  type Ping = { type: 'ping'; replyTo: ActorRef<string> };
  const ran: string[] = [];
  const slow = defineActor<Ping, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ran.push('ran'); ctx.timers.startSingle('late', { type: 'ping', replyTo: m.replyTo } as never, 60_000); } });
  const sim = await cluster();
  const ref = sim.node('a').cluster.refFor<Ping>(String(sim.node('b').system.spawn(slow, 'slow')));
  let failure: unknown;
  void ref.ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 60_000 }).catch((e: unknown) => { failure = e; });
  await sim.advance(50);
  await sim.crash('b');
  assert.ok(await sim.runUntil(() => failure !== undefined, 30_000));
  assert.equal(ran, ['ran']);
  assert.ok(isTroupeError(failure) && ['actor-dead', 'node-unreachable'].includes(failure.code) && failure.data.mayHaveRun === true, String(failure));
  await sim.shutdown();
});

test("restart recovers from the node's disk: fsync 'always' keeps every acknowledged command", async () => {
  const sim = await cluster();
  for (const by of [1, 2, 3]) assert.ok((await add(sim, by)).ok);
  await sim.crash('b');
  await sim.restart('b');
  const r = await add(sim, 10);
  assert.equal(r.ok && r.state, 16, 'the three acknowledged adds were recovered, then the new one');
  assert.is(sim.disk('b').stats().crashes, 1);
  await sim.shutdown();
});

test("unsynced writes are lost: fsync 'never' acknowledges before the disk syncs, and a crash loses what was not synced", async () => {
  const sim = await cluster({ storage: { fsync: 'never', syncEveryMs: 60_000, tornWrites: false } });
  for (const by of [1, 2, 3]) assert.ok((await add(sim, by)).ok, 'acknowledged');
  await sim.crash('b');
  await sim.restart('b');
  const r = await add(sim, 10);
  assert.equal(r.ok && r.state, 10, 'the acknowledged but unsynced adds are gone');
  assert.is(sim.disk('b').stats().lost, 3);
  await sim.shutdown();
});

test('a crash during writes keeps a seeded prefix of them (torn writes); the same seed keeps the same', async () => {
  const recovered = async (seed: number): Promise<number> => {
    const sim = await cluster({ seed });
    let accepted = 0;
    const ref = await (async () => { let r: ActorRef<CounterCmd> | undefined; void sim.node('a').cluster.identify<CounterCmd>('b', '/user/counter').then((x) => { r = x; }); await sim.runUntil(() => r !== undefined, 5_000); return r!; })();
    for (let i = 0; i < 8; i++) void ref.ask<CommandResult<number>>((replyTo) => ({ type: 'add', by: 1, replyTo }), { timeoutMs: 5_000 }).then(() => { accepted++; }, () => undefined);
    await sim.runUntil(() => sim.journal('b') !== undefined && accepted >= 2, 5_000);
    await sim.crash('b');
    await sim.restart('b');
    const r = await add(sim, 0);
    await sim.shutdown();
    assert.ok(r.ok && r.state >= accepted, `every acknowledged add survived (${accepted} acknowledged, ${r.ok && r.state} recovered)`);
    return r.ok ? r.state : -1;
  };
  const outcomes = new Set<number>();
  for (const seed of [1, 2, 3, 4, 5, 6]) outcomes.add(await recovered(seed));
  assert.ok(outcomes.size > 1, `how much of the in-flight writes survives depends on the seed: ${[...outcomes]}`);
  assert.is(await recovered(3), await recovered(3));
});

test('terminate never waits for someone to move time: it runs virtual time for the shutdowns itself', async () => {
  const kit = createTestSystem();
  const stuck = kit.spawn(defineActor<{ type: 'go' }, number>({
    init: () => 0,
    receive: async (s, _m, ctx) => { await ctx.ask(ctx.self as ActorRef<never>, () => ({ type: 'nobody-answers' }) as never, { timeoutMs: 60_000 }).catch(() => undefined); return s; },
  }), 'stuck');
  stuck.tell({ type: 'go' });
  await kit.runUntilIdle();
  const reason = await kit.terminate();
  assert.equal(reason, { kind: 'requested' });
  assert.ok(kit.now() >= 5_000, `the busy actor's shutdown (5 s) ran out in virtual time (now ${kit.now()} ms)`);
});

test("terminate rejects with simulation-stuck, naming the actor, when nothing in the simulation can ever finish it", async () => {
  const kit = createTestSystem();
  const forever = kit.spawn(defineActor<{ type: 'go' }, number>({ init: () => 0, receive: async (s) => { await new Promise(() => {}); return s; } }), 'forever', { shutdown: 'infinity' });
  forever.tell({ type: 'go' });
  await kit.runUntilIdle();
  try {
    await kit.terminate();
    assert.unreachable('terminate should not finish');
  } catch (e) {
    assert.ok(isTroupeError(e, 'simulation-stuck'), String(e));
    assert.match((e as Error).message, /\/user\/forever/);
  }
});

test('shutdown of a cluster with a handler waiting on a long ask finishes by itself', async () => {
  const sim = await cluster();
  const waiter = sim.node('a').system.spawn(defineActor<{ type: 'go' }, number>({
    init: () => 0,
    receive: async (s, _m, ctx) => { await ctx.ask(ctx.self as ActorRef<never>, () => ({ type: 'x' }) as never, { timeoutMs: 3_600_000 }).catch(() => undefined); return s; },
  }), 'waiter');
  waiter.tell({ type: 'go' });
  await sim.runUntilIdle();
  await sim.shutdown();
  assert.is(sim.nodes.size, 0);
});

test.run();
