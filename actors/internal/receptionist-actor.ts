// The receptionist actor: hosts a ReceptionistCore, watches registered actors, follows cluster
// membership and peer messages, and runs the periodic status digest on the system scheduler.

import type { Subscription } from 'rxjs';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorContext } from '../../runtime/context.ts';
import type { Cluster } from '../../runtime/cluster/node.ts';
import type { ClusterEvent } from '../../runtime/cluster/membership.ts';
import { assertNever, TroupeError } from '../../runtime/errors.ts';
import type { ReceptionistCore } from './receptionist-core.ts';
import type { PeerMsg } from './receptionist-protocol.ts';
import type { SystemCore } from '../../runtime/internal/system-core.ts';
import { resolveMetadata, type InstanceMetadata, type Listing, type ServiceKey, type ServiceMetadata } from './receptionist-service.ts';
import { untracedActor } from '../../runtime/observe/internal/untraced-actors.ts';
import { tellQuietly as quietly } from './tell-quietly.ts';

/**
 * What any local actor may send to a receptionist's `ref` (the message form of the API):
 * register or deregister a local actor under a key, subscribe or unsubscribe a local actor to a
 * key's {@link Listing}. An invalid command (a ref of another node, bad metadata) is dropped to
 * dead letters with reason `undeliverable`; the receptionist carries on.
 */
export type ReceptionistCommand =
  | { readonly type: 'receptionist.register'; readonly key: ServiceKey<unknown>; readonly ref: ActorRef<unknown>; readonly metadata?: ServiceMetadata }
  | { readonly type: 'receptionist.deregister'; readonly key: ServiceKey<unknown>; readonly ref: ActorRef<unknown> }
  | { readonly type: 'receptionist.subscribe'; readonly key: ServiceKey<unknown>; readonly subscriber: ActorRef<Listing<unknown>> }
  | { readonly type: 'receptionist.unsubscribe'; readonly key: ServiceKey<unknown>; readonly subscriber: ActorRef<Listing<unknown>> };

/** Messages the receptionist sends itself. */
type InternalMsg =
  | { readonly type: 'receptionist.watch'; readonly ref: ActorRef<never> }
  | { readonly type: 'receptionist.terminated'; readonly ref: ActorRef<never> }
  | { readonly type: 'receptionist.member'; readonly event: ClusterEvent }
  | { readonly type: 'receptionist.found'; readonly node: string; readonly incarnation: number; readonly ref: ActorRef<PeerMsg> | undefined }
  | { readonly type: 'receptionist.tick' };

/** Everything a receptionist actor handles. */
export type ReceptionistMsg = ReceptionistCommand | PeerMsg | InternalMsg;

interface State { readonly events: Subscription | undefined }

/** Drops an invalid command to dead letters (an actor's bad request must not fail the receptionist). */
function reject(ctx: ActorContext<ReceptionistMsg>, msg: ReceptionistCommand, state: State): State {
  (ctx.system as unknown as SystemCore).deadLetter(ctx.self.proc, msg, 'undeliverable');
  return state;
}

/** Throws `invalid-argument` unless `ref` lives in the receptionist's own system. */
export function checkLocal(ref: ActorRef<unknown>, system: { name: string; node: string }, where: string): void {
  const a = ref?.address;
  if (a === undefined || a.node !== system.node || a.system !== system.name) {
    throw new TroupeError('invalid-argument', `${where}: ${String(ref)} is not an actor of node "${system.node}"; use the receptionist of the node the actor lives on.`);
  }
}

/**
 * Defines the receptionist actor over `core`. `statusIntervalMs` > 0 sends a status digest to
 * every peer that often (and retries discovery of members whose receptionist was not found).
 */
export function defineReceptionistActor(core: ReceptionistCore, cluster: Cluster | undefined, statusIntervalMs: number): ActorDefinition<ReceptionistMsg, State> {
  const watch = (ctx: ActorContext<ReceptionistMsg>, ref: ActorRef<never>): void => ctx.watch(ref, { type: 'receptionist.terminated', ref });

  return untracedActor(defineActor<ReceptionistMsg, State>({
    name: 'receptionist',
    init: (ctx) => {
      core.self = ctx.self as ActorRef<PeerMsg>;
      core.onFound = (node, incarnation, ref) => quietly(ctx.self, { type: 'receptionist.found', node, incarnation, ref });
      for (const ref of core.watched()) watch(ctx, ref);
      if (cluster === undefined) return { events: undefined };
      const events = cluster.events$.subscribe((event) => {
        if (event.type === 'member-up' || event.type === 'member-down' || event.type === 'member-removed') quietly(ctx.self, { type: 'receptionist.member', event });
      });
      if (statusIntervalMs > 0) ctx.timers.startPeriodic('status', { type: 'receptionist.tick' }, statusIntervalMs);
      core.discoverAll();
      return { events };
    },
    receive: (state, msg, ctx) => {
      switch (msg.type) {
        case 'receptionist.register': {
          let metadata: InstanceMetadata;
          try {
            checkLocal(msg.ref, ctx.system, 'receptionist.register');
            metadata = resolveMetadata(msg.metadata, 'receptionist.register');
          } catch { return reject(ctx, msg, state); }
          core.register(msg.key.id, msg.ref, metadata);
          if (core.needsWatch(msg.ref)) watch(ctx, msg.ref as ActorRef<never>);
          return state;
        }
        case 'receptionist.deregister': core.deregister(msg.key.id, msg.ref); return state;
        case 'receptionist.subscribe': {
          const key = msg.key;
          try { checkLocal(msg.subscriber, ctx.system, 'receptionist.subscribe'); } catch { return reject(ctx, msg, state); }
          core.subscribe(key.id, msg.subscriber, (instances) => ({ type: 'listing', key, instances }));
          if (core.needsWatch(msg.subscriber)) watch(ctx, msg.subscriber as ActorRef<never>);
          return state;
        }
        case 'receptionist.unsubscribe': core.unsubscribe(msg.key.id, msg.subscriber); return state;
        case 'receptionist.sync':
        case 'receptionist.delta':
        case 'receptionist.status': core.onPeer(msg); return state;
        case 'receptionist.watch': watch(ctx, msg.ref); return state;
        case 'receptionist.terminated': core.terminated(msg.ref); return state;
        case 'receptionist.found': core.found(msg.node, msg.incarnation, msg.ref); return state;
        case 'receptionist.tick': core.tick(); return state;
        case 'receptionist.member': {
          const e = msg.event;
          if (e.type === 'member-up') core.memberUp(e.member);
          else if (e.type === 'member-down' || e.type === 'member-removed') core.memberGone(e.member);
          return state;
        }
        default: return assertNever(msg);
      }
    },
    signal: (state, signal) => {
      if (signal.type === 'pre-restart') state.events?.unsubscribe();
      if (signal.type === 'stopped') {
        state.events?.unsubscribe();
        core.retire();
        core.store.close();
      }
      return state;
    },
  }));
}
