// Runs a suite: each comparison's cases interleaved A B C A B C … for N rounds, one fresh child per
// run, then medians per metric, ratios to the baseline and target verdicts.

import { judgeTargets, ratiosOf, type RatioResult, type TargetResult } from './compare.ts';
import { machineInfo, type MachineInfo } from './machine.ts';
import { runCase, sizesOf, type RunCaseOptions } from './run-case.ts';
import { median } from './stats.ts';
import type { BenchCase, CaseOption, MetricSpec, Metrics, Suite } from './suite.ts';

/** Harness settings for one invocation. */
export interface RunSuiteOptions extends RunCaseOptions {
  /** Timed runs per case (each in its own process); the median is reported. Default 5. */
  readonly runs: number;
  /** Receives one progress line per child run, and skip/failure lines. */
  readonly log: (line: string) => void;
}

/** One case's runs and medians. `ok` when at least one run reported figures. */
export interface CaseResult {
  readonly id: string;
  readonly label: string;
  readonly role: BenchCase['role'];
  readonly size: number;
  readonly warmupSize: number;
  readonly options: Readonly<Record<string, CaseOption>>;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly runs: readonly Metrics[];
  readonly median: Metrics;
}

/** One comparison's cases, ratios and verdicts. */
export interface ComparisonResult {
  readonly id: string;
  readonly title: string;
  readonly baseline: string;
  readonly metrics: readonly MetricSpec[];
  readonly cases: readonly CaseResult[];
  readonly ratios: readonly RatioResult[];
  readonly targets: readonly TargetResult[];
}

/** Everything `bench/results/<suite>.json` holds. */
export interface SuiteResult {
  readonly suite: string;
  readonly description: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  readonly config: {
    readonly runs: number;
    readonly scale: number;
    readonly warmupPasses: number;
    readonly warmup: string;
    readonly order: string;
    readonly timeoutMs: number;
  };
  readonly comparisons: readonly ComparisonResult[];
}

function medianMetrics(runs: readonly Metrics[]): Metrics {
  const out: Metrics = {};
  const keys = new Set(runs.flatMap((r) => Object.keys(r)));
  for (const k of keys) out[k] = median(runs.map((r) => r[k]).filter((x): x is number => typeof x === 'number'));
  return out;
}

const brief = (m: Metrics): string =>
  Object.entries(m).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(' ');

/**
 * Runs every comparison of `suite` in order. A case that is skipped (a module it imports is
 * missing) or fails is not run again in later rounds; its status and reason are recorded.
 */
export async function runSuite(suite: Suite, opts: RunSuiteOptions): Promise<SuiteResult> {
  const started = Date.now();
  const machine = machineInfo();
  const comparisons: ComparisonResult[] = [];
  for (const cmp of suite.comparisons) {
    opts.log(`\n== ${suite.name}/${cmp.id}: ${cmp.title}`);
    const runs = new Map<string, Metrics[]>(cmp.cases.map((c) => [c.id, []]));
    const dropped = new Map<string, { status: 'skipped' | 'failed'; reason: string }>();
    for (let round = 1; round <= opts.runs; round++) {
      for (const c of cmp.cases) {
        if (dropped.has(c.id)) continue;
        const report = await runCase(c, opts);
        if (report.status === 'ok') {
          runs.get(c.id)!.push(report.metrics);
          opts.log(`  run ${round}/${opts.runs} ${c.id.padEnd(24)} ${brief(report.metrics)}`);
        } else {
          dropped.set(c.id, { status: report.status, reason: report.reason });
          opts.log(`  ${report.status === 'skipped' ? 'SKIP' : 'FAIL'} ${c.id}: ${report.reason}`);
        }
      }
    }
    const cases: CaseResult[] = cmp.cases.map((c) => {
      const got = runs.get(c.id)!;
      const drop = dropped.get(c.id);
      const status = got.length > 0 ? 'ok' : (drop?.status ?? 'failed');
      return {
        id: c.id, label: c.label, role: c.role, ...sizesOf(c, opts.scale), options: c.options ?? {},
        status, ...(drop ? { reason: drop.reason } : {}), runs: got, median: medianMetrics(got),
      };
    });
    const medians = new Map(cases.filter((c) => c.status === 'ok').map((c) => [c.id, c.median]));
    comparisons.push({
      id: cmp.id, title: cmp.title, baseline: cmp.baseline, metrics: cmp.metrics, cases,
      ratios: ratiosOf(cmp, medians), targets: judgeTargets(cmp, medians),
    });
  }
  return {
    suite: suite.name, description: suite.description, startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started, machine,
    config: {
      runs: opts.runs, scale: opts.scale, timeoutMs: opts.timeoutMs, warmupPasses: opts.warmupPasses,
      warmup: `each child runs ${opts.warmupPasses} untimed pass(es) of 10% of the size before its timed pass`,
      order: 'cases of a comparison interleaved A B C A B C …, one fresh process per run',
    },
    comparisons,
  };
}
