// Chaos on real processes (loopback TCP): the scenario the simulated spec runs — a slow echo
// instance, a partition of n3, then SIGKILL of n3 (started again when the method ends) — against
// three node processes spawned with chaos: true. The report is asserted: faults recorded with
// their times, the hypothesis before/during/after, recoveries measured, the seed. Every process
// is stopped by its pid at the end.

import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { spawnLocalCluster } from '../../../runtime/cluster/local-cluster.ts';
import { localClusterTarget } from '../../../actors/chaos/local-cluster-target.ts';
import { runScenario } from '../../../actors/chaos/run-scenario.ts';
import { formatReport } from '../../../actors/chaos/report.ts';
import { threeFaults } from '../../helpers/chaos-scenario.ts';
import { suite } from '../../helpers/uvu.ts';
import { until } from '../../helpers/until.ts';

const entry = fileURLToPath(new URL('../../helpers/chaos-node.ts', import.meta.url));
const test = suite('chaos on a local cluster', undefined, { limitMs: 150_000 });
const debug = process.env.TROUPE_DEBUG !== undefined && process.env.TROUPE_DEBUG !== '';


test('a partition, a kill and a slow service on three node processes: the resilience report', async () => {
  const cluster = await spawnLocalCluster({ nodes: 3, entry, chaos: true, stdio: debug ? 'inherit' : 'ignore', readyTimeoutMs: 60_000 });
  const pids = new Set(cluster.nodes.map((n) => n.pid));
  try {
    for (const n of ['n1', 'n2']) await until(() => cluster.node(n).call<string[]>('listing'), (l) => l.length === 3, `${n} lists the three echo instances`, 30_000);
    const target = localClusterTarget(cluster);
    const r = await runScenario(threeFaults, target, { seed: 4242, log: debug ? (l) => console.log(l) : undefined });
    for (const n of cluster.nodes) pids.add(n.pid); // n3 runs as a new process now
    if (debug) console.log(formatReport(r));

    assert.is(r.seed, 4242);
    assert.is(r.target, 'local-cluster');
    assert.is(r.status, 'completed', formatReport(r));
    assert.ok(r.hypothesis?.before?.met, 'the steady state held before');
    assert.ok(r.hypothesis?.after?.met, 'and after');
    const during = r.hypothesis!.during;
    assert.ok(during.samples > 0 && during.timeline.length === during.samples, 'sampled while the faults acted');
    assert.ok(during.met < during.samples, `the faults were felt: ${during.met}/${during.samples} samples met`);

    assert.equal(r.faults.map((f) => [f.id, f.kind]), [['slow-echo-1#1', 'slow'], ['cut-n3#1', 'partition'], ['kill-n3#1', 'kill']]);
    for (const f of r.faults) {
      assert.ok(f.injected?.ok, `${f.id} injected: ${f.injected?.detail}`);
      assert.ok(f.reverted?.ok, `${f.id} undone: ${f.reverted?.detail}`);
      assert.ok(f.injectedAtMs! >= f.plannedAtMs, `${f.id} not before its time`);
      assert.ok(f.revertedAtMs! >= f.plannedEndAtMs!, `${f.id} undone at or after its planned end`);
      assert.type(f.recoveryMs, 'number', `${f.id}: the steady state came back after it`);
    }
    const [slow, cut, kill] = r.faults;
    assert.match(cut.injected!.detail, /n1: blocks both frames with n3/);
    assert.match(kill.injected!.detail, /killed n3/);
    assert.match(kill.reverted!.detail, /restarted n3/);
    assert.ok(slow.deviatedAtMs !== undefined, 'asks routed to the slow instance timed out');
    assert.ok(cut.deviatedAtMs !== undefined, 'asks to n3 were lost until the failure detector gave up on it');
    assert.ok(r.requests.total > 50, `load ran: ${r.requests.total}`);
    assert.is(r.requests.total, r.requests.ok + r.requests.failed + r.requests.lost);
    assert.match(formatReport(r), /TROUPE_CHAOS_SEED=4242/);

    const n2 = cluster.node('n2');
    n2.pause();
    assert.ok(n2.paused, 'SIGSTOP sent');
    const answered = n2.call<number>('probe', 1, 2_000);
    n2.resume();
    assert.is(await answered, 1, 'a call made while it was stopped is answered once it runs again');

    const fig = (ms: number | null) => (ms === null ? 'never' : `${Math.round(ms)} ms`);
    console.log(`  local-cluster chaos: ${r.faults.map((f) => `${f.id} impact ${fig(f.impactMs)} recovery ${fig(f.recoveryMs)}`).join('; ')}; requests ${r.requests.total} (${r.requests.failed} failed, ${r.requests.lost} lost)`);
  } finally {
    await cluster.stop();
    for (const n of cluster.nodes) pids.add(n.pid);
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
  }
  assert.ok(cluster.nodes.every((n) => !n.alive), 'every node process stopped');
});

test.run();
