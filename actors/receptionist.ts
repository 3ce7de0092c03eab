// Service discovery (Akka's receptionist): actors register under typed service keys; every
// node's receptionist replicates the others' registrations, so each node sees the whole cluster.

import { Observable } from 'rxjs';
import type { ActorRef } from '../runtime/actor-ref.ts';
import type { ClusterNode } from '../runtime/cluster/node.ts';
import { TroupeError } from '../runtime/errors.ts';
import { validateName } from '../runtime/spawn-options.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { checkLocal, defineReceptionistActor, type ReceptionistCommand, type ReceptionistMsg } from './internal/receptionist-actor.ts';
import { ReceptionistCore } from './internal/receptionist-core.ts';
import { resolveMetadata, type Listing, type ServiceInstance, type ServiceKey, type ServiceMetadata } from './internal/receptionist-service.ts';

export { defineServiceKey, type ServiceKey, type ServiceInstance, type ServiceMetadata, type InstanceMetadata, type ServiceHealth, type Listing } from './internal/receptionist-service.ts';
export { registerReceptionistMessages, RECEPTIONIST_MESSAGE_TYPES } from './internal/receptionist-protocol.ts';
export type { ReceptionistCommand } from './internal/receptionist-actor.ts';

/**
 * Options of {@link createReceptionist}. Defaults: `name` `'receptionist'` (the actor lives at
 * `/user/<name>`; every node of a cluster must use the same name, that is where peers look),
 * `statusIntervalMs` 2 000 (how often a status digest goes to each peer so lost deltas are
 * repaired and missed peers found; 0 turns it off), `identifyTimeoutMs` 3 000 (how long to wait
 * for a new member to say where its receptionist is).
 */
export interface ReceptionistOptions {
  readonly name?: string;
  readonly statusIntervalMs?: number;
  readonly identifyTimeoutMs?: number;
}

/** A node's receptionist; see {@link createReceptionist}. */
export interface Receptionist {
  /** The receptionist actor; local actors may send it {@link ReceptionistCommand}s. */
  readonly ref: ActorRef<ReceptionistCommand>;
  /** The system it runs in. */
  readonly system: ActorSystem;
  /**
   * Registers a local actor under `key`, or updates its metadata when it is registered already
   * (same ref: the listing changes in place, e.g. a new weight). Takes effect at once on this node
   * and reaches the other nodes as a delta. The actor is watched: when it terminates it is
   * deregistered everywhere. Throws `invalid-argument` for a ref of another node or bad metadata.
   */
  register<M>(key: ServiceKey<M>, ref: ActorRef<NoInfer<M>>, metadata?: ServiceMetadata): void;
  /** Removes one registration (no-op when absent); at once here, as a delta elsewhere. */
  deregister<M>(key: ServiceKey<M>, ref: ActorRef<NoInfer<M>>): void;
  /**
   * The instances of `key` on every node this receptionist knows, sorted by node then address.
   * A frozen array, the same one until the listing changes.
   */
  instances<M>(key: ServiceKey<M>): readonly ServiceInstance<M>[];
  /** The listing of `key`: emits it on subscribe and again after every change; completes when the receptionist stops. */
  listing$<M>(key: ServiceKey<M>): Observable<readonly ServiceInstance<M>[]>;
  /** Sends a local actor a {@link Listing} of `key` now and after every change, until it or the subscription ends. */
  subscribe<M>(key: ServiceKey<M>, subscriber: ActorRef<Listing<M>>): void;
  /** Stops the listings `subscribe` started for this key and actor. */
  unsubscribe<M>(key: ServiceKey<M>, subscriber: ActorRef<Listing<M>>): void;
}

function isClusterNode(t: ActorSystem | ClusterNode): t is ClusterNode {
  return typeof t === 'object' && t !== null && 'cluster' in t && 'system' in t;
}

