// A saga's steps resolved to plain data (timeouts, attempts, backoffs, which steps compensate),
// checked once at definition time, and the rule for which step to compensate next.

import { TroupeError } from '../../runtime/errors.ts';
import type { Backoff } from '../../supervisors/backoff.ts';
import type { CompensateFailed, SagaRetry, SagaSpec } from '../saga.ts';

/** One step with its defaults filled in. */
export interface StepPlan {
  readonly name: string;
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoff: Backoff | undefined;
  readonly compensable: boolean;
  readonly compensationAttempts: number;
  readonly compensationBackoff: Backoff | undefined;
  readonly compensateFailed: CompensateFailed;
}

/** Per-attempt timeout of a step (and of its compensation) when not given. */
export const DEFAULT_STEP_TIMEOUT_MS = 5_000;
/** Retries of a compensation when not given: compensations must happen, so they retry by default. */
export const DEFAULT_COMPENSATION_RETRY: SagaRetry = Object.freeze({ attempts: 5, backoff: Object.freeze({ minMs: 200, maxMs: 5_000 }) });

const COMPENSATE_FAILED: readonly CompensateFailed[] = ['if-unknown', 'always', 'never'];
const SAGA_NAME = /^[A-Za-z0-9_.]{1,64}$/;
const STEP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Checks a saga spec and resolves its steps; throws `invalid-spec` naming the fix. */
export function resolvePlan(spec: SagaSpec<unknown, never>): readonly StepPlan[] {
  const where = `defineSaga(${typeof spec?.name === 'string' ? JSON.stringify(spec.name) : ''})`;
  const bad = (msg: string): TroupeError => new TroupeError('invalid-spec', `${where}: ${msg}`);
  if (typeof spec !== 'object' || spec === null) throw bad('expected an object with name, steps and journal.');
  if (typeof spec.name !== 'string' || !SAGA_NAME.test(spec.name)) throw bad('name must be 1–64 characters of A–Z a–z 0–9 _ . (no "-", so saga streams of two sagas cannot collide).');
  if (typeof spec.journal !== 'object' || spec.journal === null || typeof spec.journal.append !== 'function') throw bad('journal must be a Journal (createMemoryJournal, createFileJournal, createPgJournal).');
  if (!Array.isArray(spec.steps) || spec.steps.length === 0) throw bad('steps must be a non-empty array of { name, action }.');
  for (const hook of ['onComplete', 'onFailed'] as const) {
    if (spec[hook] !== undefined && typeof spec[hook] !== 'function') throw bad(`${hook} must be a function (outcome, system) => void.`);
  }
  const seen = new Set<string>();
  return Object.freeze(spec.steps.map((step, i) => {
    const at = `step ${i}${typeof step?.name === 'string' ? ` "${step.name}"` : ''}`;
    if (typeof step?.name !== 'string' || !STEP_NAME.test(step.name)) throw bad(`${at}: name must be 1–64 characters of A–Z a–z 0–9 _ . : -.`);
    if (seen.has(step.name)) throw bad(`${at}: step names must be unique (results and idempotency keys are keyed by them).`);
    seen.add(step.name);
    if (typeof step.action !== 'function') throw bad(`${at}: action must be a function (ctx) => Promise<result>.`);
    if (step.compensate !== undefined && typeof step.compensate !== 'function') throw bad(`${at}: compensate must be a function (ctx) => Promise<void>.`);
    const timeoutMs = step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw bad(`${at}: timeoutMs must be a finite number > 0, got ${String(step.timeoutMs)}.`);
    const retry = checkRetry(step.retry ?? { attempts: 1 }, `${at}: retry`, bad);
    const compensation = checkRetry(step.compensationRetry ?? DEFAULT_COMPENSATION_RETRY, `${at}: compensationRetry`, bad);
    const compensateFailed = step.compensateFailed ?? 'if-unknown';
    if (!COMPENSATE_FAILED.includes(compensateFailed)) throw bad(`${at}: compensateFailed must be one of ${COMPENSATE_FAILED.join(', ')}, got ${String(compensateFailed)}.`);
    return Object.freeze({
      name: step.name,
      timeoutMs,
      attempts: retry.attempts,
      backoff: retry.backoff,
      compensable: step.compensate !== undefined,
      compensationAttempts: compensation.attempts,
      compensationBackoff: compensation.backoff,
      compensateFailed,
    });
  }));
}

function checkRetry(r: SagaRetry, at: string, bad: (m: string) => TroupeError): SagaRetry {
  if (!Number.isInteger(r?.attempts) || r.attempts < 1) throw bad(`${at}.attempts must be an integer ≥ 1 (1 = no retry), got ${String(r?.attempts)}.`);
  const b = r.backoff;
  if (b !== undefined) {
    const ok = b.minMs >= 0 && b.maxMs >= b.minMs && Number.isFinite(b.maxMs) && (b.factor ?? 2) >= 1 && (b.jitter ?? 0) >= 0 && (b.jitter ?? 0) <= 1;
    if (!ok) throw bad(`${at}.backoff must have 0 ≤ minMs ≤ maxMs (finite), factor ≥ 1 and jitter in [0, 1].`);
  }
  return r;
}

/** The step to compensate at or below `from`: the highest compensable index ≤ `from`, or -1. */
export function compensableAtOrBelow(plan: readonly StepPlan[], from: number): number {
  for (let j = Math.min(from, plan.length - 1); j >= 0; j--) if (plan[j].compensable) return j;
  return -1;
}

/**
 * Where compensation starts after step `failed` failed for good: itself too when its
 * `compensateFailed` says so (`if-unknown`: `unknown`, one of its attempts timed out or was lost), else the one before.
 */
export function compensationStart(plan: readonly StepPlan[], failed: number, unknown: boolean): number {
  const rule = plan[failed].compensateFailed;
  const self = rule === 'always' || (rule === 'if-unknown' && unknown);
  return compensableAtOrBelow(plan, self ? failed : failed - 1);
}
