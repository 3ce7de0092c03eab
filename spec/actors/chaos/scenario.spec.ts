// Specs for scenario definitions and reports, without a cluster: defineScenario refuses bad specs
// with invalid-spec naming the field; tolerances; recovery measured from hypothesis samples;
// the text report.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineScenario, type ScenarioSpec } from '../../../actors/chaos/scenario.ts';
import { formatReport, measureRecovery, type ResilienceReport } from '../../../actors/chaos/report.ts';
import { withinTolerance } from '../../../actors/chaos/internal/hypothesis.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';

const base: ScenarioSpec = { name: 'base', method: [{ fault: { kind: 'isolate', node: 'n1' } }], durationMs: 1_000 };

test('a valid scenario is frozen with its defaults written out', () => {
  const s = defineScenario(base);
  assert.is(s.kind, 'chaos-scenario');
  assert.is(s.recoveryTimeoutMs, 15_000);
  assert.is(s.rollbackStrategy, 'default');
  assert.equal(s.rollbacks, []);
  assert.is(s.hypothesis, undefined);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.method));
});

test('bad scenarios are refused with invalid-spec naming the field', () => {
  const probe = () => 1;
  const cases: [Partial<ScenarioSpec> & Record<string, unknown>, string][] = [
    [{ name: '' }, 'name'],
    [{ durationMs: 0 }, 'durationMs'],
    [{ recoveryTimeoutMs: -1 }, 'recoveryTimeoutMs'],
    [{ rollbackStrategy: 'sometimes' as never }, 'rollbackStrategy'],
    [{ seed: 1.5 }, 'seed'],
    [{ steady: true }, 'steady'],
    [{ method: {} as never }, 'method'],
    [{ hypothesis: { checks: [] } }, 'hypothesis'],
    [{ hypothesis: { checks: [{ name: 'a', probe }], everyMs: 0 } }, 'hypothesis.everyMs'],
    [{ hypothesis: { checks: [{ name: 'a', probe }, { name: 'a', probe }] } }, 'hypothesis.checks[1].name'],
    [{ hypothesis: { checks: [{ name: 'a', probe: 'up' as never }] } }, 'hypothesis.checks[0].probe'],
    [{ hypothesis: { checks: [{ name: 'a', probe, tolerance: { between: [5, 1] } }] } }, 'hypothesis.checks[0].tolerance'],
    [{ hypothesis: { checks: [{ name: 'a', probe, tolerance: { atLeast: 1 } as never }] } }, 'hypothesis.checks[0].tolerance'],
    [{ hypothesis: { checks: [{ name: 'a', probe, timeoutMs: 0 }] } }, 'hypothesis.checks[0].timeoutMs'],
    [{ load: { everyMs: 0, request: () => 'ok' } }, 'load.everyMs'],
    [{ load: { everyMs: 10 } as never }, 'load'],
    [{ load: { everyMs: 10, request: () => 'ok', timeoutMs: -5 } }, 'load.timeoutMs'],
    [{ rollbacks: [{ name: 'x' } as never] }, 'rollbacks[0]'],
    [{ method: [{ fault: { kind: 'isolate', node: 'n1' }, at: 1_000 }] }, 'method[0].at'],
  ];
  for (const [patch, field] of cases) {
    try {
      defineScenario({ ...base, ...patch } as ScenarioSpec);
      assert.unreachable(`accepted ${field}`);
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-spec'), `${field}: ${String(e)}`);
      assert.is((e as TroupeError).data.field, field, (e as Error).message);
    }
  }
});

test('tolerances: default, equals (JSON), between, predicate', () => {
  assert.ok(withinTolerance(0, undefined));
  assert.not.ok(withinTolerance(false, undefined));
  assert.ok(withinTolerance({ a: [1, 2] }, { equals: { a: [1, 2] } }));
  assert.not.ok(withinTolerance({ a: [1, 2] }, { equals: { a: [2, 1] } }));
  assert.ok(withinTolerance(5, { between: [1, 5] }));
  assert.not.ok(withinTolerance('5', { between: [1, 5] }));
  assert.ok(withinTolerance(3, (v: number) => v > 2));
});

