// Per-service health: the instances' health aggregated by a pure rule (healthy / degraded / unhealthy with reasons).

import type { InstanceHealth } from './instance-health.ts';
import type { CheckStatus } from './probe-request.ts';

/** A service's (or a node's) aggregated health state. */
export type ServiceHealthState = 'healthy' | 'degraded' | 'unhealthy';

/** One instance as the registry knows it: its path, service, health and latest checks. */
export interface InstanceHealthStatus {
  readonly instance: string;
  readonly service?: string;
  readonly health: InstanceHealth;
  readonly checks?: readonly CheckStatus[];
}

/** The aggregated health of a group of instances: the state, why, and the counts behind it. */
export interface AggregateHealth<I extends InstanceHealthStatus = InstanceHealthStatus> {
  readonly state: ServiceHealthState;
  readonly reasons: readonly string[];
  readonly instances: readonly I[];
  /** Instances that are ready. */
  readonly ready: number;
  readonly total: number;
}

const ORDER: Record<ServiceHealthState, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** The worse of two aggregated states (unhealthy > degraded > healthy). */
export function worstOf(a: ServiceHealthState, b: ServiceHealthState): ServiceHealthState {
  return ORDER[a] >= ORDER[b] ? a : b;
}

/** The aggregated state from the counts alone (the rules of {@link aggregateHealth}). */
export function stateOf(total: number, ready: number, degraded: number): ServiceHealthState {
  if (total === 0 || ready === 0) return 'unhealthy';
  return ready < total || degraded > 0 ? 'degraded' : 'healthy';
}

const describe = (i: InstanceHealthStatus): string =>
  `${i.instance}: ${i.health.state}${i.health.reasons.length > 0 ? ` (${i.health.reasons.join('; ')})` : ''}`;

/**
 * Aggregates instances' health (pure). Rules, in order:
 * - no instances → `unhealthy` ("no instances");
 * - no instance ready → `unhealthy` ("no instance is ready (0/n)");
 * - some instance not ready, or some degraded → `degraded` ("k/n instances not ready", "k degraded");
 * - otherwise `healthy`.
 * Each unhealthy, degraded or starting instance adds a reason `path: state (its reasons)`.
 *
 * @example
 * aggregateHealth(registry.status().instances.filter((i) => i.service === 'orders')).state
 */
export function aggregateHealth<I extends InstanceHealthStatus>(instances: readonly I[]): AggregateHealth<I> {
  const total = instances.length;
  if (total === 0) return { state: 'unhealthy', reasons: ['no instances'], instances, ready: 0, total };
  const ready = instances.filter((i) => i.health.ready).length;
  const degraded = instances.filter((i) => i.health.state === 'degraded').length;
  const details = instances.filter((i) => i.health.state !== 'healthy').map(describe);
  if (ready === 0) return { state: 'unhealthy', reasons: [`no instance is ready (0/${total})`, ...details], instances, ready, total };
  const state = stateOf(total, ready, degraded);
  if (state === 'degraded') {
    const head: string[] = [];
    if (ready < total) head.push(`${total - ready}/${total} instances not ready`);
    if (degraded > 0) head.push(`${degraded}/${total} instances degraded`);
    return { state: 'degraded', reasons: [...head, ...details], instances, ready, total };
  }
  return { state: 'healthy', reasons: [], instances, ready, total };
}
