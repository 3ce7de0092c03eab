// One service on one node, apart from the actor that hosts it: the desired count, the view of
// the other hosting nodes, this node's instances and their drains, and the status built from them.

import type { RecoveryMsg } from '../../recovery/recovery-coordinator.ts';
import type { FailureKind } from '../../recovery/recovery-policy.ts';
import { ActorRef } from '../../../runtime/actor-ref.ts';
import type { Cluster } from '../../../runtime/cluster/node.ts';
import type { Receptionist } from '../../receptionist.ts';
import { defineServiceKey, type ServiceInstance, type ServiceKey } from '../../internal/receptionist-service.ts';
import type { ServiceDefinition } from '../define-service.ts';
import { isInstanceHealth, type InstanceHealth } from '../instance-health.ts';
import type { DesiredMsg, DrainResult, ServiceCommand } from '../service-protocol.ts';
import type { InstancePhase, InstanceStatus, NodePlacement, ServiceHealthState, ServiceStatus } from '../service-status.ts';
import type { Subscription } from 'rxjs';
import type { Desired, MoveEntry } from './desired.ts';
import { planPlacement, type PlacementNode, type PlacementPlan } from './place.ts';

/** What a service actor hears from its peers on other nodes. */
export type PeerMsg = DesiredMsg | ServiceCommand;

/** Settings of the host the service runs in. */
export interface HostSettings {
  /** The node's recovery coordinator, if any: failures are reported to it. */
  readonly recovery?: ActorRef<RecoveryMsg>;
  readonly node: string;
  readonly zone: string | undefined;
  readonly receptionist: Receptionist;
  readonly cluster: Cluster | undefined;
  readonly settleMs: number;
  readonly syncIntervalMs: number;
  readonly statusTimeoutMs: number;
}

/** A drain under way. */
export interface DrainState {
  readonly startedAtMs: number;
  seq: number;
  last: number | undefined;
  outcome: 'drained' | 'deadline' | undefined;
  readonly waiters: ActorRef<DrainResult>[];
}

/** One instance on this node. */
export interface LocalInstance {
  readonly name: string;
  readonly ordinal: number;
  readonly id: string;
  readonly ref: ActorRef<unknown>;
  readonly startedAtMs: number;
  health: InstanceHealth;
  phase: InstancePhase;
  movingSinceMs: number | undefined;
  drain: DrainState | undefined;
  /** The failure last reported to the recovery coordinator (null: none). */
  failure?: FailureKind | null;
  /** Taken out of routing by recovery (reroute). */
  ejected?: boolean;
  /** Circuit-broken by recovery: listed with `circuit: 'open'`, so the callers' routers open their breaker for it. */
  circuitOpen?: boolean;
  /** Stopped or drained by recovery: the coordinator hears when it is gone. */
  recovering?: boolean;
}

const INSTANCE_NAME = /^(\d{1,5})\.(\d{1,9})$/;

/** The ordinal of an instance from its actor name (`<ordinal>.<generation>`), or undefined. */
export function ordinalOf(ref: ActorRef<unknown>): number | undefined {
  const path = ref.path;
  const m = INSTANCE_NAME.exec(path.slice(path.lastIndexOf('/') + 1));
  return m === null ? undefined : Number(m[1]);
}

/** The key service actors of one service register under, so they find each other on every node. */
export function peerKeyOf(service: string): ServiceKey<PeerMsg> {
  return defineServiceKey<PeerMsg>(`troupe.services/${service}`);
}

/** Healthy from the start: what an instance without probes is. */
export function startedHealth(nowMs: number): InstanceHealth {
  return Object.freeze({ state: 'healthy', live: true, ready: true, started: true, reasons: Object.freeze([]), sinceMs: nowMs });
}

/** Starting, not ready: what an instance watched by a probe actor is until its first report. */
export function startingHealth(nowMs: number): InstanceHealth {
  return Object.freeze({ state: 'starting', live: true, ready: false, started: false, reasons: Object.freeze(['waiting for the first probe report']), sinceMs: nowMs });
}

/** Whether routers send work to an instance in this phase and health. */
export function routable(phase: InstancePhase, health: InstanceHealth): boolean {
  return phase !== 'draining' && health.ready && health.state !== 'starting' && health.state !== 'unhealthy';
}

/**
 * The state of one service on one node. Invariants: `desired` only moves to a write that
 * supersedes it; `local` holds every instance this actor spawned that has not terminated; an
 * ordinal has at most one instance here that is not draining.
 */
