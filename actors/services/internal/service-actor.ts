// The actor of one service on one node: supervises the instances placement gives this node,
// registers them with their health, drains and replaces them, replicates the desired count
// to its peers on the other nodes and answers scale, drain and status.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../../runtime/behavior.ts';
import type { ActorContext } from '../../../runtime/context.ts';
import { assertNever, isTroupeError } from '../../../runtime/errors.ts';
import type { SystemCore } from '../../../runtime/internal/system-core.ts';
import type { Listing } from '../../internal/receptionist-service.ts';
import { MAX_INSTANCES } from '../define-service.ts';
import { isInstanceHealth } from '../instance-health.ts';
import type { DesiredMsg, DrainResult, ServiceMsg } from '../service-protocol.ts';
import { mergeMoves, supersedes, write } from './desired.ts';
import { checkDrain, type DrainChecked } from './drain-check.ts';
import { failureKindOf } from '../../recovery/internal/recovery-decisions.ts';
import type { RecoverCommand } from '../../recovery/recovery-coordinator.ts';
import { probeSeam } from './probe-seam.ts';
import { ordinalOf, routable, startedHealth, startingHealth, type LocalInstance, type PeerMsg, type ServiceCore } from './service-core.ts';
import type { ServiceInstance } from '../../internal/receptionist-service.ts';
import { tellQuietly as quietly } from '../../internal/tell-quietly.ts';

/** Messages the service actor sends itself or gets from the receptionist and its instances. */
type InternalMsg =
  | Listing<unknown>
  | DrainChecked
  | { readonly type: 'service.tick' }
  | { readonly type: 'service.settle' }
  | { readonly type: 'service.handover' }
  | { readonly type: 'service.recheck'; readonly name: string }
  | { readonly type: 'service.deadline'; readonly name: string }
  | { readonly type: 'service.terminated'; readonly name: string }
  | { readonly type: 'service.unbreak'; readonly name: string }
  | { readonly type: 'service.suspects' }
  | RecoverCommand;

/** Everything the service actor handles. */
export type ServiceActorMsg = ServiceMsg | DesiredMsg | InternalMsg;

type Ctx = ActorContext<ServiceActorMsg>;

function reject(ctx: Ctx, msg: ServiceActorMsg): void {
  (ctx.system as unknown as SystemCore).deadLetter(ctx.self.proc, msg, 'undeliverable');
}

/**
 * Defines the actor of `core`'s service. Its children are the service's instances on this node,
 * supervised as the service's `recovery` says; its state lives in `core`, so a restart (after
 * the instances exhausted the restart intensity) places and starts them afresh.
 */
