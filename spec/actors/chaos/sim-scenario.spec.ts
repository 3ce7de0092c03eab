// A chaos scenario on a simulated cluster (virtual time, the same entry module the local-cluster
// spec runs in processes): a slow service instance, a partition and a kill, scheduled by the
// method; the report records every fault with its times, the hypothesis before/during/after,
// recoveries and requests; the same seed gives the same report. Plus the run's own rules:
// the before-gate, rollback strategies, aborts on bad nodes.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import * as entry from '../../helpers/chaos-node.ts';
import { threeFaults } from '../../helpers/chaos-scenario.ts';
import { createSimClusterTarget, type SimClusterTarget } from '../../../actors/chaos/sim-cluster-target.ts';
import { defineScenario, type RequestOutcome } from '../../../actors/chaos/scenario.ts';
import { runScenario } from '../../../actors/chaos/run-scenario.ts';
import { formatReport, type ResilienceReport } from '../../../actors/chaos/report.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';

const test = suite('chaos scenario on a simulated cluster', undefined, { limitMs: 120_000 });
const NODES = ['n1', 'n2', 'n3'];

/** A simulated three-node cluster running the entry, once every node's router lists the three echo instances. */
async function cluster(seed: number): Promise<SimClusterTarget> {
  const target = await createSimClusterTarget({ nodes: NODES, entry, seed });
  const ready = await target.sim.runUntil(() => NODES.every((n) => entry.control.listing(target.sim.node(n)).length === 3), 30_000);
  assert.ok(ready, 'the echo service is placed and listed everywhere');
  return target;
}

async function run(seed: number): Promise<{ report: ResilienceReport; listing: string[] }> {
  const target = await cluster(seed);
  try {
    const report = await runScenario(threeFaults, target, { seed });
    const listing = await target.drive(target.call<string[]>('n2', 'listing'), 5_000);
    return { report, listing };
  } finally {
    await target.shutdown();
  }
}

