// The resilience report of a chaos run, as plain JSON data and as text: the seed, the hypothesis
// before/during/after, every fault with its times and recovery, requests failed and lost.

import type { PlannedFault } from './fault.ts';
import type { RequestOutcome, RollbackStrategy } from './scenario.ts';
import type { TargetKind } from './target.ts';

/** How the run ended (Chaos Toolkit's statuses): ran to its end, did not hold, or broke. */
export type RunStatus = 'completed' | 'failed' | 'aborted';

/** One check's result. */
export interface CheckResult {
  readonly name: string;
  readonly met: boolean;
  /** The probe's value, as JSON text cut to 200 characters (undefined when it threw). */
  readonly value?: string;
  /** Why it was not met when the probe threw or timed out. */
  readonly error?: string;
  readonly durationMs: number;
}

/** One evaluation of the hypothesis; `atMs` from the start of the run. */
export interface HypothesisResult {
  readonly atMs: number;
  readonly met: boolean;
  readonly checks: readonly CheckResult[];
}

/** The hypothesis while the method ran and until it held again: each sample's time and verdict, the checks that failed. */
export interface DuringSummary {
  readonly samples: number;
  readonly met: number;
  /** `[atMs, met]` per sample, in order. */
  readonly timeline: readonly (readonly [number, boolean])[];
  /** How many samples each check failed in. */
  readonly failedChecks: Readonly<Record<string, number>>;
}

/** Counts of requests of the load. */
export interface RequestCounts {
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly lost: number;
}

/** One fault occurrence: planned and actual times (ms from the start of the run), what the injector did, and its effect. */
export interface FaultRecord {
  readonly id: string;
  readonly step: string;
  readonly kind: PlannedFault['kind'];
  readonly description: string;
  readonly fault: PlannedFault;
  readonly plannedAtMs: number;
  readonly plannedEndAtMs: number | undefined;
  /** When the injection was sent; undefined if the method never got there. */
  readonly injectedAtMs: number | undefined;
  readonly injected: { readonly ok: boolean; readonly detail: string } | undefined;
  /** When it was undone (undefined for instant faults: crash, flood). */
  readonly revertedAtMs: number | undefined;
  readonly reverted: { readonly ok: boolean; readonly detail: string } | undefined;
  /** First failing check at or after the injection (undefined: no visible impact). */
  readonly deviatedAtMs: number | undefined;
  /** From the first failing check to the next passing one (0: no impact; null: it never held again). */
  readonly impactMs: number | null;
  /** From the fault's end (its undo, or its injection for instant faults) to the first passing check after both it and the deviation (0: no impact; null: never). */
  readonly recoveryMs: number | null;
  /** Requests of the load sent while it was in force. */
  readonly requests: RequestCounts;
}

/** What a rollback did. */
export interface RollbackResult {
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
  readonly atMs: number;
}

/** The resilience report (JSON-safe). Times are milliseconds from the start of the run, on the target's clock. */
export interface ResilienceReport {
  readonly scenario: string;
  readonly description: string;
  readonly target: TargetKind;
  /** The seed of every draw: schedule jitter, node picks, link and actor fault draws. Run again with it to get the same plan. */
  readonly seed: number;
  readonly status: RunStatus;
  /** The hypothesis held before but not after. */
  readonly deviated: boolean;
  /** Why the run aborted, when it did. */
  readonly error?: string;
  readonly startedAtWallMs: number;
  readonly durationMs: number;
  readonly methodStartMs: number | undefined;
  readonly methodEndMs: number | undefined;
  readonly hypothesis: {
    readonly title: string;
    readonly before: HypothesisResult | undefined;
    readonly during: DuringSummary;
    readonly after: HypothesisResult | undefined;
  } | undefined;
  readonly faults: readonly FaultRecord[];
  readonly requests: RequestCounts & { readonly byPhase: Readonly<Record<'before' | 'method' | 'recovering' | 'after', RequestCounts>> };
  readonly rollbackStrategy: RollbackStrategy;
  readonly rollbacks: readonly RollbackResult[];
}

/** One request of the load as the runner recorded it. */
export interface RequestRecord { readonly sentAtMs: number; readonly phase: 'before' | 'method' | 'recovering' | 'after'; outcome: RequestOutcome | undefined }

/** Counts requests by outcome (unsettled ones count as lost). */
export function countRequests(rs: readonly RequestRecord[]): RequestCounts {
  let ok = 0, failed = 0, lost = 0;
  for (const r of rs) {
    if (r.outcome === 'ok') ok++;
    else if (r.outcome === 'failed') failed++;
    else lost++;
  }
  return { total: rs.length, ok, failed, lost };
}

