// An instance's health as a service sees it, and the report that sets it: the contract shared
// with the health probes (actors/probes), mirrored here until both land and these types merge.

/**
 * The health of one instance. `state` `'starting'` until the startup check passed, then
 * `'healthy'`, `'degraded'` (still routed) or `'unhealthy'` (not routed); `live`, `ready` and
 * `started` are the last results of each probe kind; `reasons` say why the state is not healthy;
 * `sinceMs` is when the state last changed (system clock). Without probes an instance is
 * `{ state: 'healthy', live: true, ready: true, started: true, reasons: [] }` from its start.
 */
export interface InstanceHealth {
  readonly state: 'starting' | 'healthy' | 'degraded' | 'unhealthy';
  readonly live: boolean;
  readonly ready: boolean;
  readonly started: boolean;
  readonly reasons: readonly string[];
  readonly sinceMs: number;
}

/**
 * What a probe actor sends a service's actor on each health transition of one instance.
 * `instance` names it by its ref's address (unique per incarnation; what probe actors should use),
 * its path, or its id (`'orders-2'`: the instance of that ordinal on the receiving node that is not
 * draining). The service carries the health into the receptionist metadata — not
 * ready or `'unhealthy'`: routers stop sending it work; `'degraded'`: still routed — and into
 * its status. Reports for an instance that no longer runs there are ignored.
 */
export interface HealthReport {
  readonly type: 'health';
  readonly instance: string;
  readonly health: InstanceHealth;
}

/**
 * Probe settings of a service. Until the probes land this is opaque: a service given `probes`
 * starts each instance as `'starting'` (not routed) only when a probe actor is attached to it
 * (see the seam in internal/probe-seam.ts); otherwise an instance is healthy once started.
 */
export type ServiceProbes = Readonly<Record<string, unknown>>;

const STATES: readonly InstanceHealth['state'][] = ['starting', 'healthy', 'degraded', 'unhealthy'];

/** True when `v` is an {@link InstanceHealth} (checks reports, which may come from any actor). */
export function isInstanceHealth(v: unknown): v is InstanceHealth {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  return STATES.includes(h.state as InstanceHealth['state']) && typeof h.live === 'boolean' && typeof h.ready === 'boolean' &&
    typeof h.started === 'boolean' && Array.isArray(h.reasons) && h.reasons.every((r) => typeof r === 'string') &&
    typeof h.sinceMs === 'number' && Number.isFinite(h.sinceMs);
}