function checkKey(key: ServiceKey<unknown>, where: string): void {
  if (key?.kind !== 'service-key' || typeof key.id !== 'string') throw new TroupeError('invalid-argument', `${where}: expected a key made by defineServiceKey(id).`);
}

/**
 * Spawns the receptionist of a system or cluster node and returns its API. On a node it finds
 * the receptionists of the other members (at the same path) as they come up, sends each a full
 * sync, then a delta per change; when a member goes down or is removed its instances disappear
 * at once. Every node must declare the peer messages with {@link registerReceptionistMessages}.
 * Spawning a second receptionist with the same name throws `duplicate-name`.
 *
 * @example
 * const Orders = defineServiceKey<OrderMsg>('orders');
 * const receptionist = createReceptionist(node);
 * receptionist.register(Orders, node.system.spawn(orders, 'orders'), { zone: 'eu-1' });
 * receptionist.listing$(Orders).subscribe((list) => console.log(list.map((i) => i.node)));
 */
export function createReceptionist(target: ActorSystem | ClusterNode, options: ReceptionistOptions = {}): Receptionist {
  const system = isClusterNode(target) ? target.system : target;
  const cluster = isClusterNode(target) ? target.cluster : undefined;
  const name = options.name ?? 'receptionist';
  validateName(name, 'createReceptionist');
  const statusIntervalMs = options.statusIntervalMs ?? 2_000;
  const identifyTimeoutMs = options.identifyTimeoutMs ?? 3_000;
  if (!(statusIntervalMs >= 0) || !Number.isFinite(statusIntervalMs)) throw new TroupeError('invalid-argument', `createReceptionist: statusIntervalMs must be a finite number ≥ 0 (0 turns the digest off), got ${statusIntervalMs}.`);
  if (!(identifyTimeoutMs > 0) || !Number.isFinite(identifyTimeoutMs)) throw new TroupeError('invalid-argument', `createReceptionist: identifyTimeoutMs must be a finite number > 0, got ${identifyTimeoutMs}.`);

  const core = new ReceptionistCore({ node: system.node, path: `/user/${name}`, identifyTimeoutMs, cluster });
  const ref = system.spawn(defineReceptionistActor(core, cluster, statusIntervalMs), name);
  core.self ??= ref as ActorRef<never>;
  const self = ref as ActorRef<ReceptionistMsg>;
  const watch = (r: ActorRef<unknown>): void => { if (core.needsWatch(r)) self.tell({ type: 'receptionist.watch', ref: r as ActorRef<never> }); };

  return {
    ref: ref as ActorRef<ReceptionistCommand>,
    system,
    register(key, actor, metadata) {
      checkKey(key, 'receptionist.register');
      checkLocal(actor, system, 'receptionist.register');
      core.register(key.id, actor, resolveMetadata(metadata, 'receptionist.register'));
      watch(actor);
    },
    deregister(key, actor) {
      checkKey(key, 'receptionist.deregister');
      core.deregister(key.id, actor);
    },
    instances: <M>(key: ServiceKey<M>) => core.store.instances(key.id) as readonly ServiceInstance<M>[],
    listing$: <M>(key: ServiceKey<M>) => new Observable<readonly ServiceInstance<M>[]>((sub) => {
      checkKey(key, 'receptionist.listing$');
      sub.next(core.store.instances(key.id) as readonly ServiceInstance<M>[]);
      return core.store.observe(key.id, { next: (list) => sub.next(list as readonly ServiceInstance<M>[]), complete: () => sub.complete() });
    }),
    subscribe(key, subscriber) {
      checkKey(key, 'receptionist.subscribe');
      checkLocal(subscriber, system, 'receptionist.subscribe');
      core.subscribe(key.id, subscriber, (instances) => ({ type: 'listing', key, instances }) satisfies Listing<unknown>);
      watch(subscriber);
    },
    unsubscribe(key, subscriber) {
      core.unsubscribe(key.id, subscriber);
    },
  };
}
