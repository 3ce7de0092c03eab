// A node's service host: starts services on this node, and hands out each service's handle —
// scale, drain, status (plain data) and a router that follows the instances live.

import type { RecoveryMsg } from '../recovery/recovery-coordinator.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { validateName } from '../../runtime/spawn-options.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import type { ServiceKey } from '../internal/receptionist-service.ts';
import type { Receptionist } from '../receptionist.ts';
import { createRouter, type Router, type RouterBreakerOptions, type RoutingStrategy } from '../router.ts';
import type { Random } from '../../runtime/random.ts';
import { MAX_INSTANCES, type ServiceDefinition } from './define-service.ts';
import type { DrainResult, ScaleResult, ServiceCommand, ServiceMsg } from './service-protocol.ts';
import type { ServiceStatus } from './service-status.ts';
import { defineHostActor, type HostMsg } from './internal/host-actor.ts';
import { defineServiceActor, type ServiceActorMsg } from './internal/service-actor.ts';
import { ServiceCore } from './internal/service-core.ts';
import type { ActorDefinition } from '../../runtime/behavior.ts';

/**
 * Options of {@link createServiceHost}. `receptionist` (required): this node's receptionist, through
 * which hosts find each other and instances are listed. Defaults: `name` `'services'` (the host
 * lives at `/user/<name>`, each service at `/user/<name>/<service>`; use the same name on every
 * node), `zone` none (this node's zone for `spread: 'zones'` and `placement.zones`; also put in its
 * instances' metadata), `settleMs` 3 000 (how long a service started on a node of a cluster waits
 * at most to hear which nodes host it and the desired count before it places instances — it places
 * at once when every up member has answered; a single system places at once), `syncIntervalMs`
 * 2 000 (how often the desired count is re-sent to every peer, repairing lost messages; 0 turns
 * it off), `statusTimeoutMs` 1 000 (how long a cluster status waits for each node).
 */
export interface ServiceHostOptions {
  readonly receptionist: Receptionist;
  readonly name?: string;
  readonly zone?: string;
  readonly settleMs?: number;
  readonly syncIntervalMs?: number;
  readonly statusTimeoutMs?: number;
  /** A recovery coordinator (`createRecoveryCoordinator(node)`): failures its probes detect are recovered per each service's `recovery.policy`. Default none. */
  readonly recovery?: { readonly ref: ActorRef<RecoveryMsg> };
}

/**
 * Options of {@link Service.router}: the routing strategy (default `'round-robin'`), its random, a
 * name for dead letters (default the service name), and its per-instance circuit breakers
 * (`breaker`, on by default: 5 consecutive failed asks open an instance's breaker for the
 * service's `recovery.policy.breakMs` (5 000), then one trial ask; at most the policy's
 * `maxEjectedFraction` (0.5) of the instances open, never the last; `false` turns them off).
 */
export interface ServiceRouterOptions<M> {
  readonly strategy?: RoutingStrategy<M>;
  readonly random?: Random;
  readonly name?: string;
  readonly breaker?: RouterBreakerOptions | false;
}

/** Options of {@link Service.drain}. `deadlineMs` defaults to the service's `drain.deadlineMs` (10 000). */
export interface DrainOptions {
  readonly deadlineMs?: number;
}

/** Options of {@link Service.status}. `scope` `'cluster'` (default: every hosting node answers) or `'node'` (this node's instances). */
export interface StatusOptions {
  readonly scope?: 'cluster' | 'node';
}

/** A service started on this node; every method goes through the service's actor here. */
export interface Service<M> {
  readonly name: string;
  readonly definition: ServiceDefinition<M>;
  /** The key its instances are registered under, for routers and listings. */
  readonly key: ServiceKey<M>;
  /** The service's actor on this node (its current incarnation): send it {@link ServiceMsg}s. */
  readonly ref: ActorRef<ServiceMsg>;
  /**
   * Sets the desired instance count (an integer 0 … 10 000; otherwise rejects `invalid-argument`)
   * on every node: the write is replicated, last writer wins. Scaling down stops the highest
   * ordinals — the newest — each drained first. Resolves once this node has applied it.
   */
  scale(count: number): Promise<ScaleResult>;
  /**
   * Drains one instance (by id such as `'orders-2'`, address, or ref), wherever it runs: routers
   * stop sending it work at once (it is marked not ready), a fresh instance of the same ordinal
   * starts, and it stops once its in-flight work is done and nothing new came for `drain.quietMs`,
   * or at `deadlineMs`. Resolves when it has stopped; rejects `unknown-instance` when no such
   * instance runs.
   */
  drain(instance: string | ActorRef<M>, options?: DrainOptions): Promise<DrainResult>;
  /** The service's status as plain data; see {@link ServiceStatus}. */
  status(options?: StatusOptions): Promise<ServiceStatus>;
  /**
   * A router over the service's instances, live: it sends only to instances that are ready, not
   * unhealthy and on a reachable node, and sees instances come, go, drain and change health at
   * its next message. It runs in the caller (no extra actor hop). It keeps a circuit breaker per
   * instance (see {@link ServiceRouterOptions}): it routes around open ones and rejects an ask
   * `circuit-open` only when every instance that could take it is open.
   */
  router(options?: ServiceRouterOptions<M>): Router<M>;
}

