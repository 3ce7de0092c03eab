// The health registry of one system: every probed instance's latest health, services aggregated,
// a bounded history of transitions and a stream of health events (rxjs; optionally an event-bus topic).

import { Subject, type Observable } from 'rxjs';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor } from '../../runtime/behavior.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import type { EventBus } from '../streams/event-bus.ts';
import { stateOf, type InstanceHealthStatus, type ServiceHealthState } from './aggregate-health.ts';
import { publishHealthEvents } from './health-bus.ts';
import { evaluateListing, type CheckListing, type ListingKind } from './health-listing.ts';
import { buildSnapshot, serviceStatus, type HealthSnapshot, type ServiceHealthStatus } from './health-snapshot.ts';
import type { HealthReport, InstanceHealth } from './instance-health.ts';
import type { CheckStatus } from './probe-request.ts';
import { isTransition } from './internal/probe-decisions.ts';

/** One service's members and the counts behind its state. */
interface ServiceTally {
  readonly members: Map<string, InstanceHealthStatus>;
  ready: number;
  degraded: number;
  state: ServiceHealthState | null;
}

/**
 * A health event, as the registry's stream and history carry them:
 * - `instance-health` — a transition of one instance's state, live, ready or started (`from` null
 *   the first time), or its final report when it stopped;
 * - `service-health` — a service's aggregated state changed (`from` null when it first appears);
 * - `instance-removed` — an instance was forgotten (`forget`).
 */
export type HealthEvent =
  | { readonly type: 'instance-health'; readonly instance: string; readonly service?: string; readonly from: InstanceHealth | null; readonly to: InstanceHealth; readonly atMs: number }
  | { readonly type: 'service-health'; readonly service: string; readonly from: ServiceHealthState | null; readonly to: ServiceHealthState; readonly reasons: readonly string[]; readonly atMs: number }
  | { readonly type: 'instance-removed'; readonly instance: string; readonly service?: string; readonly atMs: number };

/** What the registry's actor accepts: reports from probe actors, and a ping (what `/livez`'s `ping` check asks). */
export type HealthRegistryMsg = HealthReport | { readonly type: 'ping'; readonly replyTo: ActorRef<'pong'> };

/**
 * Options of {@link createHealthRegistry}. Defaults: `name` `'health-registry'` (its actor lives at
 * `/user/<name>`), `historySize` 1 000 events, `pingTimeoutMs` 1 000 (the `ping` check of `/livez`
 * and `/readyz`), no `bus`; with a `bus`, every event is also published to the durable topic
 * `topic` (default `'troupe.health'`).
 */
export interface HealthRegistryOptions {
  readonly name?: string;
  readonly historySize?: number;
  readonly pingTimeoutMs?: number;
  readonly bus?: EventBus;
  readonly topic?: string;
}

/** Options of `livez` / `readyz`: check names to leave out (as `?exclude=`). */
export interface ListingOptions {
  readonly exclude?: readonly string[];
}

/** The health registry of one system. Every method returns plain data. */
export interface HealthRegistry {
  readonly system: ActorSystem;
  /** Give it to probe actors as their `reportTo`. */
  readonly ref: ActorRef<HealthReport>;
  /** The node's health now: instances, services, the node's state. */
  status(): HealthSnapshot;
  /** One instance by path. */
  instance(path: string): InstanceHealthStatus | undefined;
  /** One service by name. */
  service(name: string): ServiceHealthStatus | undefined;
  /** The latest events, oldest first (at most `historySize`). */
  history(): readonly HealthEvent[];
  /** Health events as they happen; completes when the registry closes or its system terminates. */
  readonly events$: Observable<HealthEvent>;
  /** Forgets an instance (scaled down, replaced); true when it was known. */
  forget(instance: string): boolean;
  /** The `/livez` checks: `ping`, then each instance's liveness. */
  livez(options?: ListingOptions): Promise<CheckListing>;
  /** The `/readyz` checks: `ping`, then each service (ready unless unhealthy) and each instance of no service. */
  readyz(options?: ListingOptions): Promise<CheckListing>;
  /** Stops the registry's actor and completes its stream. */
  close(): Promise<void>;
}

/**
 * Creates the health registry of `system`: an actor (`ref`) that probe actors report to, keeping
 * each instance's latest health and checks, aggregating services (see `aggregateHealth`), a
 * bounded history (default 1 000 events) and an rxjs stream of {@link HealthEvent}s — also
 * published to an event-bus topic when a `bus` is given. Throws `invalid-spec` on bad options.
 *
 * @example
 * const registry = createHealthRegistry(system);
 * registry.events$.subscribe((e) => console.log(e.type, e));
 * system.spawn(defineProbeActor({ target: orders, reportTo: registry.ref, service: 'orders' }));
 * registry.status().state; // 'healthy' | 'degraded' | 'unhealthy'
 */
