// What a service reports about itself, as plain data: desired and placed counts, where each
// instance runs, its phase and health, the aggregated health and the problems in words.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { InstanceHealth } from './instance-health.ts';

/**
 * Where an instance stands: `'running'`; `'moving'` (placement gave its ordinal to another node;
 * it serves until the replacement there is ready, at most the service's `handoverMs`);
 * `'draining'` (not routed any more; stops once its in-flight work is done or its deadline passes).
 */
export type InstancePhase = 'running' | 'moving' | 'draining';

/** One instance of a service. */
export interface InstanceStatus {
  /** `<service>-<ordinal>`, e.g. `'orders-2'`: the slot, kept when the instance is replaced or moved. */
  readonly id: string;
  readonly ordinal: number;
  readonly node: string;
  readonly zone?: string;
  readonly ref: ActorRef<unknown>;
  /** The ref's address: unique per actor incarnation. */
  readonly address: string;
  readonly phase: InstancePhase;
  readonly health: InstanceHealth;
  /** Whether routers send it work: ready, not unhealthy, not draining. */
  readonly routed: boolean;
  /** When it started, on its node's clock (0 when only the listing was seen). */
  readonly startedAtMs: number;
  /** `'node'`: reported by its node; `'listing'`: its node did not answer, this is what the receptionist lists. */
  readonly source: 'node' | 'listing';
}

/** The instances placement gives one node. */
export interface NodePlacement {
  readonly node: string;
  readonly zone?: string;
  /** Ordinals placed on it, ascending. */
  readonly ordinals: readonly number[];
}

/** Aggregated health: every desired instance routed and none degraded → `'healthy'`; none routed → `'unhealthy'`; otherwise `'degraded'`. */
export type { ServiceHealthState } from '../probes/aggregate-health.ts';
import type { ServiceHealthState } from '../probes/aggregate-health.ts';

/**
 * A service's status as one node sees it (`scope` `'cluster'`: merged with what every other
 * hosting node reports; `'node'`: this node's instances only, the placement still cluster-wide).
 */
export interface ServiceStatus {
  readonly service: string;
  /** The definition's version on the answering node. */
  readonly version: string;
  readonly node: string;
  readonly scope: 'cluster' | 'node';
  /** The desired instance count and its version (last writer wins across nodes). */
  readonly desired: number;
  readonly desiredVersion: number;
  /** False while the answering node is still learning the cluster and has not placed anything. */
  readonly settled: boolean;
  /** Instances placement gives a node (`≤ desired`). */
  readonly placed: number;
  /** Ordinals without a node (not enough eligible nodes or capacity), ascending. */
  readonly unplaced: readonly number[];
  readonly nodes: readonly NodePlacement[];
  /** Sorted by ordinal, then node. */
  readonly instances: readonly InstanceStatus[];
  /** Instances routers send work to. */
  readonly routed: number;
  readonly health: ServiceHealthState;
  /** What needs attention, in words (unplaced instances, nodes that did not answer, settling). */
  readonly problems: readonly string[];
}