/** A node's service host; see {@link createServiceHost}. */
export interface ServiceHost {
  /** The host actor: takes {@link ServiceCommand}s for any service started here. */
  readonly ref: ActorRef<ServiceCommand>;
  readonly system: ActorSystem;
  readonly zone: string | undefined;
  /**
   * Starts a service on this node and resolves with its handle. Start it on every node that may
   * run its instances (same definition); each node runs the instances placement gives it.
   * Throws `invalid-argument` for something that is not a service definition and `duplicate-name`
   * when a service of that name was started here already.
   */
  start<M>(definition: ServiceDefinition<M>): Promise<Service<M>>;
  /** The handle of a service started here, by name. */
  service<M = unknown>(name: string): Service<M> | undefined;
}

const OUTCOMES: readonly DrainResult['outcome'][] = ['drained', 'deadline', 'stopped', 'not-found'];

function isClusterNode(t: ActorSystem | ClusterNode): t is ClusterNode {
  return typeof t === 'object' && t !== null && 'cluster' in t && 'system' in t;
}

/**
 * Spawns a node's service host. Every node of a cluster that runs services creates one (same
 * `name`) next to its receptionist, and declares the service messages with
 * {@link registerServiceMessages} before `createNode`.
 *
 * Placement is a deterministic function of the service definition, the desired count and the
 * nodes that host the service (as the receptionist lists them, with their zones): every node
 * computes the same plan and starts only the instances it gets; when a node goes down or joins,
 * each node re-plans and the instances move.
 *
 * @example
 * const receptionist = createReceptionist(node);
 * const host = createServiceHost(node, { receptionist, zone: 'eu-1' });
 * const orders = await host.start(defineService({ name: 'orders', behavior: orderActor, instances: 3 }));
 * const receipt = await orders.router().ask<string>((replyTo) => ({ type: 'place', sku: 'a-1', replyTo }));
 * console.log((await orders.status()).health);
 */
