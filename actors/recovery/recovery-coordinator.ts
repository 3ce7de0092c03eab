// The recovery coordinator: an actor per node that takes detected failures from service actors,
// decides per policy, holds permits of one cluster-wide budget of concurrent recoveries (owned by
// the oldest reachable coordinator, as a cluster singleton), tells the service what to do, and
// emits every decision (with its reason) as an event.

import { Subject, type Observable, type Subscription } from 'rxjs';
import { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor } from '../../runtime/behavior.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import type { ActorContext } from '../../runtime/context.ts';
import { assertNever, TroupeError } from '../../runtime/errors.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import { defineServiceKey, type Listing } from '../internal/receptionist-service.ts';
import type { Receptionist } from '../receptionist.ts';
import { begin, cleared, decide, holdsSlot, EMPTY_LEDGER, finish, type Failure, type Ledger, type Permit } from './internal/recovery-decisions.ts';
import {
  answerFor, applyReport, chooseOwner, dropHolder, EMPTY_TABLE, expire, grant, type OwnerCandidate, type PermitTable,
} from './internal/permit-table.ts';
import type { PermitAnswerMsg, PermitMsg, PermitReportMsg } from './recovery-protocol.ts';
import { type FailureKind, type RecoveryAction, type ResolvedRecoveryPolicy } from './recovery-policy.ts';
import { tellQuietly as quietly } from '../internal/tell-quietly.ts';

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
 * redeploy is over (its permit is released).
 */
export type RecoveryMsg =
  | { readonly type: 'recovery.failure'; readonly failure: Failure; readonly policy: ResolvedRecoveryPolicy; readonly executor: ActorRef<RecoverCommand> }
  | { readonly type: 'recovery.clear'; readonly instance: string }
  | { readonly type: 'recovery.done'; readonly instance: string };

/** What the coordinator's actor handles: {@link RecoveryMsg}, the coordinators' messages, and its own. */
type CoordinatorMsg =
  | RecoveryMsg
  | PermitMsg
  | Listing<PermitMsg>
  | { readonly type: 'recovery.retry' }
  | { readonly type: 'recovery.tick' }
  | { readonly type: 'recovery.members' }
  | { readonly type: 'recovery.synced'; readonly epoch: number }
  | { readonly type: 'recovery.holder-gone'; readonly address: string };

/**
 * One decision, with its reason. `verdict` `'start'`: the action was sent (`atMs − detectedAtMs`
 * is the detection → recovery-started latency); `'wait'`: cooldown, backoff, or a new budget owner
 * learning the permits held — retried at `retryAtMs`; `'skip'`: nothing to do (already
 * recovering here or through another node's coordinator, action `none`, ejection cap);
 * `'escalate'`: the cluster-wide budget is exhausted — an operator event; it starts when the
 * owner grants it a permit; `'done'`: a restart or redeploy is over (or not reported done within
 * `timeoutMs`) and its permit is released. `toNode`: where a redeploy starts the fresh instance.
 */
export interface RecoveryEvent {
  readonly type: 'recovery.decision';
  readonly service: string;
  readonly instance: string;
  readonly kind: FailureKind;
  readonly verdict: 'start' | 'wait' | 'skip' | 'escalate' | 'done';
  readonly action: RecoveryAction;
  readonly reason: string;
  readonly detectedAtMs: number;
  readonly atMs: number;
  readonly retryAtMs?: number;
  readonly toNode?: string;
}

/**
 * Options of {@link createRecoveryCoordinator}. `budget` (default 2): restarts and redeploys under
 * way at once in the whole cluster (reroute and circuit-break hold no permit); the owner's budget
 * is the one in force, so give every node the same. `timeoutMs` (default 30 000): a permit not
 * released by then (its recovery not reported done) expires. `receptionist`: required on a
 * cluster node — coordinators find each other through it. `syncMs` (default 1 000): how long a new
 * owner waits at most for every coordinator's report of the permits it holds before it grants.
 * `resendMs` (default 1 000): how often a coordinator waiting for permits repeats its report.
 * `publish`: called with every event (e.g. `(e) => bus.publish('recovery', e)`). `name` default
 * `'recovery'`.
 */