/**
 * The effect of a fault in force from `injectedAtMs` to `endMs`, read from the hypothesis
 * samples (ascending): see {@link FaultRecord} for the definitions of the three numbers.
 */
export function measureRecovery(samples: readonly (readonly [number, boolean])[], injectedAtMs: number, endMs: number): Pick<FaultRecord, 'deviatedAtMs' | 'impactMs' | 'recoveryMs'> {
  const firstMetAfterEnd = samples.find(([at, met]) => at >= endMs && met);
  const dev = samples.find(([at, met]) => at >= injectedAtMs && !met && (firstMetAfterEnd === undefined || at < firstMetAfterEnd[0]));
  if (dev === undefined) return { deviatedAtMs: undefined, impactMs: 0, recoveryMs: firstMetAfterEnd === undefined ? null : 0 };
  const restored = samples.find(([at, met]) => at > dev[0] && met);
  const recovered = samples.find(([at, met]) => at >= Math.max(endMs, dev[0]) && met);
  return {
    deviatedAtMs: dev[0],
    impactMs: restored === undefined ? null : restored[0] - dev[0],
    recoveryMs: recovered === undefined ? null : recovered[0] - endMs,
  };
}

const ms = (v: number | null | undefined): string => (v === null ? 'never' : v === undefined ? '—' : `${Math.round(v)} ms`);
const counts = (c: RequestCounts): string => `${c.total} sent, ${c.ok} ok, ${c.failed} failed, ${c.lost} lost`;
const verdict = (h: HypothesisResult | undefined): string => {
  if (h === undefined) return 'not run';
  const failed = h.checks.filter((c) => !c.met);
  return h.met ? `met (${h.checks.length} checks)` : `NOT met: ${failed.map((c) => `${c.name}${c.error ? ` (${c.error})` : c.value !== undefined ? ` = ${c.value}` : ''}`).join('; ')}`;
};

/**
 * The report as text, one fact per line, ending with the line that reruns the same plan.
 * @example console.log(formatReport(await runScenario(scenario, target)));
 */
export function formatReport(r: ResilienceReport): string {
  const lines = [
    `Chaos scenario: ${r.scenario} (${r.target}, seed ${r.seed})`,
    `Status: ${r.status}${r.deviated ? ' — the steady state deviated' : ''}${r.error ? ` — ${r.error}` : ''}; ran ${ms(r.durationMs)}`,
  ];
  if (r.hypothesis) {
    const d = r.hypothesis.during;
    lines.push(`Hypothesis "${r.hypothesis.title}":`);
    lines.push(`  before: ${verdict(r.hypothesis.before)}`);
    const failing = Object.entries(d.failedChecks).map(([n, k]) => `${n} ×${k}`).join(', ');
    lines.push(`  during: ${d.met}/${d.samples} samples met${failing ? ` (failed: ${failing})` : ''}`);
    lines.push(`  after:  ${verdict(r.hypothesis.after)}`);
  } else lines.push('Hypothesis: none (exploratory run)');
  lines.push(`Faults (${r.faults.length}):`);
  for (const f of r.faults) {
    const when = f.injectedAtMs === undefined ? 'not injected' : `at ${ms(f.injectedAtMs)}${f.revertedAtMs !== undefined ? ` → undone at ${ms(f.revertedAtMs)}` : ''}`;
    const outcome = f.injected && !f.injected.ok ? ` [injection FAILED: ${f.injected.detail}]` : '';
    const effect = f.deviatedAtMs === undefined ? 'no visible impact' : `deviated at ${ms(f.deviatedAtMs)}, impact ${ms(f.impactMs)}, recovery ${ms(f.recoveryMs)}`;
    lines.push(`  ${f.id}: ${f.description} ${when}${outcome}; ${effect}; requests while in force: ${counts(f.requests)}`);
  }
  const q = r.requests;
  lines.push(`Requests: ${counts(q)}`);
  for (const p of ['before', 'method', 'recovering', 'after'] as const) if (q.byPhase[p].total > 0) lines.push(`  ${p}: ${counts(q.byPhase[p])}`);
  if (r.rollbacks.length > 0) lines.push(`Rollbacks (${r.rollbackStrategy}): ${r.rollbacks.map((b) => `${b.name} ${b.ok ? 'ok' : `FAILED (${b.error})`}`).join(', ')}`);
  else lines.push(`Rollbacks (${r.rollbackStrategy}): none played`);
  lines.push(`Same plan again: TROUPE_CHAOS_SEED=${r.seed}`);
  return lines.join('\n');
}
