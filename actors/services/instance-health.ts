// An instance's health as a service sees it (the probes' InstanceHealth and HealthReport) and the check of a report.

// One contract with the probes: a service carries the InstanceHealth a probe actor reports.
import type { InstanceHealth } from '../probes/instance-health.ts';
import type { ProbeConfig } from '../probes/probe-config.ts';
export type { InstanceHealth, HealthReport } from '../probes/instance-health.ts';

/**
 * Probe settings of a service: the probes' own {@link ProbeConfig} (liveness, readiness, startup,
 * degraded signals; Kubernetes' defaults). A service given `probes` wraps its behavior with
 * `withProbes` and attaches a probe actor to each instance; the instance starts `'starting'` (not
 * routed) until its first healthy report. Without `probes` an instance is healthy once started.
 */
export type ServiceProbes = ProbeConfig;

const STATES: readonly InstanceHealth['state'][] = ['starting', 'healthy', 'degraded', 'unhealthy'];

/** True when `v` is an {@link InstanceHealth} (checks reports, which may come from any actor). */
export function isInstanceHealth(v: unknown): v is InstanceHealth {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  return STATES.includes(h.state as InstanceHealth['state']) && typeof h.live === 'boolean' && typeof h.ready === 'boolean' &&
    typeof h.started === 'boolean' && Array.isArray(h.reasons) && h.reasons.every((r) => typeof r === 'string') &&
    typeof h.sinceMs === 'number' && Number.isFinite(h.sinceMs);
}