export interface RecoveryCoordinatorOptions {
  readonly budget?: number;
  readonly timeoutMs?: number;
  readonly receptionist?: Receptionist;
  readonly syncMs?: number;
  readonly resendMs?: number;
  readonly publish?: (event: RecoveryEvent) => void;
  readonly name?: string;
}

/** A running coordinator: give it to service hosts (`createServiceHost(node, { recovery })`). */
export interface RecoveryCoordinator {
  readonly ref: ActorRef<RecoveryMsg>;
  readonly events$: Observable<RecoveryEvent>;
  readonly budget: number;
  /** The node whose coordinator owns the budget as this node sees it (undefined while none is known), and whether it is this one. */
  owner(): { readonly node: string; readonly self: boolean } | undefined;
}

/** The key coordinators register under, to find each other. */
const PEERS = defineServiceKey<PermitMsg>('troupe.recovery/coordinators');

interface Pending {
  readonly failure: Failure;
  readonly policy: ResolvedRecoveryPolicy;
  readonly executor: ActorRef<RecoverCommand>;
  permit: Permit;
  /** In the owner's queue (or about to be): its report lists it as wanted. */
  wants: boolean;
  /** The last decision announced for it, so a repeat is not announced again. */
  last?: string;
}

interface Holder { readonly ref: ActorRef<PermitMsg>; readonly node: string; seq: number; wanted: string[]; epoch: number; last?: string }

interface State {
  ledger: Ledger;
  readonly pending: Map<string, Pending>;
  /** Permits this coordinator holds, by instance address. */
  readonly held: Map<string, { readonly service: string; readonly expiresAtMs: number }>;
  seq: number;
  owner: { readonly node: string; readonly address: string; readonly ref: ActorRef<PermitMsg> } | undefined;
  // as the owner
  table: PermitTable;
  readonly holders: Map<string, Holder>;
  epoch: number;
  syncing: { readonly epoch: number; readonly untilMs: number } | undefined;
  events: Subscription | undefined;
}

type Ctx = ActorContext<CoordinatorMsg>;

function isClusterNode(t: ActorSystem | ClusterNode): t is ClusterNode {
  return typeof t === 'object' && t !== null && 'cluster' in t && 'system' in t;
}

/**
 * Starts a recovery coordinator on a system or cluster node (one per node, next to its service
 * host). Each failure is decided by the pure rules of `decide` (already recovering → skip; action
 * `none` → skip; another node's coordinator holds the permit for the instance → skip; over the
 * max ejected fraction → skip; backoff or cooldown → wait; a restart or redeploy needs a permit of
 * the cluster-wide budget: queued → escalate; else start), and every decision is an event.
 *
 * **The budget is cluster-wide.** One coordinator owns it: the oldest (lowest member incarnation)
 * whose node is up and reachable, as a cluster singleton. The others report the permits they hold
 * and want; the owner grants first come first served while fewer than `budget` are in use. A
 * permit is a lease: released when the recovery is done, dropped when its holder's node goes down
 * (the owner watches each holder) and expired after `timeoutMs`. When the owner's node goes down
 * or leaves, the next oldest takes over: it asks every coordinator for its report and grants once
 * all have answered (at most `syncMs`). On a single system the coordinator owns its own budget.
 * Throws `invalid-spec` on bad options, `invalid-argument` without a receptionist on a cluster node.
 */