export function createServiceHost(target: ActorSystem | ClusterNode, options: ServiceHostOptions): ServiceHost {
  const system = isClusterNode(target) ? target.system : target;
  const cluster = isClusterNode(target) ? target.cluster : undefined;
  const where = 'createServiceHost';
  const receptionist = options?.receptionist;
  if (receptionist === undefined || receptionist.system !== system) {
    throw new TroupeError('invalid-argument', `${where}: options.receptionist must be the receptionist of this node (createReceptionist(node)).`, { field: 'receptionist' });
  }
  const name = options.name ?? 'services';
  validateName(name, where);
  const zone = options.zone;
  if (zone !== undefined && (typeof zone !== 'string' || !/^[A-Za-z0-9_.:\-]{1,64}$/.test(zone))) {
    throw new TroupeError('invalid-argument', `${where}: zone must be 1–64 characters of letters, digits, _ . : -, got ${JSON.stringify(zone)?.slice(0, 80)}.`, { field: 'zone' });
  }
  const ms = (field: 'settleMs' | 'syncIntervalMs' | 'statusTimeoutMs', fallback: number, min: number): number => {
    const v = options[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (min > 0 && v === 0)) {
      throw new TroupeError('invalid-argument', `${where}: ${field} must be a finite number of milliseconds ${min > 0 ? '> 0' : '≥ 0'} (default ${fallback}), got ${String(v)}.`, { field });
    }
    return v;
  };
  const settings = {
    node: system.node, zone, receptionist, cluster, recovery: options.recovery?.ref,
    settleMs: ms('settleMs', 3_000, 0),
    syncIntervalMs: ms('syncIntervalMs', 2_000, 0),
    statusTimeoutMs: ms('statusTimeoutMs', 1_000, 1),
  };

  const actors = new Map<string, ActorDefinition<ServiceActorMsg, undefined>>();
  const handles = new Map<string, Service<unknown>>();
  const ref = system.spawn(defineHostActor(actors), name);
  const hostRef = ref as ActorRef<HostMsg>;
  const slack = settings.statusTimeoutMs + 5_000;

  const handle = <M>(def: ServiceDefinition<M>, first: ActorRef<ServiceActorMsg>): Service<M> => {
    const path = `/user/${name}/${def.name}`;
    const ask = <R>(msg: (replyTo: ActorRef<R>) => ServiceCommand, timeoutMs: number): Promise<R> => hostRef.ask<R>(msg, { timeoutMs });
    return Object.freeze({
      name: def.name,
      definition: def,
      key: def.key,
      get ref() { return (system.lookup<ServiceMsg>(path) ?? first) as ActorRef<ServiceMsg>; },
      scale(count: number) {
        if (!Number.isSafeInteger(count) || count < 0 || count > MAX_INSTANCES) {
          return Promise.reject(new TroupeError('invalid-argument', `${def.name}.scale: count must be an integer 0 … ${MAX_INSTANCES}, got ${String(count)}.`, { service: def.name, count }));
        }
        return ask<ScaleResult>((replyTo) => ({ type: 'service.scale', service: def.name, count, replyTo }), slack);
      },
      async drain(instance: string | ActorRef<M>, o: DrainOptions = {}) {
        const id = typeof instance === 'string' ? instance : String(instance);
        const deadlineMs = o.deadlineMs ?? def.drain.deadlineMs;
        if (!(deadlineMs > 0) || !Number.isFinite(deadlineMs)) throw new TroupeError('invalid-argument', `${def.name}.drain: deadlineMs must be a finite number > 0, got ${String(deadlineMs)}.`, { service: def.name });
        const result = await ask<DrainResult>((replyTo) => ({ type: 'service.drain', service: def.name, instance: id, deadlineMs, replyTo }), deadlineMs + def.shutdownMs + slack);
        if (typeof result !== 'object' || result === null || !OUTCOMES.includes(result.outcome)) {
          throw new TroupeError('invalid-argument', `${def.name}.drain: the instance's node answered something that is not a drain result; is it running the same Troupe version?`, { service: def.name, instance: id });
        }
        if (result.outcome === 'not-found') {
          throw new TroupeError('unknown-instance', `${def.name}.drain: no instance "${id}" runs; name it by id (e.g. "${def.name}-0"), address or ref, as status() lists them.`, { service: def.name, instance: id });
        }
        return result;
      },
      status(o: StatusOptions = {}) {
        return ask<ServiceStatus>((replyTo) => ({ type: 'service.status', service: def.name, scope: o.scope ?? 'cluster', replyTo }), slack);
      },
      router(o: ServiceRouterOptions<M> = {}) {
        const { breakMs, maxEjectedFraction } = def.recovery.policy;
        const breaker = o.breaker === false ? false : { failures: 5, openMs: breakMs, maxEjectedFraction, ...o.breaker };
        return createRouter<M>({ receptionist, key: def.key, name: o.name ?? def.name, strategy: o.strategy, random: o.random, breaker });
      },
    });
  };

  return {
    ref: ref as ActorRef<ServiceCommand>,
    system,
    zone,
    async start<M>(def: ServiceDefinition<M>): Promise<Service<M>> {
      if (typeof def !== 'object' || def === null || def.kind !== 'service') throw new TroupeError('invalid-argument', `${where}.start: expected a definition from defineService.`);
      if (actors.has(def.name)) throw new TroupeError('duplicate-name', `Service "${def.name}" was started on this node already; start each service once per node.`, { service: def.name });
      const core = new ServiceCore(def, settings);
      actors.set(def.name, defineServiceActor(core));
      const first = await hostRef.ask<ActorRef<ServiceActorMsg>>((replyTo) => ({ type: 'services.start', name: def.name, replyTo }), { timeoutMs: slack });
      const h = handle(def, first);
      handles.set(def.name, h as Service<unknown>);
      return h;
    },
    service: <M>(n: string) => handles.get(n) as Service<M> | undefined,
  };
}
