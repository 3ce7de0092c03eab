// A chaos scenario in code, after Chaos Toolkit's experiment: a steady-state hypothesis (checks
// that must hold), the method (faults on a schedule), rollbacks, and optional load whose
// requests are counted. `defineScenario` checks it once and freezes it.

import { TroupeError } from '../../runtime/errors.ts';
import { checkSteps, type StepSpec } from './schedule.ts';
import type { ChaosTarget } from './target.ts';

/**
 * When a check's value is within tolerance: a predicate, `{ equals }` (deep equality of JSON
 * values), or `{ between: [min, max] }` (a number, bounds included). Default: the probe
 * resolved (did not throw or time out) with anything but `false`.
 */
export type Tolerance<T> = TolerancePredicate<T> | { readonly equals: T } | { readonly between: readonly [number, number] };

/** A tolerance predicate (bivariant in its value, so checks of different value types share one list). */
export type TolerancePredicate<T> = { check(value: T): boolean }['check'];

/** One check of the hypothesis (Chaos Toolkit's probe with its tolerance). */
export interface Check<T = unknown> {
  readonly name: string;
  /** Reads the system (usually `target.call(node, 'probe')`); a throw or a timeout means not met. */
  probe(target: ChaosTarget): T | Promise<T>;
  readonly tolerance?: Tolerance<T>;
  /** How long the probe may take; default 5 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * The steady-state hypothesis: every check must hold. It is checked before the method (a gate:
 * if it does not hold the method is not run), every `everyMs` (default 500) while the method runs
 * and until it holds again, and after.
 */
export interface Hypothesis {
  readonly title?: string;
  readonly checks: readonly Check<unknown>[];
  readonly everyMs?: number;
}

/** How one request of the load ended: answered, failed with an answer, or lost (no answer in time: its outcome is unknown). */
export type RequestOutcome = 'ok' | 'failed' | 'lost';

/**
 * Load during the whole run: `request` every `everyMs`. It resolves with an outcome (nothing =
 * `'ok'`); a rejection counts as `'failed'`; no settlement within `timeoutMs` (default 5 000)
 * as `'lost'`.
 */
export interface Load {
  readonly everyMs: number;
  readonly request: (target: ChaosTarget, n: number) => Promise<RequestOutcome | void> | RequestOutcome | void;
  readonly timeoutMs?: number;
}

/** An action that puts things back after the run (a restarted service, a cleared queue). */
export interface Rollback {
  readonly name: string;
  readonly action: (target: ChaosTarget) => unknown;
}

/**
 * When rollbacks are played (Chaos Toolkit's strategies): `'default'` — unless the run failed
 * (the hypothesis did not hold before or after); `'always'`; `'never'`; `'deviated'` — only when
 * the hypothesis held before but not after. The faults themselves are always undone.
 */
export type RollbackStrategy = 'default' | 'always' | 'never' | 'deviated';

/**
 * The spec given to {@link defineScenario}. Required: `name`, `method` (steps, see
 * {@link StepSpec}) and `durationMs` (how long the method runs; every fault still in force is
 * undone at its end). Defaults: no hypothesis (an exploratory run), no load, no rollbacks,
 * `rollbackStrategy` `'default'`, `recoveryTimeoutMs` 15 000 (after the method, how long to wait
 * for the hypothesis to hold again before it is judged), `seed` none (the run's seed then comes
 * from `runScenario`'s options, `TROUPE_CHAOS_SEED`, or a fresh random one — always reported).
 */
export interface ScenarioSpec {
  readonly name: string;
  readonly description?: string;
  readonly hypothesis?: Hypothesis;
  readonly method: readonly StepSpec[];
  readonly durationMs: number;
  readonly recoveryTimeoutMs?: number;
  readonly rollbacks?: readonly Rollback[];
  readonly rollbackStrategy?: RollbackStrategy;
  readonly load?: Load;
  readonly seed?: number;
}

/** A checked, frozen scenario. */
export interface Scenario extends Required<Omit<ScenarioSpec, 'hypothesis' | 'load' | 'seed' | 'description'>> {
  readonly kind: 'chaos-scenario';
  readonly description: string;
  readonly hypothesis: Hypothesis | undefined;
  readonly load: Load | undefined;
  readonly seed: number | undefined;
}

const FIELDS = new Set(['name', 'description', 'hypothesis', 'method', 'durationMs', 'recoveryTimeoutMs', 'rollbacks', 'rollbackStrategy', 'load', 'seed']);
const STRATEGIES = new Set<RollbackStrategy>(['default', 'always', 'never', 'deviated']);

/**
 * Defines a scenario. Throws `invalid-spec` at once for anything wrong, naming the field in
 * `error.data.field` (`'durationMs'`, `'method[1].fault.groups'`, `'hypothesis.checks[0].tolerance'`…)
 * and saying how to fix it. Node names are checked against the target when the scenario runs.
 *
 * @example
 * const scenario = defineScenario({
 *   name: 'orders survive a partition',
 *   hypothesis: { checks: [{ name: 'orders answer', probe: (t) => t.call('n1', 'probe'), tolerance: { equals: 'ok' } }] },
 *   method: [{ fault: { kind: 'partition', groups: [['n1'], ['n2', 'n3']] }, at: 1_000, durationMs: 3_000 }],
 *   durationMs: 6_000,
 * });
 */
export function defineScenario(spec: ScenarioSpec): Scenario {
  const bad = (field: string, why: string): TroupeError => new TroupeError('invalid-spec', `defineScenario: ${field} ${why}`, { field });
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw bad('spec', 'must be an object like { name, method, durationMs }.');
  for (const k of Object.keys(spec)) if (!FIELDS.has(k)) throw bad(k, `is not a scenario field; use ${[...FIELDS].join(', ')}.`);
  if (typeof spec.name !== 'string' || spec.name.length === 0 || spec.name.length > 200) throw bad('name', 'must be a non-empty string of at most 200 characters.');
  if (spec.description !== undefined && typeof spec.description !== 'string') throw bad('description', 'must be a string.');
  const ms = (field: 'durationMs' | 'recoveryTimeoutMs', v: unknown, fallback?: number): number => {
    const x = v ?? fallback;
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw bad(field, `must be a finite number of milliseconds > 0${fallback === undefined ? '' : ` (default ${fallback})`}, got ${String(x)}.`);
    return x;
  };
  const durationMs = ms('durationMs', spec.durationMs);
  const recoveryTimeoutMs = ms('recoveryTimeoutMs', spec.recoveryTimeoutMs, 15_000);
  checkSteps(spec.method, durationMs);
  if (spec.seed !== undefined && !Number.isSafeInteger(spec.seed)) throw bad('seed', `must be an integer, got ${String(spec.seed)}.`);
  const strategy = spec.rollbackStrategy ?? 'default';
  if (!STRATEGIES.has(strategy)) throw bad('rollbackStrategy', `must be one of ${[...STRATEGIES].join(', ')} (default 'default'), got ${JSON.stringify(strategy)}.`);

  const h = spec.hypothesis;
  if (h !== undefined) {
    if (typeof h !== 'object' || h === null || !Array.isArray(h.checks) || h.checks.length === 0) throw bad('hypothesis', 'must be { title?, checks: [at least one check], everyMs? }.');
    for (const k of Object.keys(h)) if (!['title', 'checks', 'everyMs'].includes(k)) throw bad(`hypothesis.${k}`, 'is not a hypothesis field; use title, checks, everyMs.');
    if (h.everyMs !== undefined && (typeof h.everyMs !== 'number' || !Number.isFinite(h.everyMs) || h.everyMs <= 0)) throw bad('hypothesis.everyMs', `must be a finite number of milliseconds > 0 (default 500), got ${String(h.everyMs)}.`);
    const names = new Set<string>();
    h.checks.forEach((c, i) => {
      const f = `hypothesis.checks[${i}]`;
      if (typeof c !== 'object' || c === null) throw bad(f, 'must be { name, probe, tolerance? }.');
      for (const k of Object.keys(c)) if (!['name', 'probe', 'tolerance', 'timeoutMs'].includes(k)) throw bad(`${f}.${k}`, 'is not a check field; use name, probe, tolerance, timeoutMs.');
      if (typeof c.name !== 'string' || c.name === '') throw bad(`${f}.name`, 'must be a non-empty string.');
      if (names.has(c.name)) throw bad(`${f}.name`, `'${c.name}' names two checks; give each its own name.`);
      names.add(c.name);
      if (typeof c.probe !== 'function') throw bad(`${f}.probe`, 'must be a function (target) => value.');
      const t = c.tolerance as unknown;
      const okTolerance = t === undefined || typeof t === 'function' ||
        (typeof t === 'object' && t !== null && (('equals' in t && Object.keys(t).length === 1) ||
          ('between' in t && Object.keys(t).length === 1 && Array.isArray((t as { between: unknown }).between) && (t as { between: unknown[] }).between.length === 2 &&
            (t as { between: unknown[] }).between.every((x) => typeof x === 'number' && !Number.isNaN(x)) && (t as { between: number[] }).between[0] <= (t as { between: number[] }).between[1])));
      if (!okTolerance) throw bad(`${f}.tolerance`, 'must be a predicate, { equals: value } or { between: [min, max] } with min ≤ max.');
      if (c.timeoutMs !== undefined && (typeof c.timeoutMs !== 'number' || !(c.timeoutMs > 0) || !Number.isFinite(c.timeoutMs))) throw bad(`${f}.timeoutMs`, `must be a finite number of milliseconds > 0 (default 5000), got ${String(c.timeoutMs)}.`);
    });
  }
  const l = spec.load;
  if (l !== undefined) {
    if (typeof l !== 'object' || l === null || typeof l.request !== 'function') throw bad('load', 'must be { everyMs, request: (target, n) => Promise<outcome>, timeoutMs? }.');
    for (const k of Object.keys(l)) if (!['everyMs', 'request', 'timeoutMs'].includes(k)) throw bad(`load.${k}`, 'is not a load field; use everyMs, request, timeoutMs.');
    if (typeof l.everyMs !== 'number' || !Number.isFinite(l.everyMs) || l.everyMs < 1) throw bad('load.everyMs', `must be a finite number of milliseconds ≥ 1, got ${String(l.everyMs)}.`);
    if (l.timeoutMs !== undefined && (typeof l.timeoutMs !== 'number' || !(l.timeoutMs > 0) || !Number.isFinite(l.timeoutMs))) throw bad('load.timeoutMs', `must be a finite number of milliseconds > 0 (default 5000), got ${String(l.timeoutMs)}.`);
  }
  const rollbacks = spec.rollbacks ?? [];
  if (!Array.isArray(rollbacks)) throw bad('rollbacks', 'must be an array of { name, action }.');
  rollbacks.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || typeof r.name !== 'string' || r.name === '' || typeof r.action !== 'function') throw bad(`rollbacks[${i}]`, 'must be { name: string, action: (target) => … }.');
  });

  return Object.freeze({
    kind: 'chaos-scenario' as const,
    name: spec.name,
    description: spec.description ?? '',
    hypothesis: h === undefined ? undefined : Object.freeze({ ...h, checks: Object.freeze([...h.checks]) }),
    method: Object.freeze([...spec.method]),
    durationMs,
    recoveryTimeoutMs,
    rollbacks: Object.freeze([...rollbacks]),
    rollbackStrategy: strategy,
    load: l,
    seed: spec.seed,
  });
}