export function createRecoveryCoordinator(target: ActorSystem | ClusterNode, options: RecoveryCoordinatorOptions = {}): RecoveryCoordinator {
  const where = 'createRecoveryCoordinator';
  const system = isClusterNode(target) ? target.system : target;
  const cluster = isClusterNode(target) ? target.cluster : undefined;
  const budget = options.budget ?? 2;
  if (!Number.isSafeInteger(budget) || budget < 1) throw new TroupeError('invalid-spec', `${where}: budget must be an integer ≥ 1 (default 2), got ${String(budget)}.`, { field: 'budget' });
  const ms = (field: 'timeoutMs' | 'syncMs' | 'resendMs', fallback: number): number => {
    const v = options[field] ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new TroupeError('invalid-spec', `${where}: ${field} must be a finite number > 0 (default ${fallback}), got ${String(v)}.`, { field });
    return v;
  };
  const timeoutMs = ms('timeoutMs', 30_000);
  const syncMs = ms('syncMs', 1_000);
  const resendMs = ms('resendMs', 1_000);
  const receptionist = options.receptionist;
  if (cluster !== undefined && (receptionist === undefined || receptionist.system !== system)) {
    throw new TroupeError('invalid-argument', `${where}: on a cluster node give options.receptionist (createReceptionist(node)); coordinators find each other through it to share one budget.`, { field: 'receptionist' });
  }
  const events = new Subject<RecoveryEvent>();
  const emit = (e: RecoveryEvent): void => { events.next(e); options.publish?.(e); };
  let ownerView: { node: string; self: boolean } | undefined;

  const behavior = (): ReturnType<typeof defineActor<CoordinatorMsg, State>> => {
    let selfAddress = '';
    const isOwner = (s: State): boolean => s.owner !== undefined && s.owner.address === selfAddress;

    // ---- choosing the owner ---------------------------------------------------------------

    /** The coordinators this node knows, as owner candidates, with their refs. */
    const candidates = (ctx: Ctx): (OwnerCandidate & { readonly ref: ActorRef<PermitMsg> })[] => {
      if (cluster === undefined) return [{ node: system.node, address: selfAddress, incarnation: 0, up: true, reachable: true, ref: ctx.self as ActorRef<PermitMsg> }];
      const members = new Map(cluster.members().map((m) => [m.node, m]));
      const unreachable = new Set(cluster.unreachable());
      const seen = new Set<string>();
      const out: (OwnerCandidate & { readonly ref: ActorRef<PermitMsg> })[] = [];
      for (const i of receptionist!.instances(PEERS)) {
        if (seen.has(i.node)) continue;
        seen.add(i.node);
        const m = members.get(i.node);
        out.push({ node: i.node, address: String(i.ref), incarnation: m?.incarnation ?? Infinity, up: m?.status === 'up', reachable: !unreachable.has(i.node), ref: i.ref });
      }
      return out;
    };

    const recomputeOwner = (s: State, ctx: Ctx): void => {
      const all = candidates(ctx);
      const c = chooseOwner(all);
      if (c?.address !== s.owner?.address) {
        const was = isOwner(s);
        s.owner = c === undefined ? undefined : { node: c.node, address: c.address, ref: all.find((x) => x.address === c.address)!.ref };
        ownerView = s.owner === undefined ? undefined : { node: s.owner.node, self: isOwner(s) };
        if (isOwner(s) && !was) startSync(s, ctx);
        if (!isOwner(s)) s.syncing = undefined;
        for (const p of s.pending.values()) if (p.wants) p.permit = { state: 'none' }; // ask the new owner afresh
        report(s, ctx);
      }
      if (s.syncing !== undefined) {
        for (const p of required(ctx)) if (s.holders.get(p.address)?.epoch !== s.syncing.epoch && p.address !== selfAddress) quietly(p.ref, { type: 'recovery.sync', from: ctx.self as ActorRef<PermitMsg> });
        checkSynced(s, ctx);
      }
    };

    /** The coordinators a new owner needs a report from before it grants: those on up members it can reach. */
    const required = (ctx: Ctx): (OwnerCandidate & { readonly ref: ActorRef<PermitMsg> })[] => candidates(ctx).filter((c) => c.up && c.reachable);

    // ---- as a holder of permits -----------------------------------------------------------

    const reportTo = (s: State, ctx: Ctx, to: ActorRef<PermitMsg>): void => {
      const now = ctx.now();
      s.seq++;
      const held = [...s.held].map(([id, h]) => ({ id, service: h.service, remainingMs: Math.max(0, h.expiresAtMs - now) }));
      const wanted = [...s.pending.values()].filter((p) => p.wants).map((p) => ({ id: p.failure.instance, service: p.failure.service, ttlMs: timeoutMs }));
      const msg: PermitReportMsg = { type: 'recovery.report', from: ctx.self as ActorRef<PermitMsg>, node: system.node, seq: s.seq, held, wanted };
      quietly(to, msg);
    };
    const report = (s: State, ctx: Ctx): void => { if (s.owner !== undefined) reportTo(s, ctx, s.owner.ref); };

    /** Releases the permit of `instance` unless its recovery runs; true when one was released. */
    const release = (s: State, instance: string): boolean => s.ledger.running[instance] === undefined && s.held.delete(instance);

    const schedule = (ctx: Ctx, atMs: number): void => ctx.timers.startSingle(`retry:${atMs}`, { type: 'recovery.retry' }, Math.max(0, atMs - ctx.now()));

    /** Decides on `p` now; returns whether the owner must hear a new report. */
    const run = (s: State, p: Pending, ctx: Ctx): boolean => {
      const f = p.failure;
      const now = ctx.now();
      const permit: Permit = s.held.has(f.instance) ? { state: 'granted' } : p.permit;
      const v = decide(s.ledger, f, p.policy, now, permit);
      const key = `${v.verdict}|${v.reason}`;
      if (v.verdict !== 'request' && key !== p.last) {
        const toNode = v.verdict === 'start' && v.action === 'redeploy' && f.target !== undefined ? { toNode: f.target.node } : {};
        emit({ type: 'recovery.decision', service: f.service, instance: f.instance, kind: f.kind, verdict: v.verdict, action: v.action, reason: v.reason, detectedAtMs: f.detectedAtMs, atMs: now, ...(v.verdict === 'wait' ? { retryAtMs: v.retryAtMs } : {}), ...toNode });
      }
      p.last = key;
      const wanted = p.wants;
      switch (v.verdict) {
        case 'start': {
          s.pending.delete(f.instance);
          s.ledger = begin(s.ledger, f, v.action, now, p.policy, timeoutMs);
          if (holdsSlot(v.action)) {
            s.held.set(f.instance, { service: f.service, expiresAtMs: now + timeoutMs });
            schedule(ctx, now + timeoutMs); // a permit not reported done expires then
          }
          quietly(p.executor, { type: 'service.recover', instance: f.instance, action: v.action as RecoverCommand['action'], breakMs: p.policy.breakMs });
          return false;
        }
        case 'skip':
          s.pending.delete(f.instance);
          return release(s, f.instance) || wanted;
        case 'wait': {
          const syncing = p.permit.state === 'syncing';
          p.wants = syncing;
          schedule(ctx, v.retryAtMs);
          return release(s, f.instance) || (wanted && !syncing);
        }
        case 'request':
          p.permit = { state: 'none' };
          p.wants = true;
          return !wanted;
        case 'escalate':
          p.wants = true;
          return !wanted;
        default:
          return assertNever(v);
      }
    };

    const onAnswer = (s: State, m: PermitAnswerMsg, ctx: Ctx): void => {
      if (s.owner === undefined || m.owner !== s.owner.node) return; // from a node that is not (or no longer) the owner here
      const now = ctx.now();
      let changed = false;
      for (const id of m.granted) {
        if (s.held.has(id)) continue;
        const p = s.pending.get(id);
        if (p?.wants === true) s.held.set(id, { service: p.failure.service, expiresAtMs: now + timeoutMs });
        else changed = true; // granted what it no longer wants: the next report releases it
      }
      const queued = new Set(m.queued);
      const taken = new Map(m.taken.map((t) => [t.id, t.by]));
      for (const p of [...s.pending.values()]) {
        if (!p.wants) continue;
        const id = p.failure.instance;
        const by = taken.get(id);
        if (s.held.has(id)) p.permit = { state: 'granted' };
        else if (by !== undefined) p.permit = { state: 'taken', by };
        else if (queued.has(id)) p.permit = m.syncingForMs > 0 ? { state: 'syncing', owner: m.owner, untilMs: now + m.syncingForMs } : { state: 'queued', owner: m.owner, inUse: m.inUse, budget: m.budget };
        else continue; // the owner has not heard of it yet
        if (run(s, p, ctx)) changed = true;
      }
      if (changed) report(s, ctx);
    };

    const done = (s: State, instance: string, ctx: Ctx, why: 'done' | 'expired'): void => {
      const r = s.ledger.running[instance];
      s.ledger = finish(s.ledger, instance);
      const released = s.held.delete(instance);
      if (r !== undefined) {
        const now = ctx.now();
        const reason = why === 'done'
          ? `${r.action} of ${instance} is over after ${now - r.startedAtMs} ms; its permit is released`
          : `${r.action} of ${instance} was not reported done within ${timeoutMs} ms; its permit expires`;
        emit({ type: 'recovery.decision', service: r.service, instance, kind: r.kind, verdict: 'done', action: r.action, reason, detectedAtMs: r.startedAtMs, atMs: now });
      }
      if (released) report(s, ctx);
    };

    // ---- as the owner of the budget -------------------------------------------------------

    const startSync = (s: State, ctx: Ctx): void => {
      s.epoch++;
      s.syncing = { epoch: s.epoch, untilMs: ctx.now() + syncMs };
      ctx.timers.startSingle('sync', { type: 'recovery.synced', epoch: s.epoch }, syncMs);
      for (const c of required(ctx)) quietly(c.ref, { type: 'recovery.sync', from: ctx.self as ActorRef<PermitMsg> });
    };

    const checkSynced = (s: State, ctx: Ctx): void => {
      const sync = s.syncing;
      if (sync === undefined) return;
      if (required(ctx).every((c) => s.holders.get(c.address)?.epoch === sync.epoch)) {
        s.syncing = undefined;
        ctx.timers.cancel('sync');
      }
    };

    /** Grants what the budget allows and tells each holder where it stands (the one that just reported always hears back). */
    const grantAndAnswer = (s: State, ctx: Ctx, reporter: string | undefined): void => {
      if (!isOwner(s)) return;
      const now = ctx.now();
      s.table = expire(s.table, now);
      if (s.syncing === undefined) s.table = grant(s.table, budget, now).table;
      const inUse = s.table.leases.length;
      const syncingForMs = s.syncing === undefined ? 0 : Math.max(0, s.syncing.untilMs - now);
      for (const [address, h] of s.holders) {
        const a = answerFor(s.table, address, h.wanted);
        const key = JSON.stringify([a, inUse, syncingForMs > 0]);
        if (address !== reporter && key === h.last) continue;
        if (address !== reporter && h.last === undefined && a.granted.length + a.queued.length + a.taken.length === 0) continue;
        h.last = key;
        const answer: PermitAnswerMsg = { type: 'recovery.answer', owner: system.node, ...a, inUse, budget, syncingForMs };
        quietly(h.ref, answer);
      }
    };

    const onReport = (s: State, m: PermitReportMsg, ctx: Ctx): void => {
      if (!(m.from instanceof ActorRef) || !Array.isArray(m.held) || !Array.isArray(m.wanted)) return;
      const address = String(m.from);
      let h = s.holders.get(address);
      if (h !== undefined && m.seq <= h.seq) return;
      if (h === undefined) {
        h = { ref: m.from, node: m.node, seq: m.seq, wanted: [], epoch: -1 };
        s.holders.set(address, h);
        if (address !== selfAddress) ctx.watch(m.from as ActorRef<never>, { type: 'recovery.holder-gone', address });
      }
      h.seq = m.seq;
      h.wanted = m.wanted.map((w) => w.id);
      h.epoch = s.epoch;
      const { table, adopted } = applyReport(s.table, { holder: address, node: m.node, held: m.held, wanted: m.wanted }, ctx.now());
      s.table = table;
      if (!isOwner(s)) return;
      // permits granted by another owner (this one was not reachable for a while): learn all before granting
      if (adopted > 0 && s.syncing === undefined) startSync(s, ctx);
      checkSynced(s, ctx);
      grantAndAnswer(s, ctx, address);
    };

    return defineActor<CoordinatorMsg, State>({
      name: options.name ?? 'recovery',
      init: (ctx) => {
        selfAddress = String(ctx.self);
        const s: State = {
          ledger: EMPTY_LEDGER, pending: new Map(), held: new Map(), seq: 0, owner: undefined,
          table: EMPTY_TABLE, holders: new Map(), epoch: 0, syncing: undefined, events: undefined,
        };
        if (cluster !== undefined) {
          receptionist!.register(PEERS, ctx.self as ActorRef<PermitMsg>);
          receptionist!.subscribe(PEERS, ctx.self as ActorRef<Listing<PermitMsg>>);
          s.events = cluster.events$.subscribe((e) => {
            if (e.type.startsWith('member-')) quietly(ctx.self, { type: 'recovery.members' });
          });
        }
        ctx.timers.startPeriodic('tick', { type: 'recovery.tick' }, resendMs);
        recomputeOwner(s, ctx);
        return s;
      },
      receive: (s, m, ctx) => {
        switch (m.type) {
          case 'recovery.failure': {
            if (!(m.executor instanceof ActorRef) || typeof m.failure?.instance !== 'string') return s;
            const before = s.pending.get(m.failure.instance);
            const p: Pending = { failure: m.failure, policy: m.policy, executor: m.executor, permit: before?.permit ?? { state: 'none' }, wants: before?.wants ?? false, last: before?.last };
            s.pending.set(m.failure.instance, p);
            if (run(s, p, ctx)) report(s, ctx);
            return s;
          }
          case 'recovery.clear': {
            const p = s.pending.get(m.instance);
            s.pending.delete(m.instance);
            s.ledger = cleared(s.ledger, m.instance);
            if (release(s, m.instance) || p?.wants === true) report(s, ctx);
            return s;
          }
          case 'recovery.done':
            done(s, m.instance, ctx, 'done');
            return s;
          case 'recovery.retry': {
            const now = ctx.now();
            for (const [id, r] of Object.entries(s.ledger.running)) if (r.expiresAtMs <= now) done(s, id, ctx, 'expired');
            let changed = false;
            for (const p of [...s.pending.values()]) if (run(s, p, ctx)) changed = true;
            if (changed) report(s, ctx);
            return s;
          }
          case 'recovery.tick':
            if ([...s.pending.values()].some((p) => p.wants)) report(s, ctx); // repairs a lost report or answer
            if (isOwner(s) && expire(s.table, ctx.now()) !== s.table) grantAndAnswer(s, ctx, undefined);
            return s;
          case 'listing':
          case 'recovery.members':
            recomputeOwner(s, ctx);
            if (isOwner(s)) grantAndAnswer(s, ctx, undefined);
            return s;
          case 'recovery.report':
            onReport(s, m, ctx);
            return s;
          case 'recovery.answer':
            onAnswer(s, m, ctx);
            return s;
          case 'recovery.sync':
            if (m.from instanceof ActorRef) reportTo(s, ctx, m.from);
            return s;
          case 'recovery.synced':
            if (s.syncing?.epoch === m.epoch) { s.syncing = undefined; grantAndAnswer(s, ctx, undefined); }
            return s;
          case 'recovery.holder-gone':
            s.holders.delete(m.address);
            s.table = dropHolder(s.table, m.address);
            checkSynced(s, ctx);
            grantAndAnswer(s, ctx, undefined);
            return s;
          default:
            return assertNever(m);
        }
      },
      signal: (s, signal) => {
        if (signal.type === 'pre-restart' || signal.type === 'stopped') s.events?.unsubscribe();
      },
    });
  };

  const ref = system.spawn(behavior(), options.name ?? 'recovery');
  return { ref: ref as unknown as ActorRef<RecoveryMsg>, events$: events.asObservable(), budget, owner: () => ownerView };
}
