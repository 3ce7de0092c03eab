// A node's health as plain data: every instance, every service aggregated, and the node's state.

import { aggregateHealth, worstOf, type InstanceHealthStatus, type ServiceHealthState } from './aggregate-health.ts';

/** One service in a snapshot: its name, aggregated state, reasons and instances. */
export interface ServiceHealthStatus {
  readonly service: string;
  readonly state: ServiceHealthState;
  readonly reasons: readonly string[];
  readonly ready: number;
  readonly total: number;
  readonly instances: readonly InstanceHealthStatus[];
}

/**
 * A node's health, as `/health` serves it: `state` is the worst of its services and of its
 * instances that belong to no service (each judged as a one-instance service); `services` sorted
 * by name; `instances` every probed instance sorted by path; `atMs` on the system clock.
 */
export interface HealthSnapshot {
  readonly node: string;
  readonly atMs: number;
  readonly state: ServiceHealthState;
  readonly services: readonly ServiceHealthStatus[];
  readonly instances: readonly InstanceHealthStatus[];
}

/** Aggregates one service's instances (sorted by path) into its status. */
export function serviceStatus(service: string, instances: readonly InstanceHealthStatus[]): ServiceHealthStatus {
  const sorted = [...instances].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const a = aggregateHealth(sorted);
  return { service, state: a.state, reasons: a.reasons, ready: a.ready, total: a.total, instances: sorted };
}

/** Builds a snapshot from the instances a node knows (pure). With none, the node is healthy. */
export function buildSnapshot(node: string, atMs: number, instances: Iterable<InstanceHealthStatus>): HealthSnapshot {
  const all = [...instances].sort((a, b) => (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : 0));
  const byService = new Map<string, InstanceHealthStatus[]>();
  let state: ServiceHealthState = 'healthy';
  for (const i of all) {
    if (i.service === undefined) { state = worstOf(state, aggregateHealth([i]).state); continue; }
    let list = byService.get(i.service);
    if (list === undefined) byService.set(i.service, list = []);
    list.push(i);
  }
  const services = [...byService.keys()].sort().map((name) => serviceStatus(name, byService.get(name)!));
  for (const s of services) state = worstOf(state, s.state);
  return { node, atMs, state, services, instances: all };
}
