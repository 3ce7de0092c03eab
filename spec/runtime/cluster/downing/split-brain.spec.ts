// Partitions, heals and pauses on the simulated network (virtual time): the split-brain
// resolver downs exactly one side, the downed side rejoins as new incarnations, a paused node
// blames itself, and asks to an unreachable node fail node-unreachable.

import { suite } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef } from '../../../../runtime/index.ts';
import { createMessageRegistry } from '../../../../runtime/wire/message-registry.ts';
import type { ClusterEvent } from '../../../../runtime/cluster/membership.ts';
import type { DowningOptions } from '../../../../runtime/cluster/downing/resolver.ts';
import type { Lease } from '../../../../runtime/cluster/downing/lease.ts';
import { createSimCluster, type SimCluster } from '../../../../runtime/testing.ts';

const test = suite('split brain');
const NODES = ['a', 'b', 'c', 'd', 'e'];

/** A lease shared by the nodes of one simulated cluster (a PostgreSQL lock in production). */
function memoryLeases(): (node: string) => Lease {
  let holder: string | null = null;
  return (node) => ({
    tryAcquire: () => Promise.resolve(holder === null || holder === node ? ((holder = node), true) : false),
    release: () => { if (holder === node) holder = null; return Promise.resolve(); },
  });
}

const up = (sim: SimCluster, name: string): string[] => sim.nodes.get(name)?.cluster.members().filter((m) => m.status === 'up').map((m) => `${m.node}#${m.incarnation}`) ?? [];
const converged = (sim: SimCluster): boolean => {
  if (sim.nodes.size !== NODES.length) return false;
  const views = NODES.map((n) => up(sim, n).join(' '));
  return views.every((v) => v === views[0]) && up(sim, 'a').length === NODES.length;
};


for (const strategy of ['keep-majority', 'static-quorum', 'keep-oldest', 'lease'] as const) {
  for (const seed of [1, 2]) {
    test(`${strategy}, seed ${seed}: a partition downs exactly one side, which rejoins as new incarnations after the heal`, async () => {
      const leases = memoryLeases();
      const downing: DowningOptions =
        strategy === 'static-quorum' ? { strategy, quorumSize: 3 }
        : strategy === 'lease' ? { strategy, lease: leases('shared') }
        : { strategy };
      let leaseFor = 0;
      const sim = await createSimCluster({
        nodes: NODES, seed, network: { latencyMs: 3, jitterMs: 2 },
        nodeOptions: { membership: strategy === 'lease' ? { get downing() { return { strategy: 'lease', lease: leases(`n${++leaseFor}`) } as DowningOptions; } } : { downing } },
      });
      const before = new Map(NODES.map((n) => [n, sim.node(n).cluster.self.incarnation]));
      const oldest = [...before].sort((x, y) => x[1] - y[1])[0][0];
      // keep-oldest: cut the oldest off with one other node, so the minority side is the one kept
      const sideA = strategy === 'keep-oldest' ? [oldest, NODES.find((n) => n !== oldest)!] : ['d', 'e'];
      const sideB = NODES.filter((n) => !sideA.includes(n));
      const losers = strategy === 'keep-oldest' ? sideB : sideA;
      const winners = strategy === 'keep-oldest' ? sideA : sideB;
      const events = new Map<string, ClusterEvent[]>();
      for (const n of NODES) { const log: ClusterEvent[] = []; events.set(n, log); sim.node(n).cluster.events$.subscribe((e) => log.push(e)); }
      const t0 = sim.scheduler.clock.now();
      sim.network!.partition(sideA, sideB);
      const unreachableAt = await sim.runUntil(() => winners.every((w) => events.get(w)!.some((e) => e.type === 'member-unreachable')), 10_000);
      assert.ok(unreachableAt, 'the failure detectors noticed the partition');
      const detectionMs = sim.scheduler.clock.now() - t0;
      assert.ok(await sim.runUntil(() => losers.every((l) => (sim.downRestarts.get(l) ?? 0) === 1), 30_000), 'every node of the losing side was downed and restarted');
      const downedMs = sim.scheduler.clock.now() - t0;
      const decisions = winners.flatMap((w) => events.get(w)!.filter((e) => e.type === 'downing-decision').map((e) => (e as { action: string }).action));
      assert.ok(decisions.length >= 1 && decisions.every((d) => d === 'down-unreachable'), `the surviving side decided to keep itself (the first decision reaches the others by gossip): ${decisions}`);
      for (const w of winners) {
        const log = events.get(w)!;
        assert.equal(log.filter((e) => e.type === 'member-down').map((e) => (e as { member: { node: string } }).member.node).sort(), [...losers].sort(), `${w} downed exactly the other side`);
        assert.ok(sim.nodes.has(w) && sim.node(w).cluster.self.status === 'up', `${w} survives`);
        assert.is(sim.node(w).cluster.self.incarnation, before.get(w), `${w} was never restarted`);
      }
      for (const l of losers) {
        const log = events.get(l)!;
        assert.ok(log.some((e) => e.type === 'member-down' && e.member.node === l), `${l} learnt it was downed`);
        assert.not.ok(log.some((e) => e.type === 'member-down' && winners.includes(e.member.node)), `${l} never downed a node of the surviving side`);
      }
      const healAt = sim.scheduler.clock.now();
      sim.network!.heal();
      assert.ok(await sim.runUntil(() => converged(sim), 20_000), `one view after the heal: ${NODES.map((n) => `${n}=[${up(sim, n).join(' ')}]`).join('; ')}`);
      const rejoinMs = sim.scheduler.clock.now() - healAt;
      for (const l of losers) assert.ok(sim.node(l).cluster.self.incarnation > before.get(l)!, `${l} rejoined as a new incarnation`);
      for (const w of winners) {
        const ups = events.get(w)!.filter((e) => e.type === 'member-up').map((e) => (e as { member: { node: string } }).member.node).sort();
        assert.equal(ups, [...losers].sort(), `${w} saw the new incarnations come up`);
      }
      if (seed === 1) console.log(`    ${strategy}: unreachable after ${Math.round(detectionMs)} ms, losing side downed and restarted by ${Math.round(downedMs)} ms, one view ${Math.round(rejoinMs)} ms after the heal (virtual)`);
      await sim.shutdown();
    });
  }
}

