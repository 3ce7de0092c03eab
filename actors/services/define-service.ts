// A service definition: a named, versioned behavior with an instance count, placement rules,
// probes, recovery and drain settings — checked once, frozen, ready to start on service hosts.

import type { ActorDefinition } from '../../runtime/behavior.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { Backoff } from '../../supervisors/backoff.ts';
import type { Intensity } from '../../supervisors/restart-window.ts';
import { defineServiceKey, type ServiceKey } from '../internal/receptionist-service.ts';
import { resolveProbeConfig } from '../probes/probe-config.ts';
import { DEFAULT_RECOVERY_POLICY, resolveRecoveryPolicy, type RecoveryPolicy, type ResolvedRecoveryPolicy } from '../recovery/recovery-policy.ts';
import type { ServiceProbes } from './instance-health.ts';
import { resolvePlacement, type PlacementSpec, type ResolvedPlacement } from './placement.ts';

/**
 * How the service's supervisor on each node treats failing instances: it restarts a failed
 * instance, at most `intensity.maxRestarts` times within `intensity.withinMs` (default 3 within
 * 5 000 ms, shared by the instances of that node, as in OTP), after `backoff` (default none).
 * Beyond that the supervisor gives up and the service restarts as a whole on that node, after a
 * backoff of 500 ms doubling up to 30 s.
 */
export interface ServiceRecovery {
  readonly intensity?: Intensity;
  readonly backoff?: Backoff;
  /** Which recovery action answers which failure its probes detect (used when its host has a recovery coordinator); see {@link RecoveryPolicy} for the defaults. */
  readonly policy?: RecoveryPolicy;
}

/**
 * How an instance is drained (taken out of routing, then stopped). `deadlineMs` (default
 * 10 000): how long its in-flight work may take before it is stopped anyway; `quietMs` (default
 * 250): how long it must have taken no new message — time for every router to see it is not
 * ready any more — before it stops.
 */
export interface DrainSettings {
  readonly deadlineMs?: number;
  readonly quietMs?: number;
}

/**
 * The spec given to {@link defineService}. Required: `name` (1–64 characters of letters, digits,
 * _ . : -, not starting with . : or -; also the id of its service key) and `behavior` (a
 * definition from `defineActor`, `defineSupervisor` or `defineMachineActor`). Defaults:
 * `version` `'1'`, `instances` 1 (an integer 0 … 10 000), `placement` spread over nodes without
 * pinning or cap, `probes` none (an instance is healthy once started), `recovery` as in
 * {@link ServiceRecovery}, `drain` as in {@link DrainSettings}, `handoverMs` 5 000 (how long an
 * instance placement moved to another node keeps serving while its replacement gets ready),
 * `weight` 1 (each instance's share for weighted routers, a finite number ≥ 0), `shutdownMs`
 * 5 000 (how long a stopping instance may take before it is killed).
 */
export interface ServiceSpec<M, S = unknown> {
  readonly name: string;
  readonly version?: string;
  readonly behavior: ActorDefinition<M, S>;
  readonly instances?: number;
  readonly placement?: PlacementSpec;
  readonly probes?: ServiceProbes;
  readonly recovery?: ServiceRecovery;
  readonly drain?: DrainSettings;
  readonly handoverMs?: number;
  readonly weight?: number;
  readonly shutdownMs?: number;
}

/** A checked, frozen service definition; start it with `host.start(definition)` on every node that may run it. */
export interface ServiceDefinition<M> {
  readonly kind: 'service';
  readonly name: string;
  /** The receptionist key its instances register under (id = name). */
  readonly key: ServiceKey<M>;
  readonly version: string;
  readonly behavior: ActorDefinition<M, unknown>;
  readonly instances: number;
  readonly placement: ResolvedPlacement;
  readonly probes: ServiceProbes | undefined;
  readonly recovery: { readonly intensity: Intensity; readonly backoff: Backoff | undefined; readonly policy: ResolvedRecoveryPolicy };
  readonly drain: { readonly deadlineMs: number; readonly quietMs: number };
  readonly handoverMs: number;
  readonly weight: number;
  readonly shutdownMs: number;
}

/** The most instances one service may have. */
export const MAX_INSTANCES = 10_000;

const FIELDS = ['name', 'version', 'behavior', 'instances', 'placement', 'probes', 'recovery', 'drain', 'handoverMs', 'weight', 'shutdownMs'];
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,63}$/;

/**
 * Defines a service. Throws `invalid-spec` at once for a bad field; the message says how to fix
 * it and `error.data.field` names the field (`'instances'`, `'placement.maxPerNode'`, …).
 *
 * @example
 * const orders = defineService({
 *   name: 'orders', version: '2.1', behavior: orderActor, instances: 3,
 *   placement: { spread: 'zones', maxPerNode: 2 },
 *   drain: { deadlineMs: 5_000 },
 * });
 */