export function createHealthRegistry(system: ActorSystem, options: HealthRegistryOptions = {}): HealthRegistry {
  const where = 'createHealthRegistry';
  const historySize = options.historySize ?? 1_000;
  if (!(Number.isInteger(historySize) && historySize >= 1)) throw new TroupeError('invalid-spec', `${where}: historySize must be an integer ≥ 1 (default 1 000), got ${historySize}.`, { field: 'historySize' });
  const pingTimeoutMs = options.pingTimeoutMs ?? 1_000;
  if (!(pingTimeoutMs > 0)) throw new TroupeError('invalid-spec', `${where}: pingTimeoutMs must be > 0 (default 1 000), got ${pingTimeoutMs}.`, { field: 'pingTimeoutMs' });
  const instances = new Map<string, InstanceHealthStatus>();
  /** Per service: its members and the counts its state follows from (kept as reports arrive: O(1) each). */
  const services = new Map<string, ServiceTally>();
  const history: HealthEvent[] = [];
  const subject = new Subject<HealthEvent>();
  let closed = false;

  const emit = (e: HealthEvent): void => {
    history.push(e);
    if (history.length > historySize) history.splice(0, history.length - historySize);
    subject.next(e);
  };

  /** Adds (+1) or removes (-1) an instance's contribution to its service's tally. */
  const tally = (i: InstanceHealthStatus, sign: 1 | -1): void => {
    if (i.service === undefined) return;
    let t = services.get(i.service);
    if (t === undefined) services.set(i.service, t = { members: new Map(), ready: 0, degraded: 0, state: null });
    if (sign === 1) t.members.set(i.instance, i); else t.members.delete(i.instance);
    if (i.health.ready) t.ready += sign;
    if (i.health.state === 'degraded') t.degraded += sign;
  };

  /** Emits a service-health event when the service's state changed (its reasons computed only then). */
  const settle = (service: string | undefined): void => {
    if (service === undefined) return;
    const t = services.get(service);
    if (t === undefined) return;
    if (t.members.size === 0) { services.delete(service); return; }
    const state = stateOf(t.members.size, t.ready, t.degraded);
    if (state === t.state) return;
    const prev = t.state;
    t.state = state;
    emit({ type: 'service-health', service, from: prev, to: state, reasons: serviceStatus(service, [...t.members.values()]).reasons, atMs: system.clock.now() });
  };

  const apply = (r: HealthReport): void => {
    const prev = instances.get(r.instance);
    const status: InstanceHealthStatus = { instance: r.instance, ...(r.service === undefined ? {} : { service: r.service }), health: r.health, checks: r.checks };
    if (prev !== undefined) tally(prev, -1);
    instances.set(r.instance, status);
    tally(status, 1);
    // a report that only refreshes reasons and checks is not a transition
    if (prev !== undefined && r.final !== true && prev.service === r.service && !isTransition(prev.health, r.health)) return;
    emit({ type: 'instance-health', instance: r.instance, ...(r.service === undefined ? {} : { service: r.service }), from: prev?.health ?? null, to: r.health, atMs: system.clock.now() });
    if (prev?.service !== undefined && prev.service !== r.service) settle(prev.service);
    settle(r.service);
  };

  const actor = defineActor<HealthRegistryMsg, undefined>({
    name: 'health-registry',
    init: () => undefined,
    receive: (_s, m) => {
      if (m.type === 'ping') m.replyTo.tell('pong');
      else if (m.type === 'health' && typeof m.instance === 'string' && typeof m.health === 'object' && m.health !== null) apply(m);
    },
  });
  const ref = system.spawn(actor, options.name ?? 'health-registry');
  const finish = (): void => {
    if (closed) return;
    closed = true;
    subject.complete();
  };
  void system.whenTerminated.then(finish);
  const busSubscription = options.bus === undefined ? undefined : publishHealthEvents(subject, options.bus, { topic: options.topic });

  const ping = async (): Promise<CheckStatus> => {
    try {
      await ref.ask<'pong'>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: pingTimeoutMs });
      return { name: 'ping', ok: true };
    } catch (e) {
      return { name: 'ping', ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
  };
  const listing = async (kind: ListingKind, o: ListingOptions = {}): Promise<CheckListing> => {
    const p = await ping();
    return evaluateListing(kind, registry.status(), p, o.exclude ?? []);
  };

  const registry: HealthRegistry = {
    system,
    ref: ref as ActorRef<HealthReport>,
    status: () => buildSnapshot(system.node, system.clock.now(), instances.values()),
    instance: (path) => instances.get(path),
    service: (name) => {
      const t = services.get(name);
      return t === undefined ? undefined : serviceStatus(name, [...t.members.values()]);
    },
    history: () => history.slice(),
    events$: subject.asObservable(),
    forget: (path) => {
      const prev = instances.get(path);
      if (prev === undefined) return false;
      instances.delete(path);
      tally(prev, -1);
      emit({ type: 'instance-removed', instance: path, ...(prev.service === undefined ? {} : { service: prev.service }), atMs: system.clock.now() });
      settle(prev.service);
      return true;
    },
    livez: (o) => listing('livez', o),
    readyz: (o) => listing('readyz', o),
    close: async () => {
      busSubscription?.unsubscribe();
      if (!system.isTerminated && ref.alive) system.stop(ref as ActorRef<never>);
      finish();
    },
  };
  return registry;
}
