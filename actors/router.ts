// Client-side load balancing (Akka's group routers): a router sends each message to one routee
// of a service key (live, through the receptionist) or of a fixed list, by a routing strategy.

import { ActorRef } from '../runtime/actor-ref.ts';
import type { Address } from '../runtime/address.ts';
import { askProcess, failAsksIn, type AskListener, type AskOptions } from '../runtime/ask.ts';
import { TroupeError } from '../runtime/errors.ts';
import type { DeliveryResult, Process } from '../runtime/internal/process.ts';
import type { SystemCore } from '../runtime/internal/system-core.ts';
import type { Random } from '../runtime/random.ts';
import type { ActorSystem } from '../runtime/system.ts';
import { untraced } from '../runtime/observe/internal/traced-message.ts';
import type { Receptionist } from './receptionist.ts';
import type { ServiceInstance, ServiceKey } from './internal/receptionist-service.ts';
import { createSelector, type Routee, type RoutingStrategy } from './internal/router-strategies.ts';
import { resolveBreakerSettings, RouterBreakers, type BreakerToken, type RouterBreakerOptions } from './internal/router-breakers.ts';

export type { RoutingStrategy } from './internal/router-strategies.ts';
export type { RouterBreakerOptions } from './internal/router-breakers.ts';

/**
 * What every router takes: the strategy (default `'round-robin'`), its random (default the
 * system's), a name for dead letters (default the key id, or `'router'`), and per-routee circuit
 * breakers (`breaker`, default none here; a service's router has them on, see
 * {@link RouterBreakerOptions} for their defaults).
 */
interface CommonOptions<M> {
  readonly strategy?: RoutingStrategy<M>;
  readonly random?: Random;
  readonly name?: string;
  readonly breaker?: RouterBreakerOptions | false;
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
  /** Its circuit breaker in this router (`'closed'` when the router has none). */
  readonly breaker: 'closed' | 'open' | 'half-open';
}

/** Counters of a router since it was created; `routees` lists the current candidates and any routee with asks in flight. */
export interface RouterStats {
  readonly routed: number;
  /** Tells dead-lettered and asks rejected because no routee was eligible. */
  readonly noRoutee: number;
  /** Asks rejected `circuit-open` and tells dead-lettered because every eligible routee's breaker was open. */
  readonly circuitOpen: number;
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
   * With breakers, routees whose breaker is open are routed around (a half-open one takes one
   * trial ask at a time); when every eligible routee's is open it rejects at once with
   * `circuit-open` (`data.retryAtMs`: when the next trial goes through). A tell is routed only
   * to routees whose breaker is closed (else dead-lettered).
   */
  ask<R>(make: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R>;
  /** The routees a message could go to now: alive, on an up node, ready, not unhealthy (and weight > 0 for `weighted`), and with breakers, not open. */
  routees(): readonly ServiceInstance<M>[];
  stats(): RouterStats;
}

const DEFAULT_METADATA = Object.freeze({ weight: 1, health: 'healthy' as const });

/** A routee's counters in one router. */
interface Counter { readonly node: string; routed: number; inFlight: number }

/** A routee with its counters at hand (no lookup per message). */
interface Counted<M> extends Routee<M> { readonly counter: Counter }

/** What an ask's hop needs from its router (made once per router, so an ask allocates no closures of its own). */
interface HopCore<M> {
  readonly host: SystemCore;
  readonly address: Address;
  pick(list: readonly Routee<M>[], msg: M): Routee<M>;
  sent(r: Routee<M>): BreakerToken | undefined;
  /** The ask sent to `r` settled (`error` undefined: answered); with breakers, `token` records its outcome. */
  settled(r: Routee<M>, token: BreakerToken | undefined, error: TroupeError | undefined): void;
}

/**
 * One ask through a router: the process the ask targets. It picks the routee when the request is
 * delivered, so the ask's target is that routee (the ask fails fast when its node goes down).
 */
class RouteHop<M> implements Process, AskListener {
  readonly alive = true;
  private chosen: Routee<M> | undefined = undefined;
  /** With breakers: the routee and breaker epoch the outcome of this ask is recorded against. */
  token: BreakerToken | undefined = undefined;

  constructor(private readonly core: HopCore<M>, private readonly list: readonly Routee<M>[]) {}

  get host(): SystemCore { return this.core.host; }
  get address(): Address { return this.chosen?.instance.ref.address ?? this.core.address; }

  deliverUser(msg: unknown): DeliveryResult {
    const bare = untraced(msg); // tracing on: the request may carry its trace context
    try { this.chosen = this.core.pick(this.list, bare as M); } catch (e) {
      failAsksIn(bare, () => e as TroupeError);
      return 4;
    }
    this.token = this.core.sent(this.chosen);
    return this.chosen.instance.ref.offer(msg as M);
  }

  deliverSystem(): void {}

