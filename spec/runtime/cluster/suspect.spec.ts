// The suspect level of the phi-accrual detector on a simulated cluster: a silent member is suspect
// (phi ≥ half the threshold by default) before it is unreachable, and trusted again once heard.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createSimCluster } from '../../../runtime/testing/sim-cluster.ts';

const test = suite('suspect members');

test('a paused member is suspect (phi ≥ 4) before it is unreachable (phi ≥ 8), trusted again when heard, and never downed for it', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], seed: 5, network: { latencyMs: 2, jitterMs: 1 } });
  const seen: { type: string; atMs: number; phi?: number }[] = [];
  sim.node('a').cluster.events$.subscribe((e) => {
    if ((e.type === 'member-suspect' || e.type === 'member-trusted' || e.type === 'member-unreachable' || e.type === 'member-reachable') && e.member.node === 'c') {
      seen.push({ type: e.type, atMs: e.atMs, ...(e.type === 'member-suspect' ? { phi: e.phi } : {}) });
    }
  });
  await sim.advance(1_000);
  assert.equal(sim.node('a').cluster.suspected(), [], 'nobody is suspect while heartbeats flow');
  const pausedAt = sim.scheduler.clock.now();
  sim.pause('c');
  assert.ok(await sim.runUntil(() => sim.node('a').cluster.suspected().includes('c'), 5_000), 'c becomes suspect');
  assert.equal(sim.node('a').cluster.unreachable(), [], 'suspect first, not yet unreachable');
  assert.ok(await sim.runUntil(() => sim.node('a').cluster.unreachable().includes('c'), 5_000));
  assert.equal(sim.node('a').cluster.suspected(), ['c'], 'an unreachable member is still suspect');
  const suspect = seen.find((e) => e.type === 'member-suspect')!;
  const unreachable = seen.find((e) => e.type === 'member-unreachable')!;
  assert.ok(suspect.phi! >= 4 && suspect.phi! < 8, `phi at suspicion ${suspect.phi}`);
  assert.ok(suspect.atMs < unreachable.atMs, `suspect at ${suspect.atMs - pausedAt} ms, unreachable at ${unreachable.atMs - pausedAt} ms after the pause`);
  assert.ok(suspect.atMs - pausedAt >= 2_000 && unreachable.atMs - pausedAt <= 3_000, `within 2–3 s of silence with the defaults: ${suspect.atMs - pausedAt}, ${unreachable.atMs - pausedAt}`);
  assert.ok(unreachable.atMs - suspect.atMs >= 250, 'at least one heartbeat tick earlier');
  sim.resume('c');
  assert.ok(await sim.runUntil(() => sim.node('a').cluster.suspected().length === 0, 2_000), 'trusted again once heard');
  assert.equal(seen.map((e) => e.type), ['member-suspect', 'member-unreachable', 'member-reachable', 'member-trusted']);
  assert.equal(sim.node('a').cluster.members().map((m) => m.status), ['up', 'up', 'up']);
  await sim.shutdown();
});

test('suspectPhiThreshold is checked: above the phi threshold or not > 0 throws invalid-argument naming the default', async () => {
  for (const bad of [9, 0, Number.NaN]) {
    try {
      await createSimCluster({ nodes: ['x'], nodeOptions: { membership: { phiThreshold: 8, suspectPhiThreshold: bad } } });
      assert.unreachable('should throw');
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'), String(e));
      assert.match((e as Error).message, /suspectPhiThreshold must be a number > 0 and ≤ phiThreshold \(8\); default phiThreshold \/ 2/);
    }
  }
});

test.run();
