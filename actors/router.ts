// Client-side load balancing (Akka's group routers): a router sends each message to one routee
// of a service key (live, through the receptionist) or of a fixed list, by a routing strategy.

import { ActorRef } from '../runtime/actor-ref.ts';
import type { Address } from '../runtime/address.ts';
import { askProcess, failAsksIn, type AskOptions } from '../runtime/ask.ts';
import { TroupeError } from '../runtime/errors.ts';
import type { Process } from '../runtime/internal/process.ts';
import type { SystemCore } from '../runtime/internal/system-core.ts';
import type { Random } from '../runtime/random.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { untraced } from '../runtime/observe/internal/traced-message.ts';
import type { Receptionist } from './receptionist.ts';
import type { ServiceInstance, ServiceKey } from './internal/receptionist-service.ts';
import { createSelector, type Routee, type RoutingStrategy } from './internal/router-strategies.ts';

export type { RoutingStrategy } from './internal/router-strategies.ts';

/** What every router takes: the strategy (default `'round-robin'`), its random (default the system's), and a name for dead letters (default the key id, or `'router'`). */
interface CommonOptions<M> {
  readonly strategy?: RoutingStrategy<M>;
  readonly random?: Random;
  readonly name?: string;
}

/**
 * Options of {@link createRouter}: either a service `key` and the `receptionist` whose listing
 * supplies the routees (live: registrations, deregistrations, metadata and downed nodes take
 * effect at the next message), or a fixed list of `routees` and the local `system`.
 */
export type RouterOptions<M> =
  | (CommonOptions<M> & { readonly receptionist: Receptionist; readonly key: ServiceKey<M> })
  | (CommonOptions<M> & { readonly system: ActorSystem; readonly routees: readonly ActorRef<M>[] });

/** Counters of one routee. */
export interface RouteeStats {
  readonly address: string;
  readonly node: string;
  /** Messages (tells and asks) this router sent it. */
  readonly routed: number;
  /** Asks sent to it through this router and not yet settled. */
  readonly inFlight: number;
}

/** Counters of a router since it was created; `routees` lists the current candidates and any routee with asks in flight. */
export interface RouterStats {
  readonly routed: number;
  /** Tells dead-lettered and asks rejected because no routee was eligible. */
  readonly noRoutee: number;
  readonly inFlight: number;
  readonly routees: readonly RouteeStats[];
}

