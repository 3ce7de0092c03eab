// Every recovery decision as a pure function: the failure kind a health report shows, and
// whether (and when) a recovery starts under the policy, the ejection cap and the permits of the
// cluster-wide storm budget.

import type { InstanceHealth } from '../../probes/instance-health.ts';
import type { FailureKind, RecoveryAction, ResolvedRecoveryPolicy } from '../recovery-policy.ts';

/** The failure kind a health shows, or null when there is nothing to recover (healthy, or still starting). */
export function failureKindOf(health: InstanceHealth, nodeSuspect: boolean): FailureKind | null {
  if (nodeSuspect) return 'node-suspect';
  if (health.state === 'starting' || health.state === 'healthy') return null;
  if (!health.live) return 'hung';
  if (health.reasons.some((r) => r.startsWith('crash loop'))) return 'crash-loop';
  if (!health.ready) return 'not-ready';
  return 'degraded';
}

/**
 * One detected failure, as the coordinator gets it. `instances`: the service's instances;
 * `ejected`: how many are out of routing by recovery now; `node`: where the instance runs;
 * `target`: where a redeploy would start its fresh instance — another node when its node is
 * suspect, or the same node with `fallback` saying why no other node qualifies.
 */
export interface Failure {
  readonly service: string;
  readonly instance: string;
  readonly kind: FailureKind;
  readonly detectedAtMs: number;
  readonly reasons: readonly string[];
  readonly instances: number;
  readonly ejected: number;
  readonly node?: string;
  readonly target?: { readonly node: string; readonly fallback?: string };
}

/** A recovery under way (it holds a permit of the budget until done or `expiresAtMs`). */
export interface Running {
  readonly service: string;
  readonly kind: FailureKind;
  readonly action: RecoveryAction;
  readonly startedAtMs: number;
  readonly expiresAtMs: number;
}

/** An instance this coordinator took out of routing (reroute, circuit-break), until `untilMs` or until it reports healthy. */
export interface Ejection {
  readonly service: string;
  readonly untilMs: number;
}

/**
 * What the coordinator remembers: recoveries under way (by instance), the last start per service,
 * attempts per instance, and the ejections it ordered (by instance) — a failure's own `ejected`
 * count was taken when it was reported, before ejections decided since then took effect.
 */
export interface Ledger {
  readonly running: Readonly<Record<string, Running>>;
  readonly lastStartMs: Readonly<Record<string, number>>;
  readonly attempts: Readonly<Record<string, { readonly count: number; readonly lastMs: number }>>;
  readonly ejections: Readonly<Record<string, Ejection>>;
}

export const EMPTY_LEDGER: Ledger = Object.freeze({ running: Object.freeze({}), lastStartMs: Object.freeze({}), attempts: Object.freeze({}), ejections: Object.freeze({}) });

/** How many instances of `f.service` are out of routing at `nowMs`: the failure's count, or more if this ledger ordered more since. */
export function ejectedNow(ledger: Ledger, f: Failure, nowMs: number): number {
  let ordered = 0;
  for (const [instance, e] of Object.entries(ledger.ejections)) if (instance !== f.instance && e.service === f.service && e.untilMs > nowMs) ordered++;
  return Math.max(f.ejected, ordered);
}

/**
 * Where the cluster-wide budget stands for one failure's restart or redeploy: this coordinator
 * holds a permit for it (`granted`), has not asked yet (`none`), waits in the owner's queue with
 * every permit in use (`queued`), waits for a new owner to learn the permits held (`syncing`,
 * until `untilMs` at most), or another coordinator holds the permit for this instance (`taken`).
 */
export type Permit =
  | { readonly state: 'granted' }
  | { readonly state: 'none' }
  | { readonly state: 'queued'; readonly owner: string; readonly inUse: number; readonly budget: number }
  | { readonly state: 'syncing'; readonly owner: string; readonly untilMs: number }
  | { readonly state: 'taken'; readonly by: string };

/**
 * The verdict on one failure: start now, wait until `retryAtMs`, skip (with why), escalate
 * (budget exhausted: queued, operator told), or request a permit from the budget's owner first.
 */
export type Verdict =
  | { readonly verdict: 'start'; readonly action: RecoveryAction; readonly reason: string }
  | { readonly verdict: 'wait'; readonly action: RecoveryAction; readonly retryAtMs: number; readonly reason: string }
  | { readonly verdict: 'skip'; readonly action: RecoveryAction; readonly reason: string }
  | { readonly verdict: 'escalate'; readonly action: RecoveryAction; readonly reason: string }
  | { readonly verdict: 'request'; readonly action: RecoveryAction; readonly reason: string };

/** Whether reroute / circuit-break may take one more instance out of routing: never more than the fraction, never the last one. */
export function mayEject(instances: number, ejected: number, maxFraction: number): boolean {
  return ejected + 1 <= Math.floor(instances * maxFraction) && instances - ejected - 1 >= 1;
}

/** Backoff before the `attempt`-th recovery (1-based) of one instance: none for the first, then minMs doubling up to maxMs. */
export function backoffMs(attempt: number, policy: ResolvedRecoveryPolicy): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.backoff.maxMs, policy.backoff.minMs * 2 ** (attempt - 2));
}

/** Whether an action holds a permit of the budget until it is done (restart, redeploy) or is over at once (reroute, circuit-break). */
export function holdsSlot(action: RecoveryAction): boolean {
  return action === 'restart' || action === 'redeploy';
}