test('a paused node blames itself: after 5 s asleep it downs no one, and the cluster stays whole', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], seed: 3, network: { latencyMs: 3, jitterMs: 2 } });
  const events: string[] = [];
  for (const n of ['a', 'b', 'c']) sim.node(n).cluster.events$.subscribe((e) => { if (e.type.startsWith('member-') || e.type === 'downing-decision') events.push(`${n}: ${e.type}${'member' in e ? ` ${e.member.node}` : ''}`); });
  const incarnation = sim.node('c').cluster.self.incarnation;
  sim.pause('c');
  await sim.advance(5_000);
  assert.ok(events.includes('a: member-unreachable c'), 'the others suspected the sleeper');
  sim.resume('c');
  await sim.advance(10_000);
  assert.equal(events.filter((e) => e.startsWith('c:')), [], 'the sleeper suspected no one: it read the heartbeats waiting for it');
  assert.not.ok(events.some((e) => e.includes('member-down') || e.includes('downing-decision')), events.join(', '));
  assert.ok(events.includes('a: member-reachable c'));
  assert.is(sim.node('c').cluster.self.incarnation, incarnation);
  for (const n of ['a', 'b', 'c']) assert.equal(sim.node(n).cluster.members().map((m) => m.status), ['up', 'up', 'up']);
  await sim.shutdown();
});

test('a node paused longer than detection + stable period is downed by the others, stops and rejoins; it never downs them', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], seed: 4, network: { latencyMs: 3, jitterMs: 2 } });
  const onC: string[] = [];
  sim.node('c').cluster.events$.subscribe((e) => { if (e.type === 'member-down' || e.type === 'member-unreachable' || e.type === 'downing-decision') onC.push(`${e.type} ${'member' in e ? e.member.node : e.action}`); });
  const incarnation = sim.node('c').cluster.self.incarnation;
  sim.pause('c');
  await sim.advance(12_000);
  assert.ok(sim.node('a').cluster.members().some((m) => m.node === 'c' && m.status === 'down'), 'a and b downed the sleeper');
  const wokeAt = sim.scheduler.clock.now();
  sim.resume('c');
  assert.ok(await sim.runUntil(() => sim.downRestarts.get('c') === 1 && up(sim, 'a').length === 3 && up(sim, 'c').length === 3, 10_000), 'c stopped, restarted and rejoined');
  console.log(`    paused 12 s: told it was down, restarted and back in one view ${Math.round(sim.scheduler.clock.now() - wokeAt)} ms after waking (virtual)`);
  assert.equal(onC, ['member-down c'], 'the sleeper learnt it was down; it never accused a or b');
  assert.ok(sim.node('c').cluster.self.incarnation > incarnation);
  await sim.shutdown();
});

test('asks to an unreachable node fail node-unreachable, at once for new ones, and never actor-dead', async () => {
  type Slow = { type: 'slow'; replyTo: ActorRef<string> };
  const registry = () => createMessageRegistry().define('slow', { version: 1 });
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], seed: 5, registry, network: { latencyMs: 3 } });
  const target = sim.node('c').system.spawn(defineActor<Slow, undefined>({ init: () => undefined, receive: () => undefined }), 'slow');
  const remote = sim.node('a').cluster.refFor<Slow>(String(target));
  let pending: unknown;
  remote.ask<string>((replyTo) => ({ type: 'slow', replyTo }), { timeoutMs: 60_000 }).catch((e: unknown) => { pending = e; });
  await sim.runUntilIdle();
  sim.network!.partition(['a', 'b'], ['c']);
  assert.ok(await sim.runUntil(() => pending !== undefined, 5_000));
  assert.ok(isTroupeError(pending, 'node-unreachable'), String(pending));
  const fresh = await remote.ask((replyTo) => ({ type: 'slow', replyTo })).catch((e: unknown) => e);
  assert.ok(isTroupeError(fresh, 'node-unreachable'), String(fresh));
  const found = await sim.node('a').cluster.identify('c', '/user/slow').catch((e: unknown) => e);
  assert.ok(isTroupeError(found, 'node-unreachable'), String(found));
  await sim.shutdown();
});

test.run();
