// Turns per-case medians into ratios (case / baseline, same run) and judges targets against them.

import type { Comparison, Metrics, Target } from './suite.ts';

/** `median(of.metric) / median(to.metric)`, both measured in the same run. */
export interface RatioResult {
  readonly of: string;
  readonly to: string;
  readonly metric: string;
  readonly value: number;
}

/** A target with the figure it was judged on; `not-run` when a case it needs has no figure. */
export interface TargetResult extends Target {
  readonly actual: number | null;
  readonly status: 'met' | 'missed' | 'not-run';
  /** Whether the aim (beyond the bar) was reached; absent when there is no aim or no figure. */
  readonly aimMet?: boolean;
}

const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : a / b;

/**
 * Ratios of every case to the comparison's baseline, plus of every subject to every other case,
 * for each metric both sides report. `medians` maps case id to its median figures (absent when
 * the case was skipped or failed).
 */
export function ratiosOf(cmp: Comparison, medians: ReadonlyMap<string, Metrics>): RatioResult[] {
  const out: RatioResult[] = [];
  const seen = new Set<string>();
  const add = (of: string, to: string): void => {
    const a = medians.get(of);
    const b = medians.get(to);
    if (!a || !b || of === to) return;
    for (const metric of Object.keys(a)) {
      const key = `${of}|${to}|${metric}`;
      const value = ratio(a[metric], b[metric]);
      if (value === null || seen.has(key)) continue;
      seen.add(key);
      out.push({ of, to, metric, value });
    }
  };
  for (const c of cmp.cases) add(c.id, cmp.baseline);
  for (const s of cmp.cases) if (s.role === 'subject') for (const c of cmp.cases) add(s.id, c.id);
  return out;
}

/** Judges each target of `cmp` against the medians (ratio when it names a baseline). */
export function judgeTargets(cmp: Comparison, medians: ReadonlyMap<string, Metrics>): TargetResult[] {
  return (cmp.targets ?? []).map((t) => {
    const own = medians.get(t.case)?.[t.metric];
    const actual = t.baseline === undefined ? (own ?? null) : ratio(own, medians.get(t.baseline)?.[t.metric]);
    if (actual === null || !Number.isFinite(actual)) return { ...t, actual: null, status: 'not-run' };
    const passes = (bar: number): boolean => (t.op === '>=' ? actual >= bar : actual <= bar);
    return {
      ...t, actual, status: passes(t.value) ? 'met' : 'missed',
      ...(t.aim === undefined ? {} : { aimMet: passes(t.aim) }),
    };
  });
}