/**
 * Decides on one failure at `nowMs`, in this order: an instance already recovering here is
 * skipped; action `none` is skipped; a restart or redeploy whose permit another coordinator holds
 * is skipped (it recovers that instance); an ejection (reroute, circuit-break) beyond the max
 * ejected fraction is skipped; the instance's backoff, then the service's cooldown, make it wait;
 * a restart or redeploy then needs a permit of the cluster-wide budget: without one (or when the
 * sync it waited for is over) it is requested, queued at the owner it escalates, while a new owner
 * syncs it waits; otherwise it starts.
 */
export function decide(ledger: Ledger, f: Failure, policy: ResolvedRecoveryPolicy, nowMs: number, permit: Permit): Verdict {
  const action = policy.actions[f.kind];
  const running = ledger.running[f.instance];
  if (running !== undefined && running.expiresAtMs > nowMs) return { verdict: 'skip', action, reason: `${f.instance} is already recovering (${running.action} since ${running.startedAtMs} ms)` };
  if (action === 'none') return { verdict: 'skip', action, reason: `the policy of ${f.service} takes no action on ${f.kind}` };
  const slot = holdsSlot(action);
  if (slot && permit.state === 'taken') return { verdict: 'skip', action, reason: `${f.instance} is being recovered through node ${permit.by}'s coordinator, which holds its permit` };
  const ejected = slot ? 0 : ejectedNow(ledger, f, nowMs);
  if (!slot && !mayEject(f.instances, ejected, policy.maxEjectedFraction)) {
    return { verdict: 'skip', action, reason: `${action} would eject ${ejected + 1} of ${f.instances} instances of ${f.service}, over the max ejected fraction ${policy.maxEjectedFraction} (one always stays routed)` };
  }
  const prior = ledger.attempts[f.instance];
  const attempt = prior !== undefined && nowMs - prior.lastMs < policy.resetAfterMs ? prior.count + 1 : 1;
  const backoff = backoffMs(attempt, policy);
  const readyAtMs = attempt > 1 ? prior!.lastMs + backoff : nowMs;
  if (readyAtMs > nowMs) {
    return { verdict: 'wait', action, retryAtMs: readyAtMs, reason: `attempt ${attempt} on ${f.instance} backs off ${backoff} ms` };
  }
  const last = ledger.lastStartMs[f.service];
  if (last !== undefined && last + policy.cooldownMs > nowMs) {
    return { verdict: 'wait', action, retryAtMs: last + policy.cooldownMs, reason: `${f.service} is cooling down for ${policy.cooldownMs} ms after its last recovery` };
  }
  // a sync that is over by now is no answer: ask again
  if (slot && (permit.state === 'none' || (permit.state === 'syncing' && permit.untilMs <= nowMs))) return { verdict: 'request', action, reason: `${f.kind} of ${f.instance} → ${action} needs a permit of the cluster-wide budget` };
  if (slot && permit.state === 'queued') {
    return { verdict: 'escalate', action, reason: `the cluster-wide budget of ${permit.budget} concurrent recoveries is exhausted (${permit.inUse} in use, owner node ${permit.owner}); ${f.kind} of ${f.instance} waits for a permit` };
  }
  if (slot && permit.state === 'syncing') {
    return { verdict: 'wait', action, retryAtMs: permit.untilMs, reason: `the budget's new owner, node ${permit.owner}, grants once every coordinator has reported the permits it holds (by ${permit.untilMs} ms at the latest)` };
  }
  return { verdict: 'start', action, reason: `${f.kind}: ${f.reasons.join('; ') || 'no reason given'} → ${action}${where(f, action)} (attempt ${attempt})` };
}

/** Where a redeploy goes, when the failure says: ` to node b`, or ` on the same node c (why)`. */
function where(f: Failure, action: RecoveryAction): string {
  if (action !== 'redeploy' || f.target === undefined) return '';
  return f.target.fallback === undefined ? ` to node ${f.target.node}` : ` on the same node ${f.target.node}: ${f.target.fallback}`;
}

/** The ledger after a recovery of `f` with `action` started at `nowMs` (attempts reset after `policy.resetAfterMs`); restart and redeploy hold their permit for at most `timeoutMs`. */
export function begin(ledger: Ledger, f: Failure, action: RecoveryAction, nowMs: number, policy: ResolvedRecoveryPolicy, timeoutMs: number): Ledger {
  const prior = ledger.attempts[f.instance];
  const count = prior !== undefined && nowMs - prior.lastMs < policy.resetAfterMs ? prior.count + 1 : 1;
  return {
    running: holdsSlot(action) ? { ...ledger.running, [f.instance]: { service: f.service, kind: f.kind, action, startedAtMs: nowMs, expiresAtMs: nowMs + timeoutMs } } : ledger.running,
    lastStartMs: { ...ledger.lastStartMs, [f.service]: nowMs },
    attempts: { ...ledger.attempts, [f.instance]: { count, lastMs: nowMs } },
    ejections: holdsSlot(action) ? ledger.ejections : { ...ledger.ejections, [f.instance]: { service: f.service, untilMs: action === 'circuit-break' ? nowMs + policy.breakMs : Infinity } },
  };
}

/** The ledger after `instance` reported healthy again: it is back in routing. Unchanged when it was not ejected. */
export function cleared(ledger: Ledger, instance: string): Ledger {
  if (ledger.ejections[instance] === undefined) return ledger;
  const ejections = { ...ledger.ejections };
  delete ejections[instance];
  return { ...ledger, ejections };
}

/** The ledger after the recovery of `instance` is done (its permit is released); unchanged when none runs. */
export function finish(ledger: Ledger, instance: string): Ledger {
  if (ledger.running[instance] === undefined) return ledger;
  const running = { ...ledger.running };
  delete running[instance];
  return { ...ledger, running };
}