test('a slow instance, a partition and a kill: the report has each fault with its times, the hypothesis before/during/after, recoveries, requests and the seed', async () => {
  const { report: r, listing } = await run(17);
  if (process.env.TROUPE_DEBUG) console.log(formatReport(r));
  assert.is(r.seed, 17);
  assert.is(r.target, 'simulation');
  assert.is(r.status, 'completed', formatReport(r));
  assert.is(r.deviated, false);
  assert.ok(r.hypothesis?.before?.met, 'held before');
  assert.ok(r.hypothesis?.after?.met, 'held after');
  assert.ok(r.hypothesis!.during.samples >= 20, `sampled every 500 ms: ${r.hypothesis!.during.samples}`);
  assert.ok(r.hypothesis!.during.met < r.hypothesis!.during.samples, 'the faults were felt');
  assert.equal(r.faults.map((f) => [f.id, f.kind]), [['slow-echo-1#1', 'slow'], ['cut-n3#1', 'partition'], ['kill-n3#1', 'kill']]);
  for (const f of r.faults) {
    assert.ok(f.injected?.ok, `${f.id} injected: ${f.injected?.detail}`);
    assert.ok(f.reverted?.ok, `${f.id} undone: ${f.reverted?.detail}`);
    assert.is(f.injectedAtMs, f.plannedAtMs, `${f.id} injected on time (virtual clock)`);
    assert.ok(f.revertedAtMs! > f.injectedAtMs!);
  }
  const [slow, cut, kill] = r.faults;
  assert.is(cut.revertedAtMs! - cut.injectedAtMs!, 3_000, 'the partition lasted its durationMs');
  assert.is(kill.revertedAtMs, r.methodEndMs, 'the killed node is started again when the method ends');
  assert.match(slow.injected!.detail, /^n\d: slow troupe:\/\/sim@n\d\/user\/services\/echo\/1\.\d+#/, slow.injected!.detail);
  for (const f of [slow, cut]) {
    assert.ok(f.deviatedAtMs !== undefined && f.deviatedAtMs >= f.injectedAtMs!, `${f.id} made the hypothesis fail`);
    assert.type(f.recoveryMs, 'number', `${f.id} recovered`);
    assert.type(f.impactMs, 'number');
  }
  assert.ok(kill.impactMs === 0 || typeof kill.impactMs === 'number');
  assert.ok(r.requests.total > 100, `load ran: ${r.requests.total}`);
  assert.is(r.requests.total, r.requests.ok + r.requests.failed + r.requests.lost);
  assert.ok(r.requests.byPhase.method.failed + r.requests.byPhase.method.lost > 0, 'some requests failed or were lost during the method');
  assert.is(r.requests.byPhase.before.failed + r.requests.byPhase.before.lost, 0, 'none before');
  assert.equal(listing.map((x) => x.split('@')[0].split('.')[0]).sort(), ['0', '1', '2'], `three instances again: ${listing.join(' ')}`);
  const text = formatReport(r);
  assert.match(text, /seed 17/);
  assert.match(text, /cut-n3#1: partition \[n1 n2\] \| \[n3\]/);
  assert.match(text, /TROUPE_CHAOS_SEED=17/);
  assert.equal(JSON.parse(JSON.stringify(r)).faults.length, 3, 'the report is plain JSON');
});

test('the same seed gives the same report', async () => {
  const a = (await run(23)).report;
  const b = (await run(23)).report;
  assert.equal(JSON.stringify(b), JSON.stringify(a));
});

test('the hypothesis is a gate: when it does not hold before, no fault is injected and default rollbacks are not played', async () => {
  const target = await cluster(3);
  try {
    const played: string[] = [];
    const spec = (strategy: 'default' | 'always') => defineScenario({
      name: 'gate',
      hypothesis: { checks: [{ name: 'impossible', probe: (t) => t.call<number>('n1', 'probe', 1, 200), tolerance: { equals: 2 } }] },
      method: [{ fault: { kind: 'isolate', node: 'n2' }, at: 0 }],
      durationMs: 1_000,
      rollbacks: [{ name: `note-${strategy}`, action: () => { played.push(strategy); } }],
      rollbackStrategy: strategy,
    });
    const r = await runScenario(spec('default'), target, { seed: 1 });
    assert.is(r.status, 'failed');
    assert.is(r.deviated, false);
    assert.is(r.hypothesis?.before?.met, false);
    assert.equal(r.hypothesis?.before?.checks.map((c) => [c.name, c.met, c.value]), [['impossible', false, '1']]);
    assert.equal(r.faults.length, 0);
    assert.equal(r.rollbacks, []);
    const always = await runScenario(spec('always'), target, { seed: 1 });
    assert.equal(always.rollbacks.map((x) => [x.name, x.ok]), [['note-always', true]]);
    assert.equal(played, ['always']);
  } finally {
    await target.shutdown();
  }
});

test('link delay, a paused node and cron-scheduled failures on the simulation; a run that deviates plays its rollbacks under the deviated strategy', async () => {
  const target = await cluster(5);
  try {
    let calls = 0;
    const played: string[] = [];
    const s = defineScenario({
      name: 'deviates',
      hypothesis: {
        checks: [
          { name: 'answers', probe: (t) => t.call<number>('n1', 'probe', 1, 500), tolerance: (n: number) => n === 1 },
          { name: 'budget', probe: () => ++calls < 6 },
        ],
        everyMs: 500,
      },
      method: [
        { name: 'lag', fault: { kind: 'link', from: 'n1', to: '*', faults: { latencyMs: 300 }, both: true }, at: 0, durationMs: 1_000 },
        { name: 'freeze-n2', fault: { kind: 'pause', node: 'n2' }, at: 1_000, durationMs: 2_500 },
        { name: 'flaky', fault: { kind: 'fail', actor: { service: 'echo' }, fraction: 0.1 }, cron: '* * * * * *', durationMs: 300 },
      ],
      durationMs: 4_000,
      recoveryTimeoutMs: 2_000,
      load: { everyMs: 200, request: (t) => t.call<RequestOutcome>('n1', 'work', 300) },
      rollbacks: [{ name: 'note', action: () => { played.push('note'); } }, { name: 'broken', action: () => { throw new Error('cannot'); } }],
      rollbackStrategy: 'deviated',
    });
    const r = await runScenario(s, target, { seed: 8 });
    assert.is(r.status, 'failed');
    assert.is(r.deviated, true, 'held before, not after');
    assert.equal(r.hypothesis?.after?.checks.map((c) => [c.name, c.met]), [['answers', true], ['budget', false]]);
    assert.equal(r.rollbacks.map((b) => [b.name, b.ok, b.error]), [['note', true, undefined], ['broken', false, 'cannot']]);
    assert.equal(played, ['note']);
    const byStep = (step: string) => r.faults.filter((f) => f.step === step);
    const [lag] = byStep('lag');
    assert.ok(lag.injected?.ok, lag.injected?.detail);
    assert.match(lag.injected!.detail, /n1: faults outbound frames with n2 n3/);
    assert.match(lag.injected!.detail, /n2: faults outbound frames with n1/);
    const [freeze] = byStep('freeze-n2');
    assert.equal([freeze.injected?.detail, freeze.reverted?.detail], ['paused n2', 'resumed n2']);
    const flaky = byStep('flaky');
    assert.ok(flaky.length >= 3 && flaky.length <= 4, `once a second: ${flaky.length}`);
    assert.ok(flaky.every((f, i) => i === 0 || f.injectedAtMs! - flaky[i - 1].injectedAtMs! === 1_000), 'one second apart');
    assert.ok(r.requests.total >= 20);
  } finally {
    await target.shutdown();
  }
});

test('clock skew on the simulation: the node\'s clock jumps for the step, then reads true time again', async () => {
  const target = await cluster(6);
  try {
    const gaps: number[] = [];
    const gap = (): number => target.sim.node('n3').system.clock.now() - target.sim.node('n1').system.clock.now();
    const s = defineScenario({
      name: 'skewed',
      hypothesis: { checks: [{ name: 'n3 answers', probe: (t) => { gaps.push(gap()); return t.call<number>('n3', 'probe', 1, 500); }, tolerance: (n: number) => n === 1 }], everyMs: 250 },
      method: [{ name: 'skew-n3', fault: { kind: 'clock-skew', node: 'n3', offsetMs: 30_000 }, at: 200, durationMs: 1_000 }],
      durationMs: 2_000,
    });
    const r = await runScenario(s, target, { seed: 2 });
    const [f] = r.faults;
    assert.ok(f.injected?.ok, f.injected?.detail);
    assert.ok(f.reverted?.ok, f.reverted?.detail);
    assert.ok(gaps.some((g) => g >= 29_999), `n3 ran 30 s ahead during the step (gaps ${gaps.map(Math.round).join(', ')})`);
    assert.ok(Math.abs(gap()) < 1, 'and reads true time after it');
    assert.equal([r.status, r.deviated], ['completed', false], 'the hypothesis held throughout');
  } finally {
    await target.shutdown();
  }
});

test('a fault naming a node the target does not have is refused before anything runs; the run limit aborts with ask-timeout', async () => {
  const target = await cluster(4);
  try {
    const bad = defineScenario({ name: 'bad node', method: [{ fault: { kind: 'kill', node: 'n7' } }], durationMs: 1_000 });
    try {
      await runScenario(bad, target, { seed: 1 });
      assert.unreachable();
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-spec'));
      assert.is((e as TroupeError).data.field, 'method[0].fault.node');
    }
    const long = defineScenario({ name: 'too long', method: [{ fault: { kind: 'isolate', node: 'n3' }, at: 0 }], durationMs: 60_000 });
    try {
      await runScenario(long, target, { seed: 1, limitMs: 2_000 });
      assert.unreachable();
    } catch (e) {
      assert.ok(isTroupeError(e, 'ask-timeout'), String(e));
    }
    const probe = await target.drive(target.call<number>('n1', 'probe', 3, 500), 5_000);
    assert.is(probe, 3, 'the isolation was undone when the run gave up');
  } finally {
    await target.shutdown();
  }
});

test.run();
