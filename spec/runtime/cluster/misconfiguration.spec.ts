// A misconfigured node says so at once: whenUp({ timeoutMs }) rejects with the reasons seen, the
// node's log gets an error line, and sticky cluster facts reach subscribers who come late.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { createNode } from '../../../runtime/cluster/node.ts';
import type { ClusterEvent, JoinProblem } from '../../../runtime/cluster/membership.ts';
import type { LogLine } from '../../../runtime/observe/log-options.ts';
import { createSimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';

const test = suite('cluster misconfiguration');

test('a node with the wrong secret: whenUp({ timeoutMs }) rejects with join-timeout listing auth-failed, and the log says it at once', async () => {
  const sim = await createSimCluster({ nodes: ['a'] });
  const logs: LogLine[] = [];
  const stray = await createNode({
    name: 'sim', node: 'stray', scheduler: sim.scheduler, seeds: [sim.node('a').endpoint],
    transport: sim.network!.transport({ secret: 'not-the-cluster-secret' }), log: { level: 'warn', destination: (r) => logs.push(r) },
  });
  let error: unknown;
  stray.cluster.whenUp({ timeoutMs: 5_000 }).catch((e) => { error = e; });
  await sim.advance(1_000);
  assert.equal(logs.map((l) => `${l.level} ${String(l.reason)} ${l.component}`), ['50 auth-failed cluster'], 'one error line (pino level 50) at the first rejection, repeats suppressed');
  assert.ok(logs[0].time <= 1_000, `stamped with the virtual clock (the rejection came ${logs[0].time} virtual ms in), not the wall clock`);
  assert.is(error, undefined, 'still waiting before its timeout');
  await sim.advance(4_001);
  assert.ok(isTroupeError(error, 'join-timeout'), String(error));
  const reasons = error.data.reasons as JoinProblem[];
  assert.equal(reasons.map((r) => `${r.reason} ${r.remote}`), [`auth-failed ${sim.node('a').endpoint}`]);
  assert.match(error.message, /secret/);
  assert.is(stray.cluster.self.status, 'joining');
  await stray.stop();
  await sim.shutdown();
});

test('no seed answers: the join-timeout lists the seed as refused (nothing listens there)', async () => {
  const sim = await createSimCluster({ nodes: ['a'] });
  const lonely = await createNode({ name: 'sim', node: 'lonely', scheduler: sim.scheduler, seeds: ['nobody'], transport: sim.network!.transport(), log: { level: 'silent' } });
  let error: unknown;
  lonely.cluster.whenUp({ timeoutMs: 2_000 }).catch((e) => { error = e; });
  await sim.advance(2_001);
  assert.ok(isTroupeError(error, 'join-timeout'), String(error));
  assert.equal((error.data.reasons as JoinProblem[]).map((r) => `${r.reason} ${r.remote}`), ['refused nobody']);
  await lonely.stop();
  await sim.shutdown();
});

test('whenUp resolves as before without a timeout, and rejects a bad timeoutMs', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b'] });
  await sim.node('b').cluster.whenUp();
  await sim.node('b').cluster.whenUp({ timeoutMs: 1 });
  await sim.shutdown();
  const fresh = await createSimCluster({ nodes: ['a'] });
  const late = await createNode({ name: 'sim', node: 'late', scheduler: fresh.scheduler, seeds: ['a'], transport: fresh.network!.transport(), log: { level: 'silent' } });
  const bad = await late.cluster.whenUp({ timeoutMs: -5 }).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(bad, 'invalid-argument'), String(bad));
  await late.stop();
  await fresh.shutdown();
});

test('incompatible manifests: logged as an error, and replayed to a subscriber who comes after whenUp', async () => {
  const sim = await createSimCluster({ nodes: ['a'], registry: () => createMessageRegistry().define('order', { version: 2 }) });
  const logs: LogLine[] = [];
  const old = await createNode({
    name: 'sim', node: 'old', scheduler: sim.scheduler, seeds: ['a'], transport: sim.network!.transport(),
    registry: createMessageRegistry().define('order', { version: 1 }), log: { destination: (r) => logs.push(r) },
  });
  const up = old.cluster.whenUp({ timeoutMs: 5_000 });
  await sim.runUntil(() => old.cluster.self.status === 'up', 5_000);
  await up;
  const seen: ClusterEvent[] = [];
  const sub = old.cluster.events$.subscribe((e) => seen.push(e));
  assert.equal(seen.map((e) => e.type === 'incompatible' && `${e.node}: ${e.incompatibilities.map((i) => `${i.direction} ${i.kind}`).join(', ')}`), ['a: inbound version-too-new, outbound version-too-old']);
  sub.unsubscribe();
  assert.ok(logs.some((l) => l.level === 50 && l.peer === 'a' && /disagree on message types/.test(l.msg)), JSON.stringify(logs));
  const atSeed: ClusterEvent[] = [];
  sim.node('a').cluster.events$.subscribe((e) => atSeed.push(e)).unsubscribe();
  assert.equal(atSeed.map((e) => e.type === 'incompatible' && e.node), ['old'], 'the seed replays it too');
  await old.stop();
  await sim.shutdown();
});

test.run();
