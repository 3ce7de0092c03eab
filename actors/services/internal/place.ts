// Placement as a pure function: which node runs each instance ordinal of a service, given the
// desired count, the placement rules and the nodes that host the service. Same input, same plan.

import { murmur3 } from '../../../runtime/cluster/hash-ring.ts';
import type { ResolvedPlacement } from '../placement.ts';

/** A node that hosts the service, with its zone (undefined: no zone). */
export interface PlacementNode {
  readonly node: string;
  readonly zone?: string;
}

/** Where each instance goes. */
export interface PlacementPlan {
  /** Node of each ordinal `0 … placed − 1`; ordinals `placed … desired − 1` have none. */
  readonly nodeOf: readonly string[];
  readonly desired: number;
  readonly placed: number;
  /** The nodes the rules allow, sorted, with their zones. */
  readonly eligible: readonly PlacementNode[];
  /** Instances the rules allow on the eligible nodes (`Infinity` without `maxPerNode`). */
  readonly capacity: number;
}

const score = (service: string, ordinal: number, node: string): number => murmur3(`${service}|${ordinal}|${node}`);
const rank = (service: string, name: string): number => murmur3(`${service}|${name}`);

/**
 * Plans `desired` instances of `service` over `nodes`; `moves` (default none) names, per ordinal,
 * nodes recovery moved it away from. Invariants, for one input:
 * - only nodes the rules allow get instances, never more than `maxPerNode` each;
 * - ordinals `0 … placed − 1` are placed, `placed = min(desired, capacity)`: when nodes run short
 *   the highest ordinals (the newest) are the ones left without a node;
 * - loads are balanced: over nodes (spread `'nodes'`) or over zones first and then over the nodes
 *   of each zone (spread `'zones'`), within one instance of each other where caps allow;
 * - each ordinal starts from its rendezvous-hash node (highest `murmur3(service|ordinal|node)`), and
 *   only the instances a node holds beyond its balanced share move, so a node leaving or joining
 *   moves few instances besides its own;
 * - then an ordinal placed on a node its `moves` entry avoids goes to the eligible node with room
 *   (under `maxPerNode`) that it does not avoid and that holds the fewest instances (ties: the
 *   best rendezvous score); with none, it stays where it is (the balance may then be off by the
 *   moved instances).
 */
export function planPlacement(service: string, desired: number, rules: ResolvedPlacement, nodes: readonly PlacementNode[], moves?: ReadonlyMap<number, readonly string[]>): PlacementPlan {
  const byName = new Map<string, PlacementNode>();
  for (const n of nodes) {
    if (byName.has(n.node)) continue;
    if (rules.nodes !== undefined && !rules.nodes.includes(n.node)) continue;
    if (rules.zones !== undefined && (n.zone === undefined || !rules.zones.includes(n.zone))) continue;
    byName.set(n.node, n.zone === undefined ? { node: n.node } : { node: n.node, zone: n.zone });
  }
  const eligible = [...byName.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const cap = rules.maxPerNode;
  const capacity = cap === Infinity ? (eligible.length > 0 ? Infinity : 0) : cap * eligible.length;
  const placed = Math.min(desired, capacity);
  const names = eligible.map((n) => n.node);
  if (placed === 0) return { nodeOf: [], desired, placed, eligible, capacity };

  // 1. Each ordinal's rendezvous node, ignoring loads (monotone: a leaving node only moves its own).
  const first = new Array<string>(placed);
  const firstLoad = new Map<string, number>(names.map((n) => [n, 0]));
  for (let i = 0; i < placed; i++) {
    let best = names[0];
    let bestScore = -1;
    for (const n of names) {
      const s = score(service, i, n);
      if (s > bestScore || (s === bestScore && n < best)) { best = n; bestScore = s; }
    }
    first[i] = best;
    firstLoad.set(best, firstLoad.get(best)! + 1);
  }

  // 2. Balanced shares (water-filling one instance at a time, up to the caps); ties favour the
  //    node (or zone) that already holds more, so fewer instances move.
  const quota = new Map<string, number>(names.map((n) => [n, 0]));
  const fill = (members: readonly string[], units: number, loadOf: (m: string) => number, capOf: (m: string) => number, into: Map<string, number>): void => {
    const order = [...members].sort((a, b) => loadOf(b) - loadOf(a) || rank(service, a) - rank(service, b) || (a < b ? -1 : 1));
    for (let u = 0; u < units; u++) {
      let pick: string | undefined;
      for (const m of order) if (into.get(m)! < capOf(m) && (pick === undefined || into.get(m)! < into.get(pick)!)) pick = m;
      if (pick === undefined) return;
      into.set(pick, into.get(pick)! + 1);
    }
  };
  if (rules.spread === 'zones') {
    const zoneOf = (n: string): string => byName.get(n)!.zone ?? '';
    const zones = [...new Set(names.map(zoneOf))];
    const members = new Map(zones.map((z) => [z, names.filter((n) => zoneOf(n) === z)]));
    const zoneQuota = new Map<string, number>(zones.map((z) => [z, 0]));
    const zoneLoad = (z: string): number => members.get(z)!.reduce((s, n) => s + firstLoad.get(n)!, 0);
    fill(zones, placed, zoneLoad, (z) => cap * members.get(z)!.length, zoneQuota);
    for (const z of zones) fill(members.get(z)!, zoneQuota.get(z)!, (n) => firstLoad.get(n)!, () => cap, quota);
  } else {
    fill(names, placed, (n) => firstLoad.get(n)!, () => cap, quota);
  }

  // 3. A node keeps its strongest instances up to its share; the others go, in ordinal order, to
  //    the best-scoring node with room.
  const nodeOf = new Array<string>(placed);
  const load = new Map<string, number>(names.map((n) => [n, 0]));
  const evicted: number[] = [];
  for (const n of names) {
    const mine: number[] = [];
    for (let i = 0; i < placed; i++) if (first[i] === n) mine.push(i);
    mine.sort((a, b) => score(service, b, n) - score(service, a, n) || a - b);
    mine.forEach((i, j) => {
      if (j < quota.get(n)!) { nodeOf[i] = n; load.set(n, load.get(n)! + 1); } else evicted.push(i);
    });
  }
  evicted.sort((a, b) => a - b);
  for (const i of evicted) {
    let best: string | undefined;
    let bestScore = -1;
    for (const n of names) {
      if (load.get(n)! >= quota.get(n)!) continue;
      const s = score(service, i, n);
      if (s > bestScore || (s === bestScore && best !== undefined && n < best)) { best = n; bestScore = s; }
    }
    nodeOf[i] = best!;
    load.set(best!, load.get(best!)! + 1);
  }

  // 4. Ordinals moved away from their node by recovery.
  if (moves !== undefined) {
    for (const [i, avoid] of [...moves].sort((x, y) => x[0] - y[0])) {
      if (i >= placed || !avoid.includes(nodeOf[i])) continue;
      let best: string | undefined;
      for (const n of names) {
        if (avoid.includes(n) || load.get(n)! >= cap) continue;
        if (best === undefined || load.get(n)! < load.get(best)! || (load.get(n) === load.get(best) && score(service, i, n) > score(service, i, best))) best = n;
      }
      if (best === undefined) continue;
      load.set(nodeOf[i], load.get(nodeOf[i])! - 1);
      nodeOf[i] = best;
      load.set(best, load.get(best)! + 1);
    }
  }
  return { nodeOf, desired, placed, eligible, capacity };
}
