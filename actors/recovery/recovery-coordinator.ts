// The recovery coordinator: an actor that takes detected failures from service actors, decides
// per policy under a budget of concurrent recoveries, tells the service what to do, and emits
// every decision (with its reason) as an event.

import { Subject, type Observable } from 'rxjs';
import { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor } from '../../runtime/behavior.ts';
import { assertNever, TroupeError } from '../../runtime/errors.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import { begin, cleared, decide, holdsSlot, EMPTY_LEDGER, finish, type Failure, type Ledger } from './internal/recovery-decisions.ts';
import { resolveRecoveryPolicy, type FailureKind, type RecoveryAction, type RecoveryPolicy, type ResolvedRecoveryPolicy } from './recovery-policy.ts';

/** What a service actor is told to do about one of its instances (by its address). */
export interface RecoverCommand {
  readonly type: 'service.recover';
  readonly instance: string;
  readonly action: Exclude<RecoveryAction, 'none'>;
  readonly breakMs: number;
}

/**
 * Messages of the coordinator. Service actors send `recovery.failure` (with the policy of their
 * service and where to send the {@link RecoverCommand}), `recovery.clear` when the instance is
 * healthy again (a pending recovery of it is dropped) and `recovery.done` when a restart or
 * redeploy is over (its budget slot frees).
 */
export type RecoveryMsg =
  | { readonly type: 'recovery.failure'; readonly failure: Failure; readonly policy: ResolvedRecoveryPolicy; readonly executor: ActorRef<RecoverCommand> }
  | { readonly type: 'recovery.clear'; readonly instance: string }
  | { readonly type: 'recovery.done'; readonly instance: string }
  | { readonly type: 'recovery.retry' };

/**
 * One decision, with its reason. `verdict` `'start'`: the action was sent (`atMs − detectedAtMs`
 * is the detection → recovery-started latency); `'wait'`: cooldown or backoff, retried at
 * `retryAtMs`; `'skip'`: nothing to do (already recovering, action `none`, ejection cap);
 * `'escalate'`: the budget is exhausted — an operator event; it is retried when a slot frees.
 */
export interface RecoveryEvent {
  readonly type: 'recovery.decision';
  readonly service: string;
  readonly instance: string;
  readonly kind: FailureKind;
  readonly verdict: 'start' | 'wait' | 'skip' | 'escalate';
  readonly action: RecoveryAction;
  readonly reason: string;
  readonly detectedAtMs: number;
  readonly atMs: number;
  readonly retryAtMs?: number;
}

/**
 * Options of {@link createRecoveryCoordinator}. `budget` (default 2): recoveries (restart,
 * redeploy) under way at once through this coordinator; reroute and circuit-break do not hold a
 * slot. With one coordinator per node the cluster-wide bound is `budget × nodes`. `timeoutMs`
 * (default 30 000): a recovery not reported done by then frees its slot. `publish`: called with
 * every event (e.g. `(e) => bus.publish('recovery', e)`). `name` default `'recovery'`.
 */
export interface RecoveryCoordinatorOptions {
  readonly budget?: number;
  readonly timeoutMs?: number;
  readonly publish?: (event: RecoveryEvent) => void;
  readonly name?: string;
}

/** A running coordinator: give its `ref` to service hosts (`createServiceHost(node, { recovery })`). */
export interface RecoveryCoordinator {
  readonly ref: ActorRef<RecoveryMsg>;
  readonly events$: Observable<RecoveryEvent>;
  readonly budget: number;
}

interface Pending { failure: Failure; policy: ResolvedRecoveryPolicy; executor: ActorRef<RecoverCommand> }
interface State { ledger: Ledger; readonly pending: Map<string, Pending> }

/**
 * Starts a recovery coordinator on `system`. Each failure is decided by the pure rules of
 * `decide` (already recovering → skip; action `none` → skip; over the max ejected fraction →
 * skip; backoff or cooldown → wait; budget full → escalate; else start), and every decision is
 * an event. Waiting and escalated failures are decided again when their time comes or a slot
 * frees, unless the instance reported healthy meanwhile. Throws `invalid-spec` on bad options.
 */
export function createRecoveryCoordinator(system: ActorSystem, options: RecoveryCoordinatorOptions = {}): RecoveryCoordinator {
  const where = 'createRecoveryCoordinator';
  const budget = options.budget ?? 2;
  if (!Number.isSafeInteger(budget) || budget < 1) throw new TroupeError('invalid-spec', `${where}: budget must be an integer ≥ 1 (default 2), got ${String(budget)}.`, { field: 'budget' });
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new TroupeError('invalid-spec', `${where}: timeoutMs must be a finite number > 0 (default 30000), got ${String(timeoutMs)}.`, { field: 'timeoutMs' });
  const events = new Subject<RecoveryEvent>();
  const emit = (e: RecoveryEvent): void => { events.next(e); options.publish?.(e); };

  const run = (s: State, p: Pending, nowMs: number, schedule: (atMs: number) => void, retry: boolean): void => {
    const f = p.failure;
    const v = decide(s.ledger, f, p.policy, budget, nowMs);
    const event: RecoveryEvent = { type: 'recovery.decision', service: f.service, instance: f.instance, kind: f.kind, verdict: v.verdict, action: v.action, reason: v.reason, detectedAtMs: f.detectedAtMs, atMs: nowMs, ...(v.verdict === 'wait' ? { retryAtMs: v.retryAtMs } : {}) };
    // a failure still waiting is not announced again each time it is looked at
    const repeat = retry && s.pending.has(f.instance) && v.verdict === 'escalate';
    if (!repeat) emit(event);
    if (v.verdict === 'start') {
      s.pending.delete(f.instance);
      s.ledger = begin(s.ledger, f, v.action, nowMs, p.policy, timeoutMs);
      if (holdsSlot(v.action)) schedule(nowMs + timeoutMs); // a slot not reported done frees then
      try { p.executor.tell({ type: 'service.recover', instance: f.instance, action: v.action as RecoverCommand['action'], breakMs: p.policy.breakMs }); } catch { /* its service is gone */ }
    } else if (v.verdict === 'skip') {
      s.pending.delete(f.instance);
    } else {
      s.pending.set(f.instance, p);
      if (v.verdict === 'wait') schedule(v.retryAtMs);
    }
  };

  const ref = system.spawn(defineActor<RecoveryMsg, State>({
    name: options.name ?? 'recovery',
    init: () => ({ ledger: EMPTY_LEDGER, pending: new Map() }),
    receive: (s, m, ctx) => {
      const now = ctx.now();
      const schedule = (atMs: number): void => ctx.timers.startSingle(`retry:${atMs}`, { type: 'recovery.retry' }, Math.max(0, atMs - now));
      const retryAll = (): void => { for (const p of [...s.pending.values()]) run(s, p, now, schedule, true); };
      switch (m.type) {
        case 'recovery.failure':
          if (!(m.executor instanceof ActorRef) || typeof m.failure?.instance !== 'string') return s;
          run(s, m, now, schedule, false);
          return s;
        case 'recovery.clear':
          s.pending.delete(m.instance);
          s.ledger = cleared(s.ledger, m.instance);
          return s;
        case 'recovery.done':
          s.ledger = finish(s.ledger, m.instance);
          retryAll();
          return s;
        case 'recovery.retry':
          retryAll();
          return s;
        default:
          return assertNever(m);
      }
    },
  }), options.name ?? 'recovery');
  return { ref: ref as ActorRef<RecoveryMsg>, events$: events.asObservable(), budget };
}
