// Recovery policies: which action answers which failure kind, and the storm limits (budget,
// cooldown, backoff, max ejected fraction) — defaults written out, one validation.

import { TroupeError } from '../../runtime/errors.ts';

/** What went wrong with an instance, read from its health reports (or its node's membership). */
export type FailureKind = 'hung' | 'not-ready' | 'degraded' | 'crash-loop' | 'node-suspect';
/** The recovery actions: see {@link RecoveryPolicy}. `none` records the failure and does nothing. */
export type RecoveryAction = 'restart' | 'redeploy' | 'reroute' | 'circuit-break' | 'none';

export const FAILURE_KINDS: readonly FailureKind[] = Object.freeze(['hung', 'not-ready', 'degraded', 'crash-loop', 'node-suspect']);
export const RECOVERY_ACTIONS: readonly RecoveryAction[] = Object.freeze(['restart', 'redeploy', 'reroute', 'circuit-break', 'none']);

/**
 * How a service recovers. `actions` maps a failure kind to an action; defaults:
 * `hung` → `restart` (stop the instance; its service starts a fresh one), `crash-loop` →
 * `redeploy` (drain it, a fresh instance takes its ordinal on the same node), `node-suspect` →
 * `redeploy` (a fresh instance on another node the placement rules allow, or on the same node
 * when none does; `redeploy` or `none` only), `not-ready` → `reroute` (out of routing until ready
 * again), `degraded` → `circuit-break` (the callers' routers open their breaker for it for
 * `breakMs`, then let one trial through).
 * Storm limits, defaults: `maxEjectedFraction` 0.5 — reroute and circuit-break never take more
 * than this share of a service's instances out of routing (at least one always stays, as
 * Envoy's max ejection percent); `cooldownMs` 5 000 — after a recovery of a service, the next
 * one of that service waits at least this long; `backoff` — each further recovery of the same
 * instance within `resetAfterMs` (default 60 000) waits `minMs` (default 1 000) doubling up to
 * `maxMs` (default 30 000); `breakMs` 5 000.
 */
export interface RecoveryPolicy {
  readonly actions?: Partial<Readonly<Record<FailureKind, RecoveryAction>>>;
  readonly maxEjectedFraction?: number;
  readonly cooldownMs?: number;
  readonly backoff?: { readonly minMs?: number; readonly maxMs?: number };
  readonly resetAfterMs?: number;
  readonly breakMs?: number;
}

/** A policy with every default filled in. */
export interface ResolvedRecoveryPolicy {
  readonly actions: Readonly<Record<FailureKind, RecoveryAction>>;
  readonly maxEjectedFraction: number;
  readonly cooldownMs: number;
  readonly backoff: { readonly minMs: number; readonly maxMs: number };
  readonly resetAfterMs: number;
  readonly breakMs: number;
}

export const DEFAULT_RECOVERY_POLICY: ResolvedRecoveryPolicy = Object.freeze({
  actions: Object.freeze({ 'hung': 'restart', 'crash-loop': 'redeploy', 'node-suspect': 'redeploy', 'not-ready': 'reroute', 'degraded': 'circuit-break' } as const),
  maxEjectedFraction: 0.5,
  cooldownMs: 5_000,
  backoff: Object.freeze({ minMs: 1_000, maxMs: 30_000 }),
  resetAfterMs: 60_000,
  breakMs: 5_000,
});

const FIELDS = ['actions', 'maxEjectedFraction', 'cooldownMs', 'backoff', 'resetAfterMs', 'breakMs'];

/** Fills defaults and checks a policy; throws `invalid-spec` naming the field (`error.data.field`, after `prefix`, e.g. `'recovery.policy.'`). */
export function resolveRecoveryPolicy(p: RecoveryPolicy | undefined, where: string, prefix = ''): ResolvedRecoveryPolicy {
  if (p === undefined) return DEFAULT_RECOVERY_POLICY;
  const bad = (field: string, why: string): TroupeError => new TroupeError('invalid-spec', `${where}: ${prefix}${field} ${why}`, { field: `${prefix}${field}` });
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad('policy', 'must be an object like { actions: { hung: "restart" }, cooldownMs: 10000 }.');
  for (const k of Object.keys(p)) if (!FIELDS.includes(k)) throw bad(k, `is not a recovery policy field; use ${FIELDS.join(', ')}.`);
  const actions: Record<FailureKind, RecoveryAction> = { ...DEFAULT_RECOVERY_POLICY.actions };
  if (p.actions !== undefined) {
    if (typeof p.actions !== 'object' || p.actions === null) throw bad('actions', `must map failure kinds (${FAILURE_KINDS.join(', ')}) to actions.`);
    for (const [k, a] of Object.entries(p.actions)) {
      if (!FAILURE_KINDS.includes(k as FailureKind)) throw bad(`actions.${k}`, `is not a failure kind; use ${FAILURE_KINDS.join(', ')}.`);
      if (!RECOVERY_ACTIONS.includes(a as RecoveryAction)) throw bad(`actions.${k}`, `must be one of ${RECOVERY_ACTIONS.join(', ')}, got ${JSON.stringify(a)}.`);
      actions[k as FailureKind] = a as RecoveryAction;
    }
    const suspect = actions['node-suspect'];
    if (suspect !== 'redeploy' && suspect !== 'none') throw bad('actions.node-suspect', `must be redeploy or none, got ${JSON.stringify(suspect)}: the instance's node is not trusted, so only a fresh instance on another node helps.`);
  }
  const num = (field: string, v: unknown, fallback: number, ok: (n: number) => boolean, rule: string): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw bad(field, `must be ${rule} (default ${fallback}), got ${String(v)}.`);
    return v;
  };
  const maxEjectedFraction = num('maxEjectedFraction', p.maxEjectedFraction, 0.5, (n) => n >= 0 && n < 1, 'a fraction 0 ≤ f < 1');
  const cooldownMs = num('cooldownMs', p.cooldownMs, 5_000, (n) => n >= 0, 'milliseconds ≥ 0');
  const resetAfterMs = num('resetAfterMs', p.resetAfterMs, 60_000, (n) => n > 0, 'milliseconds > 0');
  const breakMs = num('breakMs', p.breakMs, 5_000, (n) => n > 0, 'milliseconds > 0');
  if (p.backoff !== undefined && (typeof p.backoff !== 'object' || p.backoff === null)) throw bad('backoff', 'must be { minMs, maxMs }.');
  const minMs = num('backoff.minMs', p.backoff?.minMs, 1_000, (n) => n >= 0, 'milliseconds ≥ 0');
  const maxMs = num('backoff.maxMs', p.backoff?.maxMs, Math.max(30_000, minMs), (n) => n >= minMs, 'milliseconds ≥ backoff.minMs');
  return Object.freeze({ actions: Object.freeze(actions), maxEjectedFraction, cooldownMs, backoff: Object.freeze({ minMs, maxMs }), resetAfterMs, breakMs });
}