export function defineServiceActor<M>(core: ServiceCore<M>): ActorDefinition<ServiceActorMsg, undefined> {
  const { def, host } = core;

  const desiredMsg = (reply: boolean): DesiredMsg => ({
    type: 'service.desired', service: def.name, ...core.desired, from: core.node, reply, ...(core.moves.size === 0 ? {} : { moves: [...core.moves.values()] }),
  });

  /** Sends the desired state to every peer not greeted yet (asking for theirs), and forgets peers that left. */
  const greet = (): void => {
    const next = new Set<string>();
    for (const p of core.peers()) {
      if (p.node === core.node) continue;
      const address = String(p.ref);
      next.add(address);
      if (!core.greeted.has(address)) quietly(p.ref, desiredMsg(true));
    }
    core.greeted = next;
  };

  const broadcast = (): void => {
    for (const p of core.peers()) if (p.node !== core.node) quietly(p.ref, desiredMsg(false));
  };

  const checkSettled = (ctx: Ctx): void => {
    if (core.settled || !core.clusterHeard()) return;
    core.settled = true;
    ctx.timers.cancel('settle');
  };

  /** Registers (or updates) an instance with the receptionist: its health, and whether routers may use it. */
  const publish = (l: LocalInstance): void => {
    const state = l.health.state;
    host.receptionist.register(def.key, l.ref as ActorRef<M>, {
      version: def.version,
      ...(host.zone === undefined ? {} : { zone: host.zone }),
      weight: def.weight,
      health: state === 'degraded' || state === 'unhealthy' ? state : 'healthy',
      ready: routable(l.phase, l.health) && l.ejected !== true,
      circuit: l.circuitOpen === true ? 'open' : 'closed',
    });
  };

  /** Tells the node's recovery coordinator when an instance's failure kind changes (a new failure, or healed). */
  const reportFailure = (l: LocalInstance, ctx: Ctx, again = false): void => {
    const coordinator = host.recovery;
    if (coordinator === undefined || l.phase === 'draining' || l.recovering === true) return;
    const kind = failureKindOf(l.health, false);
    if (kind === (l.failure ?? null) && !again) return;
    l.failure = kind;
    if (kind === null) {
      quietly(coordinator, { type: 'recovery.clear', instance: String(l.ref) });
      if (l.ejected === true || l.circuitOpen === true) { l.ejected = false; l.circuitOpen = false; ctx.timers.cancel(`break:${l.name}`); publish(l); }
      return;
    }
    let instances = 0;
    let ejected = 0;
    for (const o of core.local.values()) {
      if (o.phase === 'draining') continue;
      instances++;
      if (o.ejected === true || o.circuitOpen === true) ejected++;
    }
    const failure = { service: def.name, instance: String(l.ref), kind, detectedAtMs: ctx.now(), reasons: [...l.health.reasons], instances, ejected };
    quietly(coordinator, { type: 'recovery.failure', failure, policy: def.recovery.policy, executor: ctx.self as ActorRef<RecoverCommand> });
  };

  /** Carries out what the coordinator decided about one of this node's instances. */
  const recover = (ctx: Ctx, l: LocalInstance, m: RecoverCommand): void => {
    switch (m.action) {
      case 'restart':
        l.recovering = true;
        ctx.stop(l.ref as ActorRef<never>); // the service starts a fresh instance of its ordinal
        return;
      case 'redeploy':
        l.recovering = true;
        startDrain(ctx, l, def.drain.deadlineMs, undefined);
        reconcile(ctx); // the fresh instance starts now, while this one drains
        return;
      case 'reroute':
        l.ejected = true;
        publish(l);
        return;
      case 'circuit-break':
        // the callers' routers open their breaker for it (routing around it), then let one trial through
        l.circuitOpen = true;
        publish(l);
        ctx.timers.startSingle(`break:${l.name}`, { type: 'service.unbreak', name: l.name }, m.breakMs);
        return;
      default:
        assertNever(m.action);
    }
  };

  const spawnInstance = (ctx: Ctx, ordinal: number): void => {
    const name = core.nextName(ordinal);
    const behavior = def.probes === undefined ? def.behavior : probeSeam.wrap(def.behavior, def.probes);
    let ref: ActorRef<unknown>;
    try {
      ref = ctx.spawn(behavior, name, { restart: 'transient', shutdown: def.shutdownMs });
    } catch (e) {
      if (isTroupeError(e, 'system-terminated') || isTroupeError(e, 'actor-dead')) return; // shutting down
      throw e;
    }
    ctx.watch(ref as ActorRef<never>, { type: 'service.terminated', name });
    const id = `${def.name}-${ordinal}`;
    const now = ctx.now();
    const probed = def.probes !== undefined && probeSeam.attach(ctx as ActorContext<never>, { id, name, ref }, def.probes, ctx.self, def.name);
    const l: LocalInstance = { name, ordinal, id, ref, startedAtMs: now, health: probed ? startingHealth(now) : startedHealth(now), phase: 'running', movingSinceMs: undefined, drain: undefined };
    core.local.set(name, l);
    publish(l);
  };

  const check = (l: LocalInstance, ctx: Ctx): void => {
    l.drain!.seq++;
    checkDrain(l.ref, l.name, l.drain!.seq, ctx.self as ActorRef<DrainChecked>);
  };

  const startDrain = (ctx: Ctx, l: LocalInstance, deadlineMs: number, waiter: ActorRef<DrainResult> | undefined): void => {
    if (l.drain !== undefined) { if (waiter) l.drain.waiters.push(waiter); return; }
    l.phase = 'draining';
    l.movingSinceMs = undefined;
    ctx.timers.cancel(`handover:${l.name}`);
    l.drain = { startedAtMs: ctx.now(), seq: 0, last: undefined, outcome: undefined, waiters: waiter ? [waiter] : [] };
    publish(l);
    ctx.timers.startSingle(`deadline:${l.name}`, { type: 'service.deadline', name: l.name }, deadlineMs);
    check(l, ctx);
  };

  const finish = (ctx: Ctx, l: LocalInstance, outcome: 'drained' | 'deadline'): void => {
    l.drain!.outcome = outcome;
    ctx.timers.cancel(`recheck:${l.name}`);
    ctx.stop(l.ref as ActorRef<never>);
  };

  const answerDrains = (l: LocalInstance, nowMs: number): void => {
    if (l.drain === undefined) return;
    const result: DrainResult = { service: def.name, instance: l.id, address: String(l.ref), node: core.node, outcome: l.drain.outcome ?? 'stopped', tookMs: nowMs - l.drain.startedAtMs };
    for (const w of l.drain.waiters) quietly(w, result);
    l.drain.waiters.length = 0;
  };

  /**
   * Moves this node toward the plan: instances of ordinals placed elsewhere hand over (serve until
   * the replacement is ready there, at most `handoverMs`) and then drain; ordinals no longer
   * placed drain now; ordinals placed here without an instance that is not draining get one.
   */
  const reconcile = (ctx: Ctx): void => {
    if (!core.settled) return;
    const plan = core.plan();
    const now = ctx.now();
    for (const l of [...core.local.values()]) {
      if (l.phase === 'draining') continue;
      const target = l.ordinal < plan.placed ? plan.nodeOf[l.ordinal] : undefined;
      if (target === core.node) {
        if (l.phase === 'moving') { l.phase = 'running'; l.movingSinceMs = undefined; ctx.timers.cancel(`handover:${l.name}`); }
        continue;
      }
      if (target === undefined) { startDrain(ctx, l, def.drain.deadlineMs, undefined); continue; }
      if (l.phase !== 'moving') { l.phase = 'moving'; l.movingSinceMs = now; }
      const waited = now - l.movingSinceMs!;
      if (waited >= def.handoverMs || core.readyOn(l.ordinal, target)) startDrain(ctx, l, def.drain.deadlineMs, undefined);
      else ctx.timers.startSingle(`handover:${l.name}`, { type: 'service.handover' }, def.handoverMs - waited);
    }
    const active = new Set<number>();
    let moving = false;
    for (const l of core.local.values()) {
      if (l.phase !== 'draining') active.add(l.ordinal);
      if (l.phase === 'moving') moving = true;
    }
    for (let i = 0; i < plan.placed; i++) if (plan.nodeOf[i] === core.node && !active.has(i)) spawnInstance(ctx, i);
    movingHere = moving;
    follow(ctx);
  };

  let movingHere = false;
  /** Follows the instances' listing while it matters: an instance hands over, or instances on suspect nodes are being recovered. */
  const follow = (ctx: Ctx): void => {
    const want = movingHere || core.suspectReported.size > 0 || core.remoteMoves.size > 0;
    if (want === core.following) return;
    core.following = want;
    if (want) host.receptionist.subscribe(def.key, ctx.self as ActorRef<Listing<M>>);
    else host.receptionist.unsubscribe(def.key, ctx.self as ActorRef<Listing<M>>);
  };

  /**
   * Reports each instance on a node this node suspects (and whose ordinal is still placed there)
   * to the recovery coordinator as `node-suspect`, with where a redeploy would put it; clears those
   * no longer suspect, moved or gone.
   */
  const checkSuspects = (ctx: Ctx): void => {
    const coordinator = host.recovery;
    const cluster = host.cluster;
    if (coordinator === undefined || cluster === undefined || !core.settled) return;
    const suspects = cluster.suspected().filter((n) => n !== core.node);
    const seen = new Set<string>();
    if (suspects.length > 0) {
      const plan = core.plan();
      const listed = core.listed();
      for (const i of listed) {
        if (!suspects.includes(i.node)) continue;
        const ordinal = ordinalOf(i.ref);
        if (ordinal === undefined || plan.nodeOf[ordinal] !== i.node) continue; // moving away already
        const address = String(i.ref);
        seen.add(address);
        if (core.suspectReported.has(address)) continue;
        core.suspectReported.set(address, i.node);
        const target = core.redeployTarget(ordinal, suspects);
        const failure = {
          service: def.name, instance: address, kind: 'node-suspect' as const, detectedAtMs: ctx.now(),
          reasons: [`node ${i.node} is suspect to the failure detector of node ${core.node}`], instances: listed.length, ejected: 0, node: i.node, ...(target === undefined ? {} : { target }),
        };
        quietly(coordinator, { type: 'recovery.failure', failure, policy: def.recovery.policy, executor: ctx.self as ActorRef<RecoverCommand> });
      }
    }
    for (const address of [...core.suspectReported.keys()]) {
      if (seen.has(address)) continue;
      core.suspectReported.delete(address);
      quietly(coordinator, { type: 'recovery.clear', instance: address });
    }
    follow(ctx);
  };

  /** A redeploy of an instance on another node is over once its fresh instance is ready where it went, or the old one is gone. */
  const checkRemoteMoves = (ctx: Ctx): void => {
    if (core.remoteMoves.size === 0) return;
    const listed = core.listed();
    for (const [address, m] of [...core.remoteMoves]) {
      const old = listed.some((i) => String(i.ref) === address);
      const fresh = listed.some((i) => i.node === m.to && ordinalOf(i.ref) === m.ordinal && String(i.ref) !== address && i.metadata.ready !== false && i.metadata.health !== 'unhealthy');
      if (old && !fresh) continue;
      core.remoteMoves.delete(address);
      if (host.recovery !== undefined) quietly(host.recovery, { type: 'recovery.done', instance: address });
    }
    follow(ctx);
  };

  /**
   * Redeploys an instance of another node (its node is suspect): its ordinal is moved away from
   * that node (and the nodes suspect now) — every node re-plans, a fresh instance starts where the
   * placement rules allow, and the old one hands over if its node hears of it. When no other node
   * qualifies, the instance's own node is asked to drain it (a fresh one there takes its place).
   */
  const redeployRemote = (ctx: Ctx, i: ServiceInstance<M>): boolean => {
    const ordinal = ordinalOf(i.ref);
    if (ordinal === undefined) return false;
    const avoid = [...new Set([i.node, ...(host.cluster?.suspected() ?? [])])].sort();
    const target = core.redeployTarget(ordinal, avoid);
    if (target === undefined) return false;
    const address = String(i.ref);
    if (target.fallback === undefined) {
      const prior = core.moves.get(ordinal);
      mergeMoves(core.moves, [{ ordinal, avoid, hosts: core.hostsKey(), version: (prior?.version ?? 0) + 1, writer: core.node }]);
      core.movesVersion++;
      broadcast();
      reconcile(ctx);
    } else {
      const peer = core.peerOn(i.node);
      if (peer !== undefined) quietly(peer.ref, { type: 'service.drain', service: def.name, instance: address, forwarded: true });
    }
    core.remoteMoves.set(address, { ordinal, from: i.node, to: target.node });
    checkSuspects(ctx);
    follow(ctx);
    return true;
  };

  const status = (ctx: Ctx, scope: 'cluster' | 'node' | undefined, replyTo: ActorRef<unknown>): void => {
    const own = core.status();
    if (scope === 'node') { quietly(replyTo, own); return; }
    const others = core.peers().filter((p) => p.node !== core.node);
    void Promise.all(others.map((p) => ctx.ask<unknown, PeerMsg>(p.ref, (r) => ({ type: 'service.status', service: def.name, scope: 'node', replyTo: r as ActorRef<never> }), { timeoutMs: host.statusTimeoutMs })
      .then((v) => [p.node, v] as const, () => [p.node, undefined] as const)))
      .then((answers) => quietly(replyTo, core.merge(own, answers)));
  };

  return defineActor<ServiceActorMsg, undefined>({
    name: `service:${def.name}`,
    supervision: { strategy: 'one-for-one', intensity: def.recovery.intensity, backoff: def.recovery.backoff },
    init: (ctx) => {
      // a previous incarnation of this actor stopped its instances with it
      for (const l of core.local.values()) answerDrains(l, ctx.now());
      core.local.clear();
      core.greeted = new Set();
      const r = host.receptionist;
      r.register(core.peerKey, ctx.self as ActorRef<PeerMsg>, { version: def.version, ...(host.zone === undefined ? {} : { zone: host.zone }) });
      r.subscribe(core.peerKey, ctx.self as ActorRef<Listing<PeerMsg>>);
      if (host.syncIntervalMs > 0) ctx.timers.startPeriodic('sync', { type: 'service.tick' }, host.syncIntervalMs);
      core.clusterEvents?.unsubscribe();
      core.clusterEvents = host.recovery === undefined ? undefined : host.cluster?.events$.subscribe((e) => {
        if (e.type === 'member-suspect' || e.type === 'member-trusted' || e.type === 'member-down' || e.type === 'member-removed') quietly(ctx.self, { type: 'service.suspects' });
      });
      if (!core.settled) ctx.timers.startSingle('settle', { type: 'service.settle' }, host.settleMs);
      greet();
      checkSettled(ctx);
      reconcile(ctx);
      return undefined;
    },
    receive: (_s, msg, ctx) => {
      switch (msg.type) {
        case 'service.scale': {
          if (msg.service !== def.name || !Number.isSafeInteger(msg.count) || msg.count < 0 || msg.count > MAX_INSTANCES) return reject(ctx, msg);
          const previous = core.desired.count;
          core.desired = write(core.desired, msg.count, core.node);
          broadcast();
          reconcile(ctx);
          if (msg.replyTo) quietly(msg.replyTo, { service: def.name, previous, count: core.desired.count, version: core.desired.version });
          return;
        }
        case 'service.drain': {
          if (msg.service !== def.name || typeof msg.instance !== 'string' ||
              (msg.deadlineMs !== undefined && !(msg.deadlineMs > 0 && Number.isFinite(msg.deadlineMs)))) return reject(ctx, msg);
          const l = core.findLocal(msg.instance);
          if (l !== undefined) {
            startDrain(ctx, l, msg.deadlineMs ?? def.drain.deadlineMs, msg.replyTo);
            reconcile(ctx); // the replacement starts now, while this one drains
            return;
          }
          const remote = msg.forwarded ? undefined : core.findRemote(msg.instance);
          const peer = remote && core.peerOn(remote.node);
          if (peer !== undefined) { quietly(peer.ref, { ...msg, forwarded: true }); return; }
          if (msg.replyTo) quietly(msg.replyTo, { service: def.name, instance: msg.instance, address: '', node: core.node, outcome: 'not-found', tookMs: 0 });
          return;
        }
        case 'service.status':
          if (msg.service !== def.name) return reject(ctx, msg);
          return status(ctx, msg.scope, msg.replyTo);
        case 'health': {
          if (typeof msg.instance !== 'string' || !isInstanceHealth(msg.health)) return reject(ctx, msg);
          const l = core.findLocal(msg.instance);
          if (l === undefined) return; // an instance that has gone: nothing to update
          l.health = Object.freeze({ ...msg.health, reasons: Object.freeze([...msg.health.reasons]) });
          publish(l);
          reportFailure(l, ctx);
          return;
        }
        case 'service.recover': {
          const l = core.findLocal(msg.instance);
          if (l !== undefined && String(l.ref) === msg.instance) { recover(ctx, l, msg); return; }
          const remote = msg.action === 'redeploy' ? core.listed().find((i) => i.node !== core.node && String(i.ref) === msg.instance) : undefined;
          if (remote !== undefined && redeployRemote(ctx, remote)) return;
          if (host.recovery !== undefined) quietly(host.recovery, { type: 'recovery.done', instance: msg.instance }); // gone already
          return;
        }
        case 'service.suspects':
          checkSuspects(ctx);
          return;
        case 'service.unbreak': {
          const l = core.local.get(msg.name);
          if (l === undefined || l.circuitOpen !== true) return;
          l.circuitOpen = false; // the routers' breakers are half-open by now; a failure that persists is reported again
          publish(l);
          reportFailure(l, ctx, true);
          return;
        }
        case 'listing':
          if (msg.key.id === core.peerKey.id) {
            greet();
            checkSettled(ctx);
            reconcile(ctx);
          } else if (core.following) {
            reconcile(ctx); // an instance handing over may find its replacement ready now
            checkRemoteMoves(ctx);
            checkSuspects(ctx);
          }
          return;
        case 'service.desired': {
          if (msg.service !== def.name || msg.from === core.node || !(msg.count <= MAX_INSTANCES)) return;
          core.heard.add(msg.from);
          const theirs = { count: msg.count, version: msg.version, writer: msg.writer };
          if (Array.isArray(msg.moves) && mergeMoves(core.moves, msg.moves)) core.movesVersion++;
          if (supersedes(theirs, core.desired)) core.desired = theirs;
          else if (msg.reply || supersedes(core.desired, theirs)) {
            const p = core.peerOn(msg.from);
            if (p !== undefined) quietly(p.ref, desiredMsg(false));
          }
          checkSettled(ctx);
          reconcile(ctx);
          return;
        }
        case 'service.checked': {
          const l = core.local.get(msg.name);
          const d = l?.drain;
          if (l === undefined || d === undefined || d.outcome !== undefined || msg.seq !== d.seq) return;
          if (d.last === msg.processed) return finish(ctx, l, 'drained');
          d.last = msg.processed;
          ctx.timers.startSingle(`recheck:${l.name}`, { type: 'service.recheck', name: l.name }, def.drain.quietMs);
          return;
        }
        case 'service.recheck': {
          const l = core.local.get(msg.name);
          if (l?.drain !== undefined && l.drain.outcome === undefined) check(l, ctx);
          return;
        }
        case 'service.deadline': {
          const l = core.local.get(msg.name);
          if (l?.drain !== undefined && l.drain.outcome === undefined) finish(ctx, l, 'deadline');
          return;
        }
        case 'service.terminated': {
          const l = core.local.get(msg.name);
          if (l === undefined) return;
          core.local.delete(msg.name);
          for (const t of ['deadline', 'recheck', 'handover']) ctx.timers.cancel(`${t}:${l.name}`);
          answerDrains(l, ctx.now());
          if (l.recovering === true && host.recovery !== undefined) quietly(host.recovery, { type: 'recovery.done', instance: String(l.ref) });
          if (l.phase !== 'draining') reconcile(ctx); // a drained one was replaced when its drain began
          return;
        }
        case 'service.tick':
          broadcast();
          checkSettled(ctx);
          reconcile(ctx);
          checkSuspects(ctx);
          checkRemoteMoves(ctx);
          return;
        case 'service.settle':
          core.settled = true;
          reconcile(ctx);
          return;
        case 'service.handover':
          reconcile(ctx);
          return;
        default:
          return assertNever(msg);
      }
    },
    signal: (_s, signal, ctx) => {
      if (signal.type === 'stopped') {
        core.clusterEvents?.unsubscribe();
        for (const l of core.local.values()) answerDrains(l, ctx.now());
      }
    },
  });
}