/** A router; see {@link createRouter}. */
export interface Router<M> {
  /**
   * Sends `msg` to one routee. With no eligible routee it goes to dead letters (recipient
   * `/router/<name>`, reason `undeliverable`), as Akka's routers do. Throws only when the strategy's
   * own code fails (`invalid-argument`: a consistent-hash `keyOf` that threw or returned a non-string).
   */
  tell(msg: M): void;
  /**
   * Asks one routee, like {@link ActorRef.ask} (same timeout default and errors). With no
   * eligible routee it rejects at once with `actor-dead`, saying there is no routee for the key.
   */
  ask<R>(make: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R>;
  /** The routees a message could go to now: alive, on an up node, not unhealthy (and weight > 0 for `weighted`). */
  routees(): readonly ServiceInstance<M>[];
  stats(): RouterStats;
}

const DEFAULT_METADATA = Object.freeze({ weight: 1, health: 'healthy' as const });

/**
 * Creates a router. Routees are skipped while their ref is not alive (a stopped local actor,
 * or a remote one whose node is down or unreachable) or their metadata says `'unhealthy'`.
 * The router lives in the caller (no actor, no extra hop); it is local to its system.
 *
 * @example
 * const orders = createRouter({ receptionist, key: Orders, strategy: { kind: 'consistent-hash', keyOf: (m) => m.customerId } });
 * const receipt = await orders.ask<string>((replyTo) => ({ type: 'place', customerId: 'c-7', replyTo }));
 */
export function createRouter<M>(options: RouterOptions<M>): Router<M> {
  const service = 'receptionist' in options ? options : undefined;
  const fixed = 'routees' in options ? options : undefined;
  const system = service?.receptionist.system ?? fixed?.system;
  if (system === undefined) throw new TroupeError('invalid-spec', 'createRouter: give { receptionist, key } or { system, routees }.');
  const name = options.name ?? service?.key.id ?? 'router';
  const where = `createRouter("${name}")`;
  const host = system as unknown as SystemCore;
  const address: Address = { system: system.name, node: system.node, path: `/router/${name}`, uid: 0 };
  const fixedList: readonly ServiceInstance<M>[] = Object.freeze((fixed?.routees ?? []).map((ref) => {
    if (!(ref instanceof ActorRef)) throw new TroupeError('invalid-spec', `${where}: routees must be actor refs.`);
    return Object.freeze({ ref, node: ref.address.node, metadata: DEFAULT_METADATA });
  }));
  const source = (): readonly ServiceInstance<M>[] => (service ? service.receptionist.instances(service.key) : fixedList);

  const counters = new Map<string, { node: string; routed: number; inFlight: number }>();
  const counter = (r: Routee<M>) => {
    let c = counters.get(r.address);
    if (c === undefined) { c = { node: r.instance.node, routed: 0, inFlight: 0 }; counters.set(r.address, c); }
    return c;
  };
  const strategy = options.strategy ?? 'round-robin';
  const weighted = typeof strategy === 'object' && strategy !== null && strategy.kind === 'weighted';
  const selector = createSelector(strategy, options.random ?? system.random, (a) => counters.get(a)?.inFlight ?? 0, where);
  const routeeOf = new WeakMap<ServiceInstance<M>, Routee<M>>();
  let listed: readonly ServiceInstance<M>[] | undefined;
  let routed = 0;
  let noRoutee = 0;
  let inFlight = 0;

  const eligible = (): Routee<M>[] => {
    const list = source();
    if (list !== listed) {
      listed = list;
      const present = new Set(list.map((i) => String(i.ref)));
      for (const [a, c] of counters) if (!present.has(a) && c.inFlight === 0) counters.delete(a);
    }
    const out: Routee<M>[] = [];
    for (const instance of list) {
      if (instance.metadata.health === 'unhealthy' || !instance.ref.alive || !selector.admits(instance)) continue;
      let r = routeeOf.get(instance);
      if (r === undefined) { r = { instance, address: String(instance.ref) }; routeeOf.set(instance, r); }
      out.push(r);
    }
    return out;
  };

  const noRouteeError = (): TroupeError => new TroupeError('actor-dead', service
    ? `No routee for service key "${service.key.id}": no registered instance is alive, on an up node and not unhealthy${weighted ? ' with a weight above 0' : ''}. Register one with receptionist.register(key, ref), or check its health and weight.`
    : `No routee in router "${name}": every routee is stopped or on a node that is down. Give the router live refs.`, { router: name, key: service?.key.id });

  const deadEnd: Process = { host, address, alive: false, deliverUser: () => 4, deliverSystem: () => {} };

  return {
    tell(msg) {
      const list = eligible();
      if (list.length === 0) { noRoutee++; host.deadLetter(deadEnd, msg, 'undeliverable'); return; }
      const chosen = selector.pick(list, msg);
      routed++;
      counter(chosen).routed++;
      chosen.instance.ref.tell(msg);
    },
    ask<R>(make: (replyTo: ActorRef<R>) => M, askOptions?: AskOptions): Promise<R> {
      const list = eligible();
      if (list.length === 0) { noRoutee++; return Promise.reject(noRouteeError()); }
      let chosen: Routee<M> | undefined;
      // One hop per ask: the ask's target is the routee it picks, so the ask fails fast when that routee's node goes down.
      const hop: Process = {
        host,
        alive: true,
        get address() { return chosen?.instance.ref.address ?? address; },
        deliverUser: (msg) => {
          const bare = untraced(msg); // tracing on: the request may carry its trace context
          try { chosen = selector.pick(list, bare as M); } catch (e) {
            failAsksIn(bare, () => e as TroupeError);
            return 4;
          }
          routed++;
          inFlight++;
          counter(chosen).inFlight++;
          counter(chosen).routed++;
          return chosen.instance.ref.offer(msg as M);
        },
        deliverSystem: () => {},
      };
      const settle = (): void => {
        if (chosen === undefined) return;
        inFlight--;
        const c = counters.get(chosen.address);
        if (c !== undefined) c.inFlight--;
      };
      return (askProcess(hop, make as (replyTo: ActorRef<unknown>) => unknown, askOptions) as Promise<R>)
        .then((v) => { settle(); return v; }, (e: unknown) => { settle(); throw e; });
    },
    routees: () => eligible().map((r) => r.instance),
    stats: () => {
      for (const r of eligible()) counter(r);
      return {
        routed,
        noRoutee,
        inFlight,
        routees: [...counters].map(([a, c]) => ({ address: a, node: c.node, routed: c.routed, inFlight: c.inFlight })).sort((x, y) => (x.address < y.address ? -1 : 1)),
      };
    },
  };
}
