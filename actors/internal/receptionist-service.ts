// Service keys, instance metadata and service instances: the plain data the receptionist
// stores, replicates between nodes and hands to routers.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { TroupeError } from '../../runtime/errors.ts';

/**
 * A typed name of a service. `M` is the message type its instances accept; only `id` exists at
 * run time, so a key is plain, serializable data (two keys with the same id are the same key).
 */
export interface ServiceKey<M> {
  readonly kind: 'service-key';
  readonly id: string;
  /** Type-level only, never set: carries `M`, so a key types the refs registered under it. */
  readonly message?: M;
}

/** How healthy an instance says it is. Routers skip `'unhealthy'` ones (and those not `ready`); `'degraded'` still get traffic. */
export type ServiceHealth = 'healthy' | 'degraded' | 'unhealthy';

/**
 * What an instance tells about itself when it registers. Every field is optional:
 * `weight` defaults to `1` (a finite number ≥ 0; weighted routers send it that share, 0 = none),
 * `health` to `'healthy'`, `ready` to true (`false`: listed, but routers send it no work, e.g.
 * while it starts or drains); `version` and `zone` are free-form labels (no default); `circuit`
 * to `'closed'` (`'open'`: recovery circuit-broke it — routers with breakers open theirs for it
 * when they see it turn `'open'`).
 */
export interface ServiceMetadata {
  readonly version?: string;
  readonly zone?: string;
  readonly weight?: number;
  readonly health?: ServiceHealth;
  readonly ready?: boolean;
  readonly circuit?: 'open' | 'closed';
}

/** {@link ServiceMetadata} with its defaults filled in (`ready` is only present when false, `circuit` only when open). */
export interface InstanceMetadata {
  readonly version?: string;
  readonly zone?: string;
  readonly weight: number;
  readonly health: ServiceHealth;
  readonly ready?: false;
  readonly circuit?: 'open';
}

/** One registered actor as every node sees it: its ref, the node it lives on and its metadata. */
export interface ServiceInstance<M> {
  readonly ref: ActorRef<M>;
  readonly node: string;
  readonly metadata: InstanceMetadata;
}

/** What a subscriber actor receives: the whole current listing of `key`, on subscribe and after every change. */
export interface Listing<M> {
  readonly type: 'listing';
  readonly key: ServiceKey<M>;
  readonly instances: readonly ServiceInstance<M>[];
}

const KEY_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Defines a service key. `id` is 1–200 printable ASCII characters without spaces; give every
 * service a distinct id, e.g. `'orders'` or `'billing.v2'`.
 *
 * @example
 * type OrderMsg = { type: 'place'; sku: string; replyTo: ActorRef<string> };
 * const Orders = defineServiceKey<OrderMsg>('orders');
 */
export function defineServiceKey<M>(id: string): ServiceKey<M> {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw new TroupeError('invalid-spec', `defineServiceKey: "${String(id).slice(0, 80)}" is not a valid service key id; use 1–200 printable characters without spaces, e.g. 'orders'.`);
  }
  return Object.freeze({ kind: 'service-key' as const, id });
}

const HEALTH: readonly ServiceHealth[] = ['healthy', 'degraded', 'unhealthy'];

/** Fills metadata defaults and checks it; throws `invalid-argument` naming the fix. */
export function resolveMetadata(m: ServiceMetadata | undefined, where: string): InstanceMetadata {
  const weight = m?.weight ?? 1;
  const health = m?.health ?? 'healthy';
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new TroupeError('invalid-argument', `${where}: metadata.weight must be a finite number ≥ 0 (default 1), got ${String(weight)}.`);
  }
  if (!HEALTH.includes(health)) {
    throw new TroupeError('invalid-argument', `${where}: metadata.health must be one of ${HEALTH.join(', ')}, got "${String(health)}".`);
  }
  for (const k of ['version', 'zone'] as const) {
    if (m?.[k] !== undefined && typeof m[k] !== 'string') throw new TroupeError('invalid-argument', `${where}: metadata.${k} must be a string when given.`);
  }
  if (m?.ready !== undefined && typeof m.ready !== 'boolean') throw new TroupeError('invalid-argument', `${where}: metadata.ready must be a boolean when given (default true).`);
  if (m?.circuit !== undefined && m.circuit !== 'open' && m.circuit !== 'closed') throw new TroupeError('invalid-argument', `${where}: metadata.circuit must be 'open' or 'closed' when given (default 'closed').`);
  const out: { version?: string; zone?: string; weight: number; health: ServiceHealth; ready?: false; circuit?: 'open' } = { weight, health };
  if (m?.version !== undefined) out.version = m.version;
  if (m?.zone !== undefined) out.zone = m.zone;
  if (m?.ready === false) out.ready = false;
  if (m?.circuit === 'open') out.circuit = 'open';
  return Object.freeze(out);
}

/** True when the value is metadata as {@link resolveMetadata} returns it (checks wire payloads). */
export function isInstanceMetadata(v: unknown): v is InstanceMetadata {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.weight === 'number' && Number.isFinite(m.weight) && m.weight >= 0 &&
    HEALTH.includes(m.health as ServiceHealth) &&
    (m.version === undefined || typeof m.version === 'string') && (m.zone === undefined || typeof m.zone === 'string') &&
    (m.ready === undefined || m.ready === false) && (m.circuit === undefined || m.circuit === 'open');
}

/** Same metadata, field by field. */
export function sameMetadata(a: InstanceMetadata, b: InstanceMetadata): boolean {
  return a.weight === b.weight && a.health === b.health && a.version === b.version && a.zone === b.zone && a.ready === b.ready && a.circuit === b.circuit;
}
