// Leaving the cluster: a graceful leave is seen by peers as leaving then removed, promptly and
// never as down; a system that terminates by itself takes its node out of the cluster too.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor } from '../../../runtime/index.ts';
import type { ClusterEvent } from '../../../runtime/cluster/membership.ts';
import type { LogLine } from '../../../runtime/observe/log-options.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing/sim-cluster.ts';

const test = suite('cluster leave');

function watchPeers(sim: SimCluster, peers: readonly string[], node: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const p of peers) {
    const list: string[] = [];
    seen.set(p, list);
    sim.node(p).cluster.events$.subscribe((e: ClusterEvent) => { if (e.type.startsWith('member-') && 'member' in e && e.member.node === node) list.push(e.type); });
  }
  return seen;
}

test('a graceful leave: peers see member-leaving then member-removed within a few network hops, never member-down', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'] });
  await sim.advance(1_000); // heartbeats have opened every link
  const seen = watchPeers(sim, ['a', 'c'], 'b');
  const leaving = sim.node('b');
  const startedAt = sim.scheduler.clock.now();
  const left = leaving.leave();
  await sim.runUntil(() => [...seen.values()].every((l) => l.includes('member-removed')), 5_000);
  await left;
  const tookMs = sim.scheduler.clock.now() - startedAt;
  assert.equal(Object.fromEntries(seen), { a: ['member-leaving', 'member-removed'], c: ['member-leaving', 'member-removed'] });
  assert.ok(tookMs < 100, `removed after ${tookMs} virtual ms: announced, not detected (the failure detector needs ~2 s)`);
  await sim.advance(5_000); // the failure detector and refused connects must not turn it into down later
  assert.equal(Object.fromEntries(seen), { a: ['member-leaving', 'member-removed'], c: ['member-leaving', 'member-removed'] });
  for (const p of ['a', 'c']) assert.ok(sim.node(p).cluster.members().some((m) => m.node === 'b' && m.status === 'removed'));
  await sim.shutdown();
});

test('a system that terminates by an escalated failure leaves the cluster: peers see it leave, the node stops with the reason', async () => {
  const logs: LogLine[] = [];
  const sim = await createSimCluster({ nodes: ['a', 'b'], nodeOptions: { guardian: { decider: () => 'escalate' }, log: { destination: (r) => logs.push(r) } } });
  const seen = watchPeers(sim, ['a'], 'b');
  const b = sim.node('b');
  const fragile = b.system.spawn(defineActor<{ type: 'boom' }, undefined>({ init: () => undefined, receive: () => { throw new Error('disk on fire'); } }), 'fragile');
  fragile.tell({ type: 'boom' });
  await sim.runUntil(() => seen.get('a')!.includes('member-removed'), 5_000);
  const reason = await b.whenStopped;
  assert.is(reason.kind, 'escalated');
  assert.equal(seen.get('a'), ['member-leaving', 'member-removed']);
  assert.ok(logs.some((l) => l.level === 50 && l.node === 'b' && /escalated to the root .*disk on fire/.test(l.msg)), JSON.stringify(logs.map((l) => l.msg)));
  assert.not.ok(sim.node('a').cluster.members().some((m) => m.node === 'b' && m.status === 'up'));
  await sim.shutdown();
});

test.run();