export function defineService<M, S>(spec: ServiceSpec<M, S>): ServiceDefinition<M> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new TroupeError('invalid-spec', 'defineService: expected an object like { name, behavior, instances }.', { field: 'spec' });
  }
  const name = spec.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TroupeError('invalid-spec', `defineService: name must be 1–64 characters of letters, digits, _ . : - (not starting with . : or -), got ${JSON.stringify(name)?.slice(0, 80)}.`, { field: 'name' });
  }
  const where = `defineService("${name}")`;
  const bad = (field: string, why: string): TroupeError => new TroupeError('invalid-spec', `${where}: ${field} ${why}`, { field });
  for (const k of Object.keys(spec)) if (!FIELDS.includes(k)) throw bad(k, `is not a service field; use ${FIELDS.join(', ')}.`);

  const version = spec.version ?? '1';
  if (typeof version !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(version)) throw bad('version', `must be 1–64 printable characters without spaces (default '1'), got ${JSON.stringify(version)?.slice(0, 80)}.`);
  const behavior = spec.behavior;
  if (typeof behavior !== 'object' || behavior === null || (behavior as { kind?: unknown }).kind !== 'actor') {
    throw bad('behavior', 'must be a definition from defineActor, defineSupervisor or defineMachineActor.');
  }
  const instances = spec.instances ?? 1;
  if (!Number.isSafeInteger(instances) || instances < 0 || instances > MAX_INSTANCES) throw bad('instances', `must be an integer 0 … ${MAX_INSTANCES} (default 1), got ${String(instances)}.`);
  const placement = resolvePlacement(spec.placement, where);
  if (spec.probes !== undefined) {
    if (typeof spec.probes !== 'object' || spec.probes === null || Array.isArray(spec.probes)) throw bad('probes', 'must be an object of probe settings like { liveness: { periodMs: 1000 } } when given.');
    resolveProbeConfig(spec.probes, `${where}: probes`); // throws invalid-spec naming the field
  }
  const recovery = resolveRecovery(spec.recovery, bad, where);
  const drain = resolveDrain(spec.drain, bad);
  const ms = (field: 'handoverMs' | 'shutdownMs', fallback: number): number => {
    const v = spec[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(field, `must be a finite number of milliseconds ≥ 0 (default ${fallback}), got ${String(v)}.`);
    return v;
  };
  const handoverMs = ms('handoverMs', 5_000);
  const shutdownMs = ms('shutdownMs', 5_000);
  const weight = spec.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) throw bad('weight', `must be a finite number ≥ 0 (default 1), got ${String(weight)}.`);

  return Object.freeze({
    kind: 'service' as const,
    name,
    key: defineServiceKey<M>(name),
    version,
    behavior: behavior as ActorDefinition<M, unknown>,
    instances,
    placement,
    probes: spec.probes,
    recovery,
    drain,
    handoverMs,
    weight,
    shutdownMs,
  });
}

type Bad = (field: string, why: string) => TroupeError;

function resolveRecovery(r: ServiceRecovery | undefined, bad: Bad, where: string): ServiceDefinition<never>['recovery'] {
  if (r === undefined) return DEFAULT_RECOVERY;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw bad('recovery', 'must be an object like { intensity: { maxRestarts: 3, withinMs: 5000 } }.');
  for (const k of Object.keys(r)) if (k !== 'intensity' && k !== 'backoff' && k !== 'policy') throw bad(`recovery.${k}`, 'is not a recovery field; use intensity, backoff, policy.');
  const intensity = r.intensity ?? DEFAULT_RECOVERY.intensity;
  if (typeof intensity !== 'object' || intensity === null || !Number.isSafeInteger(intensity.maxRestarts) || intensity.maxRestarts < 1 || !(intensity.withinMs > 0) || !Number.isFinite(intensity.withinMs)) {
    throw bad('recovery.intensity', `must be { maxRestarts: integer ≥ 1, withinMs: finite > 0 } (default 3 within 5000 ms), got ${JSON.stringify(intensity)}.`);
  }
  const b = r.backoff;
  if (b !== undefined && (typeof b !== 'object' || b === null || !(b.minMs >= 0) || !(b.maxMs >= b.minMs) || !Number.isFinite(b.maxMs) ||
      (b.factor !== undefined && !(b.factor >= 1)) || (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter < 1)))) {
    throw bad('recovery.backoff', `needs 0 ≤ minMs ≤ maxMs (finite), factor ≥ 1 and 0 ≤ jitter < 1, got ${JSON.stringify(b)}.`);
  }
  const policy = resolveRecoveryPolicy(r.policy, where, 'recovery.policy.');
  return Object.freeze({ intensity: Object.freeze({ maxRestarts: intensity.maxRestarts, withinMs: intensity.withinMs }), backoff: b === undefined ? undefined : Object.freeze({ ...b }), policy });
}

const DEFAULT_RECOVERY = Object.freeze({ intensity: Object.freeze({ maxRestarts: 3, withinMs: 5_000 }), backoff: undefined, policy: DEFAULT_RECOVERY_POLICY });

function resolveDrain(d: DrainSettings | undefined, bad: Bad): ServiceDefinition<never>['drain'] {
  if (d === undefined) return DEFAULT_DRAIN;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw bad('drain', 'must be an object like { deadlineMs: 10000, quietMs: 250 }.');
  for (const k of Object.keys(d)) if (k !== 'deadlineMs' && k !== 'quietMs') throw bad(`drain.${k}`, 'is not a drain field; use deadlineMs, quietMs.');
  const deadlineMs = d.deadlineMs ?? DEFAULT_DRAIN.deadlineMs;
  const quietMs = d.quietMs ?? DEFAULT_DRAIN.quietMs;
  if (typeof deadlineMs !== 'number' || !(deadlineMs > 0) || !Number.isFinite(deadlineMs)) throw bad('drain.deadlineMs', `must be a finite number of milliseconds > 0 (default 10000), got ${String(deadlineMs)}.`);
  if (typeof quietMs !== 'number' || !(quietMs >= 0) || !Number.isFinite(quietMs)) throw bad('drain.quietMs', `must be a finite number of milliseconds ≥ 0 (default 250), got ${String(quietMs)}.`);
  return Object.freeze({ deadlineMs, quietMs });
}

const DEFAULT_DRAIN = Object.freeze({ deadlineMs: 10_000, quietMs: 250 });
