// Custom health checks: a function of the instance's state with a typed result, and `dependsOn`,
// a readiness check that asks another probed actor whether it is ready.

import type { ActorContext } from '../../runtime/context.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { describeAskFailure } from './internal/probe-decisions.ts';
import { askProbe, type CheckResult, type ProbeAnswer, type ProbeKind, type ProbeRequest } from './probe-request.ts';

/** What a check returns: a result, a bare boolean, or a promise of either. A throw or a rejection is a failure with its message. */
export type CheckOutcome = CheckResult | boolean | Promise<CheckResult | boolean>;

/** A check function, called with the instance's current state and context when a probe arrives. */
export type CheckFn<S, M> = (state: S, ctx: ActorContext<M | ProbeRequest>) => CheckOutcome;

/** A named custom check: which probe it belongs to (default `'readiness'`) and its function. */
export interface HealthCheck<S, M> {
  readonly kind?: ProbeKind;
  check(state: S, ctx: ActorContext<M | ProbeRequest>): CheckOutcome;
}

/** Options of {@link dependsOn}: `timeoutMs` to wait for the dependency's answer (default 500; keep it under the probe's timeout). */
export interface DependsOnOptions {
  readonly timeoutMs?: number;
}

/**
 * A readiness check that asks `dependency` (an actor defined with `withProbes`) for its own
 * readiness: this instance is ready only while its dependency is. Fails with the dependency's
 * reason, or why it did not answer within `timeoutMs` (default 500).
 *
 * @example
 * const api = withProbes(apiDef, { checks: { db: dependsOn(dbRef) } });
 */
export function dependsOn(dependency: ActorRef<ProbeRequest>, options: DependsOnOptions = {}): HealthCheck<unknown, unknown> {
  const timeoutMs = options.timeoutMs ?? 500;
  if (!(timeoutMs > 0 && timeoutMs <= 1_000)) {
    throw new TroupeError('invalid-spec', `dependsOn(${dependency.path}): timeoutMs must be > 0 and ≤ 1 000 (default 500), got ${timeoutMs}.`, { field: 'timeoutMs' });
  }
  return {
    kind: 'readiness',
    check: () => askProbe(dependency, 'readiness', { timeoutMs, signals: false }).then(
      (a) => (a.ok ? { ok: true } : { ok: false, reason: `${dependency.path} is not ready${a.reason ? `: ${a.reason}` : ''}` }),
      (e: unknown) => ({ ok: false, reason: `${dependency.path}: ${describeAskFailure(e, timeoutMs)}` }),
    ),
  };
}