export class ServiceCore<M> {
  readonly peerKey: ServiceKey<PeerMsg>;
  desired: Desired;
  settled: boolean;
  /** Nodes whose desired state this node has heard. */
  readonly heard = new Set<string>();
  /** Addresses of the peers this node has sent its desired state to. */
  greeted = new Set<string>();
  /** Whether the actor follows the instances' listing (only while an instance hands over: a listing per registration costs O(n)). */
  following = false;
  readonly local = new Map<string, LocalInstance>();
  /** Ordinals recovery moved away from nodes (replicated with the desired count); `movesVersion` grows with each change. */
  readonly moves = new Map<number, MoveEntry>();
  movesVersion = 0;
  /** Instances on other nodes reported `node-suspect` to the coordinator (address → node). */
  readonly suspectReported = new Map<string, string>();
  /** Redeploys of instances on other nodes this node carries out (address → where the fresh one goes). */
  readonly remoteMoves = new Map<string, { readonly ordinal: number; readonly from: string; readonly to: string }>();
  /** This actor's subscription to the cluster's events (suspect members). */
  clusterEvents: Subscription | undefined;
  private readonly generations = new Map<number, number>();
  private planned: { readonly hosts: readonly ServiceInstance<PeerMsg>[]; readonly count: number; readonly moves: number; readonly plan: PlacementPlan } | undefined;

  constructor(readonly def: ServiceDefinition<M>, readonly host: HostSettings) {
    this.peerKey = peerKeyOf(def.name);
    this.desired = { count: def.instances, version: 0, writer: '' };
    this.settled = host.cluster === undefined;
  }

  get name(): string { return this.def.name; }
  get node(): string { return this.host.node; }

  /** The next actor name for `ordinal` on this node. */
  nextName(ordinal: number): string {
    const g = (this.generations.get(ordinal) ?? -1) + 1;
    this.generations.set(ordinal, g);
    return `${ordinal}.${g}`;
  }

  /** The service actors of this service on every node (this one included), one per node. */
  peers(): ServiceInstance<PeerMsg>[] {
    const seen = new Set<string>();
    const out: ServiceInstance<PeerMsg>[] = [];
    for (const p of this.host.receptionist.instances(this.peerKey)) {
      if (seen.has(p.node)) continue;
      seen.add(p.node);
      out.push(p);
    }
    return out;
  }

  peerOn(node: string): ServiceInstance<PeerMsg> | undefined {
    return this.peers().find((p) => p.node === node);
  }

  /** The instances of the service on every node, as the receptionist lists them. */
  listed(): readonly ServiceInstance<M>[] {
    return this.host.receptionist.instances(this.def.key);
  }

  /** The placement for the current desired count and moves over the nodes that host the service (kept until any changes). */
  plan(): PlacementPlan {
    const hosts = this.host.receptionist.instances(this.peerKey);
    const count = this.desired.count;
    if (this.planned?.hosts === hosts && this.planned.count === count && this.planned.moves === this.movesVersion) return this.planned.plan;
    const plan = planPlacement(this.name, count, this.def.placement, this.placementNodes(), this.avoided());
    this.planned = { hosts, count, moves: this.movesVersion, plan };
    return plan;
  }

  private placementNodes(): PlacementNode[] {
    return this.peers().map((p) => (p.metadata.zone === undefined ? { node: p.node } : { node: p.node, zone: p.metadata.zone }));
  }

  /** The nodes hosting the service now, sorted and comma-joined: a move holds while they are the same. */
  hostsKey(): string {
    return this.peers().map((p) => p.node).sort().join(',');
  }

  private avoided(extra?: { readonly ordinal: number; readonly avoid: readonly string[] }): Map<number, readonly string[]> {
    const hosts = this.hostsKey();
    const m = new Map<number, readonly string[]>();
    for (const [o, e] of this.moves) if (e.hosts === hosts) m.set(o, e.avoid);
    if (extra !== undefined) m.set(extra.ordinal, extra.avoid);
    return m;
  }