test('recovery from samples: deviation, impact, recovery after the end; no impact; never recovered', () => {
  const s: [number, boolean][] = [[0, true], [500, true], [1_000, false], [1_500, false], [2_000, true], [2_500, false], [3_000, true], [3_500, true]];
  assert.equal(measureRecovery(s, 900, 2_200), { deviatedAtMs: 1_000, impactMs: 1_000, recoveryMs: 800 }, 'deviated at 1 000, held again at 2 000; after its end (2 200) first held at 3 000');
  assert.equal(measureRecovery(s, 900, 900), { deviatedAtMs: 1_000, impactMs: 1_000, recoveryMs: 1_100 }, 'an instant fault: recovery counts from the injection');
  assert.equal(measureRecovery(s, 0, 400), { deviatedAtMs: undefined, impactMs: 0, recoveryMs: 0 }, 'held at 500 before any failing sample: no impact');
  assert.equal(measureRecovery([[0, true], [500, false], [1_000, false]], 100, 200), { deviatedAtMs: 500, impactMs: null, recoveryMs: null }, 'never held again');
});

test('the text report names the seed, each fault with its effect, the requests and how to rerun', () => {
  const r: ResilienceReport = {
    scenario: 'demo', description: '', target: 'simulation', seed: 99, status: 'failed', deviated: true,
    startedAtWallMs: 0, durationMs: 5_000, methodStartMs: 10, methodEndMs: 3_010,
    hypothesis: {
      title: 'orders answer',
      before: { atMs: 0, met: true, checks: [{ name: 'ask', met: true, value: '3', durationMs: 2 }] },
      during: { samples: 4, met: 1, timeline: [[500, true], [1_000, false], [1_500, false], [2_000, false]], failedChecks: { ask: 3 } },
      after: { atMs: 4_000, met: false, checks: [{ name: 'ask', met: false, error: 'no answer within 500 ms', durationMs: 500 }] },
    },
    faults: [{
      id: 'cut#1', step: 'cut', kind: 'isolate', description: 'isolate n1', fault: { kind: 'isolate', node: 'n1' },
      plannedAtMs: 10, plannedEndAtMs: 2_010, injectedAtMs: 10, injected: { ok: false, detail: 'node n1 is not running' },
      revertedAtMs: 2_010, reverted: { ok: true, detail: '' }, deviatedAtMs: 1_000, impactMs: null, recoveryMs: null,
      requests: { total: 4, ok: 1, failed: 1, lost: 2 },
    }],
    requests: { total: 4, ok: 1, failed: 1, lost: 2, byPhase: { before: { total: 0, ok: 0, failed: 0, lost: 0 }, method: { total: 4, ok: 1, failed: 1, lost: 2 }, recovering: { total: 0, ok: 0, failed: 0, lost: 0 }, after: { total: 0, ok: 0, failed: 0, lost: 0 } } },
    rollbackStrategy: 'deviated',
    rollbacks: [{ name: 'restart orders', ok: false, error: 'refused', atMs: 4_100 }],
  };
  const text = formatReport(r);
  for (const line of [
    'Chaos scenario: demo (simulation, seed 99)',
    'Status: failed — the steady state deviated; ran 5000 ms',
    '  during: 1/4 samples met (failed: ask ×3)',
    '  after:  NOT met: ask (no answer within 500 ms)',
    '  cut#1: isolate n1 at 10 ms → undone at 2010 ms [injection FAILED: node n1 is not running]; deviated at 1000 ms, impact never, recovery never; requests while in force: 4 sent, 1 ok, 1 failed, 2 lost',
    '  method: 4 sent, 1 ok, 1 failed, 2 lost',
    'Rollbacks (deviated): restart orders FAILED (refused)',
    'Same plan again: TROUPE_CHAOS_SEED=99',
  ]) assert.ok(text.split('\n').includes(line), `missing line:\n${line}\nin:\n${text}`);
});

test.run();
