// Evaluating the steady-state hypothesis: every check's probe under its timeout (on the target's
// scheduler), its value against its tolerance; never rejects.

import type { Scheduler } from '../../../runtime/clock.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import type { CheckResult, HypothesisResult } from '../report.ts';
import type { Check, Tolerance } from '../scenario.ts';
import type { ChaosTarget } from '../target.ts';

/** Settles with `p`, or with `onTimeout()` after `ms` on `scheduler`, whichever comes first. */
export function withTimeout<T>(p: Promise<T>, ms: number, scheduler: Scheduler, onTimeout: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = scheduler.startTimer(ms, () => resolve(onTimeout()));
    p.then((v) => { scheduler.cancelTimer(timer); resolve(v); }, (e: unknown) => { scheduler.cancelTimer(timer); reject(e); });
  });
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Whether `value` is within `tolerance` (default: anything but `false`). */
export function withinTolerance<T>(value: T, tolerance: Tolerance<T> | undefined): boolean {
  if (tolerance === undefined) return value !== false;
  if (typeof tolerance === 'function') return tolerance(value) === true;
  if ('equals' in tolerance) return jsonEqual(value, tolerance.equals);
  return typeof value === 'number' && value >= tolerance.between[0] && value <= tolerance.between[1];
}

const TIMED_OUT = Symbol('timed-out');

async function runCheck(c: Check<unknown>, target: ChaosTarget, scheduler: Scheduler): Promise<CheckResult> {
  const start = scheduler.clock.now();
  const timeoutMs = c.timeoutMs ?? 5_000;
  try {
    const value = await withTimeout<unknown>(Promise.resolve().then(() => c.probe(target)), timeoutMs, scheduler, () => TIMED_OUT);
    const durationMs = scheduler.clock.now() - start;
    if (value === TIMED_OUT) return { name: c.name, met: false, error: `no answer within ${timeoutMs} ms`, durationMs };
    let text: string | undefined;
    try { text = JSON.stringify(value)?.slice(0, 200); } catch { text = String(value).slice(0, 200); }
    let met: boolean;
    try { met = withinTolerance(value, c.tolerance); } catch (e) { return { name: c.name, met: false, value: text, error: `tolerance threw: ${(e as Error)?.message ?? String(e)}`, durationMs }; }
    return { name: c.name, met, value: text, durationMs };
  } catch (e) {
    return { name: c.name, met: false, error: `${isTroupeError(e) ? `${e.code}: ` : ''}${(e as Error)?.message ?? String(e)}`.slice(0, 300), durationMs: scheduler.clock.now() - start };
  }
}

/** Runs every check at once; met when all are. `atMs` is stamped by the caller's clock. */
export async function evaluate(checks: readonly Check<unknown>[], target: ChaosTarget, scheduler: Scheduler, atMs: number): Promise<HypothesisResult> {
  const results = await Promise.all(checks.map((c) => runCheck(c, target, scheduler)));
  return { atMs, met: results.every((r) => r.met), checks: results };
}