  /**
   * Where a redeploy of `ordinal`, now on node `from`, would start its fresh instance when it
   * avoids `avoid` (`from` and the nodes suspect now): another node the placement rules allow, or
   * `from` with the reason none qualifies.
   */
  redeployTarget(ordinal: number, avoid: readonly string[]): { readonly node: string; readonly fallback?: string } | undefined {
    const plan = planPlacement(this.name, this.desired.count, this.def.placement, this.placementNodes(), this.avoided({ ordinal, avoid }));
    const node = plan.nodeOf[ordinal];
    if (node === undefined) return undefined;
    if (!avoid.includes(node)) return { node };
    const rules = this.def.placement;
    const pins = [rules.nodes && `nodes [${rules.nodes.join(', ')}]`, rules.zones && `zones [${rules.zones.join(', ')}]`, rules.maxPerNode !== Infinity && `maxPerNode ${rules.maxPerNode}`].filter(Boolean).join(', ');
    const others = plan.eligible.filter((n) => !avoid.includes(n.node)).map((n) => n.node);
    return { node, fallback: others.length === 0
      ? `no other node qualifies under the placement rules (eligible: ${plan.eligible.map((n) => n.node).join(', ')}${pins ? `; ${pins}` : ''})`
      : `the other eligible nodes (${others.join(', ')}) are full (${pins})` };
  }

  /** Whether every up member of the cluster hosts this service and this node has heard each one's desired state. */
  clusterHeard(): boolean {
    const cluster = this.host.cluster;
    if (cluster === undefined) return true;
    const hosting = new Set(this.peers().map((p) => p.node));
    for (const m of cluster.members()) {
      if (m.status !== 'up' || m.node === this.node) continue;
      if (!hosting.has(m.node) || !this.heard.has(m.node)) return false;
    }
    for (const node of hosting) if (node !== this.node && !this.heard.has(node)) return false;
    return true;
  }

  /** The local instance `instance` names: by id (the one not draining first), actor name, path or address. */
  findLocal(instance: string): LocalInstance | undefined {
    let draining: LocalInstance | undefined;
    for (const l of this.local.values()) {
      if (l.id === instance || l.name === instance || l.ref.path === instance || String(l.ref) === instance) {
        if (l.phase !== 'draining') return l;
        draining ??= l;
      }
    }
    return draining;
  }

  /** The listed instance on another node that `instance` names (id or address), if any. */
  findRemote(instance: string): ServiceInstance<M> | undefined {
    for (const i of this.listed()) {
      if (i.node === this.node) continue;
      if (String(i.ref) === instance || `${this.name}-${ordinalOf(i.ref)}` === instance) return i;
    }
    return undefined;
  }

  /** Whether an instance of `ordinal` runs on `node`, ready and not unhealthy, as the receptionist lists it. */
  readyOn(ordinal: number, node: string): boolean {
    return this.listed().some((i) => i.node === node && ordinalOf(i.ref) === ordinal && i.metadata.ready !== false && i.metadata.health !== 'unhealthy');
  }

  // ---- status ---------------------------------------------------------------------------

  /** This node's view: the placement, this node's instances, the problems it sees. */
  status(): ServiceStatus {
    const plan = this.plan();
    const instances = [...this.local.values()].map((l): InstanceStatus => ({
      id: l.id, ordinal: l.ordinal, node: this.node, ...(this.host.zone === undefined ? {} : { zone: this.host.zone }),
      ref: l.ref, address: String(l.ref), phase: l.phase, health: l.health, routed: routable(l.phase, l.health) && l.ejected !== true && l.circuitOpen !== true, startedAtMs: l.startedAtMs, source: 'node',
    }));
    return this.summarize('node', plan, instances, []);
  }

  /** Merges this node's status with what each peer answered (undefined: it did not, or not sensibly). */
  merge(own: ServiceStatus, answers: readonly (readonly [string, unknown])[]): ServiceStatus {
    const instances = [...own.instances];
    const problems: string[] = [];
    for (const [node, answer] of answers) {
      const theirs = peerInstances(answer, node);
      if (theirs !== undefined) { instances.push(...theirs); continue; }
      problems.push(`Node ${node} did not answer within ${this.host.statusTimeoutMs} ms; its instances are shown as the receptionist lists them.`);
      for (const i of this.listed()) if (i.node === node) instances.push(fromListing(this.name, i));
    }
    return this.summarize('cluster', this.plan(), instances, problems);
  }

