// An instance's health as a service sees it (the probes' InstanceHealth and HealthReport) and the check of a report.

// One contract with the probes: a service carries the InstanceHealth a probe actor reports.
import type { InstanceHealth } from '../probes/instance-health.ts';
export type { InstanceHealth, HealthReport } from '../probes/instance-health.ts';

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