  /** The ask settled: its routee has one ask fewer in flight, and its breaker learns the outcome. */
  askSettled(error: TroupeError | undefined): void {
    if (this.chosen !== undefined) this.core.settled(this.chosen, this.token, error);
  }
}

/**
 * Creates a router. Routees are skipped while their ref is not alive (a stopped local actor,
 * or a remote one whose node is down or unreachable) or their metadata says `'unhealthy'` or not `ready`.
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

  const counters = new Map<string, Counter>();
  const counter = (r: Routee<M>): Counter => {
    let c = counters.get(r.address);
    if (c === undefined) { c = { node: r.instance.node, routed: 0, inFlight: 0 }; counters.set(r.address, c); }
    return c;
  };
  const strategy = options.strategy ?? 'round-robin';
  const weighted = typeof strategy === 'object' && strategy !== null && strategy.kind === 'weighted';
  const selector = createSelector(strategy, options.random ?? system.random, (a) => counters.get(a)?.inFlight ?? 0, where);
  const breakers = options.breaker === undefined || options.breaker === false ? undefined
    : new RouterBreakers<M>(resolveBreakerSettings(options.breaker, where), system.scheduler.clock);
  const routeeOf = new WeakMap<ServiceInstance<M>, Counted<M>>();
  let listed: readonly ServiceInstance<M>[] | undefined;
  let routed = 0;
  let noRoutee = 0;
  let inFlight = 0;

  // The eligible routees of `listed`, reused while every one of them stays alive and none was left
  // out for being dead (not for `weighted`: its weights are read at every pick).
  let cache: Counted<M>[] | undefined;
  const eligible = (): Counted<M>[] => {
    const list = source();
    if (list !== listed) {
      listed = list;
      cache = undefined;
      const present = new Set(list.map((i) => String(i.ref)));
      for (const [a, c] of counters) if (!present.has(a) && c.inFlight === 0) counters.delete(a);
    } else if (cache !== undefined) {
      let alive = true;
      for (let i = 0; i < cache.length && alive; i++) alive = cache[i].instance.ref.alive;
      if (alive) return cache;
    }
    const out: Counted<M>[] = [];
    let complete = !weighted;
    for (const instance of list) {
      if (instance.metadata.health === 'unhealthy' || instance.metadata.ready === false) continue;
      if (!instance.ref.alive) { complete = false; continue; }
      if (!selector.admits(instance)) continue;
      let r = routeeOf.get(instance);
      if (r === undefined) {
        const address = String(instance.ref);
        r = { instance, address, counter: counter({ instance, address }) };
        routeeOf.set(instance, r);
      }
      out.push(r);
    }
    cache = complete ? out : undefined;
    return out;
  };

  const noRouteeError = (): TroupeError => new TroupeError('actor-dead', service
    ? `No routee for service key "${service.key.id}": no registered instance is alive, on an up node, ready and not unhealthy${weighted ? ' with a weight above 0' : ''}. Register one with receptionist.register(key, ref), or check its health and weight.`
    : `No routee in router "${name}": every routee is stopped or on a node that is down. Give the router live refs.`, { router: name, key: service?.key.id });

  const deadEnd: Process = { host, address, alive: false, deliverUser: () => 4, deliverSystem: () => {} };
  const core: HopCore<M> = {
    host,
    address,
    pick: (list, msg) => selector.pick(list, msg),
    sent: (r) => { routed++; inFlight++; const c = (r as Counted<M>).counter; c.inFlight++; c.routed++; return breakers?.sent(r); },
    settled: (r, token, error) => {
      inFlight--;
      (r as Counted<M>).counter.inFlight--;
      if (breakers !== undefined && token !== undefined) breakers.settled(token, error, error === undefined ? undefined : eligible());
    },
  };

  return {
    tell(msg) {
      let list = eligible();
      if (list.length === 0) { noRoutee++; host.deadLetter(deadEnd, msg, 'undeliverable'); return; }
      if (breakers !== undefined) {
        list = breakers.usable(list, false) as Counted<M>[];
        if (list.length === 0) { breakers.rejected++; host.deadLetter(deadEnd, msg, 'undeliverable'); return; }
      }
      const chosen = selector.pick(list, msg) as Counted<M>;
      routed++;
      chosen.counter.routed++;
      chosen.instance.ref.tell(msg);
    },
    ask<R>(make: (replyTo: ActorRef<R>) => M, askOptions?: AskOptions): Promise<R> {
      const list = eligible();
      if (list.length === 0) { noRoutee++; return Promise.reject(noRouteeError()); }
      if (breakers === undefined) {
        const hop = new RouteHop<M>(core, list);
        return askProcess(hop, make as (replyTo: ActorRef<unknown>) => unknown, askOptions, hop) as Promise<R>;
      }
      const usable = breakers.usable(list, true);
      if (usable.length === 0) return Promise.reject(breakers.openError(list, service ? `Service key "${service.key.id}"` : `Router "${name}"`, { router: name, key: service?.key.id }));
      const hop = new RouteHop<M>(core, usable);
      return askProcess(hop, make as (replyTo: ActorRef<unknown>) => unknown, askOptions, hop) as Promise<R>;
    },
    routees: () => (breakers === undefined ? eligible() : breakers.usable(eligible(), true)).map((r) => r.instance),
    stats: () => {
      for (const r of eligible()) counter(r);
      return {
        routed,
        noRoutee,
        circuitOpen: breakers?.rejected ?? 0,
        inFlight,
        routees: [...counters].map(([a, c]) => ({ address: a, node: c.node, routed: c.routed, inFlight: c.inFlight, breaker: breakers?.stateOf(a) ?? 'closed' })).sort((x, y) => (x.address < y.address ? -1 : 1)),
      };
    },
  };
}