  private summarize(scope: 'cluster' | 'node', plan: PlacementPlan, instances: InstanceStatus[], extra: string[]): ServiceStatus {
    instances.sort((a, b) => a.ordinal - b.ordinal || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) || (a.address < b.address ? -1 : 1));
    const byNode = new Map<string, number[]>();
    plan.nodeOf.forEach((n, i) => { let l = byNode.get(n); if (l === undefined) byNode.set(n, l = []); l.push(i); });
    const nodes: NodePlacement[] = plan.eligible.map((n) => ({ node: n.node, ...(n.zone === undefined ? {} : { zone: n.zone }), ordinals: byNode.get(n.node) ?? [] }));
    const unplaced: number[] = [];
    for (let i = plan.placed; i < plan.desired; i++) unplaced.push(i);
    const problems: string[] = [];
    if (!this.settled) problems.push(`Node ${this.node} is still learning which nodes host ${this.name} (at most ${this.host.settleMs} ms after it started); it has placed nothing yet.`);
    if (unplaced.length > 0) problems.push(unplacedProblem(this.def, plan));
    problems.push(...extra);
    const routed = instances.filter((i) => i.routed);
    return {
      service: this.name,
      version: this.def.version,
      node: this.node,
      scope,
      desired: this.desired.count,
      desiredVersion: this.desired.version,
      settled: this.settled,
      placed: plan.placed,
      unplaced,
      nodes,
      instances,
      routed: routed.length,
      health: aggregate(this.desired.count, instances),
      problems,
    };
  }
}

/** The aggregated health: see {@link ServiceHealthState}. Counted per ordinal below the desired count. */
export function aggregate(desired: number, instances: readonly InstanceStatus[]): ServiceHealthState {
  if (desired === 0) return 'healthy';
  const routed = new Set<number>();
  let degraded = false;
  for (const i of instances) {
    if (!i.routed || i.ordinal >= desired) continue;
    routed.add(i.ordinal);
    if (i.health.state === 'degraded') degraded = true;
  }
  if (routed.size === 0) return 'unhealthy';
  return routed.size < desired || degraded ? 'degraded' : 'healthy';
}

function unplacedProblem(def: ServiceDefinition<unknown>, plan: PlacementPlan): string {
  const missing = plan.desired - plan.placed;
  const rules = [def.placement.nodes && `nodes [${def.placement.nodes.join(', ')}]`, def.placement.zones && `zones [${def.placement.zones.join(', ')}]`].filter(Boolean).join(' and ');
  if (plan.eligible.length === 0) {
    return `${missing} of ${plan.desired} instances have no node: no node hosting ${def.name} matches the placement${rules ? ` (${rules})` : ''}. Start the service on such a node or widen the placement.`;
  }
  return `${missing} of ${plan.desired} instances have no node: maxPerNode ${def.placement.maxPerNode} × ${plan.eligible.length} eligible node${plan.eligible.length === 1 ? '' : 's'} hold ${plan.capacity}. Add nodes${rules ? ` matching ${rules}` : ''}, raise maxPerNode or scale down.`;
}

/** What the receptionist says about an instance whose node did not answer. */
function fromListing(service: string, i: ServiceInstance<unknown>): InstanceStatus {
  const ordinal = ordinalOf(i.ref) ?? -1;
  const ready = i.metadata.ready !== false;
  const health: InstanceHealth = { state: i.metadata.health, live: true, ready, started: true, reasons: [], sinceMs: 0 };
  return {
    id: `${service}-${ordinal}`, ordinal, node: i.node, ...(i.metadata.zone === undefined ? {} : { zone: i.metadata.zone }),
    ref: i.ref, address: String(i.ref), phase: 'running', health, routed: ready && i.metadata.health !== 'unhealthy', startedAtMs: 0, source: 'listing',
  };
}

const PHASES: readonly InstancePhase[] = ['running', 'moving', 'draining'];

/** The instances of a peer's node-scope status, checked field by field (it came over the network); undefined when it is not one. */
function peerInstances(answer: unknown, node: string): InstanceStatus[] | undefined {
  if (typeof answer !== 'object' || answer === null) return undefined;
  const list = (answer as { instances?: unknown }).instances;
  if (!Array.isArray(list)) return undefined;
  const out: InstanceStatus[] = [];
  for (const v of list) {
    if (typeof v !== 'object' || v === null) continue;
    const i = v as Record<string, unknown>;
    if (i.node !== node || typeof i.id !== 'string' || !Number.isSafeInteger(i.ordinal) || !(i.ref instanceof ActorRef) || typeof i.address !== 'string' ||
        !PHASES.includes(i.phase as InstancePhase) || !isInstanceHealth(i.health) || typeof i.routed !== 'boolean' || typeof i.startedAtMs !== 'number' ||
        (i.zone !== undefined && typeof i.zone !== 'string')) continue;
    out.push({
      id: i.id, ordinal: i.ordinal as number, node, ...(i.zone === undefined ? {} : { zone: i.zone as string }), ref: i.ref, address: i.address,
      phase: i.phase as InstancePhase, health: i.health, routed: i.routed, startedAtMs: i.startedAtMs, source: 'node',
    });
  }
  return out;
}
