// The seed runner: it finds a planted bug in the shop within a bounded number of seeds, prints the
// seed and a command that replays it, writes the trace (which replays it too), shrinks the fault
// schedule; invariants are checked after each run and continuously; a nondeterministic scenario is called out.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { suite } from '../../helpers/uvu.ts';
import { defineActor, isTroupeError } from '../../../runtime/index.ts';
import { planFaults, runSeeds, type SeedReport, type SeedRun } from '../../../runtime/testing.ts';
import { shopInvariants, shopScenario } from '../../helpers/sim-shop.ts';

const traceDir = mkdtempSync(join(tmpdir(), 'troupe-seeds-'));
const lossy = (random: SeedRun['random']) => planFaults(random, { nodes: ['a', 'b', 'c'], lossyLinks: 3, maxLoss: 0.5, partitions: 1, kills: 1, spare: ['a'], withinMs: 400, maxOutageMs: 600 });

/** Runs with TROUPE_SEED / TROUPE_TRACE set as a user would on the printed command line. */
async function withEnv<T>(name: 'TROUPE_SEED' | 'TROUPE_TRACE', value: string, f: () => Promise<T>): Promise<T> {
  process.env[name] = value;
  try { return await f(); } finally { delete process.env[name]; }
}

const test = suite('seed runner', undefined, { limitMs: 120_000 });

test('finds the planted bug (a reservation left behind when its reply is lost) within 30 seeds; the printed seed and the trace replay it', async () => {
  const lines: string[] = [];
  const planted = { name: 'shop-planted', scenario: shopScenario({ orders: 20, plantSkipCompensation: true }), faults: lossy, invariants: shopInvariants, traceDir, command: 'npm test', log: (l: string) => { lines.push(l); } };
  const report = await runSeeds({ ...planted, seeds: Array.from({ length: 30 }, (_, i) => 100 + i) });
  assert.not.ok(report.ok);
  assert.ok(report.runs <= 30);
  const [f] = report.failures;
  assert.is(f.what, "invariant 'a failed order holds no reservation and no charge'");
  assert.match(f.message, /still held after the saga failed: o\d+ \(reserved\)/);
  assert.ok(lines.some((l) => l.startsWith(`✘ shop-planted: seed ${f.seed} failed: invariant 'a failed order holds no reservation`)), lines.join('\n'));
  assert.ok(lines.some((l) => l === `  replay: ${f.replay}`));
  assert.ok(f.faults.length <= f.faultsBeforeShrinking, 'the fault schedule was shrunk (or nothing could go)');
  assert.ok(f.tracePath !== undefined && existsSync(f.tracePath), 'the trace was written');
  assert.ok(f.replay === `TROUPE_SEED=${f.seed} npm test` || f.replay === `TROUPE_TRACE=${f.tracePath} npm test`, f.replay);

  // the printed seed replays it (drawing the same faults, shrinking them the same way)
  const again = await withEnv('TROUPE_SEED', String(f.seed), () => runSeeds({ ...planted, seeds: 1_000, log: () => {} }));
  assert.equal([again.runs, again.seeds, again.failures[0]?.message], [1, [f.seed], f.message]);
  // and so does the trace file, step for step
  const replayed = await withEnv('TROUPE_TRACE', f.tracePath!, () => runSeeds({ ...planted, log: () => {} }));
  assert.equal([replayed.runs, replayed.failures[0]?.what, replayed.failures[0]?.message], [1, f.what, f.message]);
  // without the planted bug the same seed and faults pass
  const fixed = await runSeeds({ ...planted, scenario: shopScenario({ orders: 20 }), seeds: [f.seed], log: () => {} });
  assert.ok(fixed.ok, fixed.summary);
});

/** A two-node scenario: node b counts pings; the count goes up to `peak` then back to 0. */
function pings(peak: number) {
  return async (run: SeedRun): Promise<number> => {
    let count = 0;
    const sim = await run.cluster({ nodes: ['a', 'b'] });
    run.always('count stays below 5', () => count < 5 || `count is ${count}`);
    const ref = sim.node('b').system.spawn(defineActor<{ type: 'up' | 'down' }, undefined>({ init: () => undefined, receive: (_s, m) => { count += m.type === 'up' ? 1 : -1; } }), 'counter');
    for (let i = 0; i < peak; i++) ref.tell({ type: 'up' });
    for (let i = 0; i < peak; i++) ref.tell({ type: 'down' });
    await sim.advance(10 + run.random.int(10));
    return count;
  };
}

test('a green run: every seed passes the final invariants, the seeds are printed, the report says so', async () => {
  const lines: string[] = [];
  const report: SeedReport = await runSeeds({ name: 'pings', seeds: 3, scenario: pings(3), invariants: { 'back to zero': (n) => n === 0 }, log: (l) => { lines.push(l); } });
  assert.ok(report.ok, report.summary);
  assert.is(report.runs, 3);
  assert.match(lines[0], new RegExp(`^pings: seeds from ${report.seeds[0]} to ${report.seeds[2]}; one of them again: TROUPE_SEED=<seed> `));
  assert.match(report.summary, /^✔ pings: 3 seed\(s\) passed/);
});

test('invariants are checked continuously: a violation in the middle of a run fails it at that step, though the run ends fine', async () => {
  const report = await runSeeds({ name: 'pings-peak', seeds: [7], scenario: pings(6), invariants: { 'back to zero': (n) => n === 0 }, checkEvery: 1, traceDir, log: () => {} });
  const [f] = report.failures;
  assert.is(f.what, "invariant 'count stays below 5'");
  assert.match(f.message, /count is 5/);
  assert.ok(isTroupeError(f.error, 'invariant-violated'));
});

test('a scenario whose runs differ for one seed is called out as not deterministic', async () => {
  let calls = 0; // state shared between runs: the first run fails, the second of the same seed passes
  const report = await runSeeds({
    name: 'flaky', seeds: [1], traceDir, log: () => {},
    scenario: async (run) => { const sim = await run.cluster({ nodes: ['a'] }); await sim.advance(5); return ++calls; },
    invariants: { 'first call': (n) => n !== 1 || 'the first run fails' },
  });
  assert.match(report.failures[0].message, /a second run of the same seed passed: the scenario is not deterministic/);
});

test('a time budget runs seeds until it is spent; a bad TROUPE_SEED is refused', async () => {
  const report = await runSeeds({ name: 'budget', budgetMs: 1, scenario: pings(1), log: () => {} });
  assert.ok(report.runs >= 1 && report.ok);
  await withEnv('TROUPE_SEED', 'twelve', async () => {
    await runSeeds({ name: 'bad', scenario: pings(1), log: () => {} }).then(() => assert.unreachable(), (e: unknown) => assert.ok(isTroupeError(e, 'invalid-argument'), String(e)));
  });
});

test.after(() => { rmSync(traceDir, { recursive: true, force: true }); });

test.run();
