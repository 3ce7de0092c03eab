// Placement rules of a service: how its instances spread over the nodes that host it, which
// nodes or zones it is pinned to, and how many instances one node may run.

import { TroupeError } from '../../runtime/errors.ts';

/**
 * Where a service's instances run. Every field is optional:
 * - `spread` (default `'nodes'`): `'nodes'` balances instance counts over the eligible nodes;
 *   `'zones'` balances over zones first (a node's zone is the one its service host declares; nodes
 *   without one form one zone), then over the nodes of each zone.
 * - `nodes`: only these nodes are eligible (pinned); default: every node that hosts the service.
 * - `zones`: only nodes of these zones are eligible; default: any zone. With both, a node must match both.
 * - `maxPerNode` (default unlimited): at most this many instances on one node. When the eligible
 *   nodes cannot hold them all, the newest (highest) ordinals stay unplaced and the service's
 *   status says so; nothing throws.
 *
 * @example
 * placement: { spread: 'zones', zones: ['eu-1', 'eu-2'], maxPerNode: 2 }
 */
export interface PlacementSpec {
  readonly spread?: 'nodes' | 'zones';
  readonly nodes?: readonly string[];
  readonly zones?: readonly string[];
  readonly maxPerNode?: number;
}

/** {@link PlacementSpec} with its defaults filled in (`maxPerNode` `Infinity` when unlimited). */
export interface ResolvedPlacement {
  readonly spread: 'nodes' | 'zones';
  readonly nodes: readonly string[] | undefined;
  readonly zones: readonly string[] | undefined;
  readonly maxPerNode: number;
}

const FIELDS = ['spread', 'nodes', 'zones', 'maxPerNode'];
const LABEL = /^[A-Za-z0-9_.:\-]{1,64}$/;

/** Checks placement rules and fills defaults; throws `invalid-spec` naming the field (`data.field`). */
export function resolvePlacement(spec: PlacementSpec | undefined, where: string): ResolvedPlacement {
  const bad = (field: string, why: string): TroupeError => new TroupeError('invalid-spec', `${where}: ${field} ${why}`, { field });
  if (spec === undefined) return DEFAULT_PLACEMENT;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw bad('placement', 'must be an object like { spread: \'nodes\', maxPerNode: 2 }.');
  for (const k of Object.keys(spec)) if (!FIELDS.includes(k)) throw bad(`placement.${k}`, `is not a placement rule; use ${FIELDS.join(', ')}.`);
  const spread = spec.spread ?? 'nodes';
  if (spread !== 'nodes' && spread !== 'zones') throw bad('placement.spread', `must be 'nodes' or 'zones', got ${JSON.stringify(spread)}.`);
  const list = (field: 'nodes' | 'zones'): readonly string[] | undefined => {
    const v = spec[field];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || !v.every((s) => typeof s === 'string' && LABEL.test(s))) {
      throw bad(`placement.${field}`, `must be a non-empty array of ${field === 'nodes' ? 'node names' : 'zone names'} (1–64 characters of letters, digits, _ . : -), got ${JSON.stringify(v)?.slice(0, 120)}.`);
    }
    if (new Set(v).size !== v.length) throw bad(`placement.${field}`, 'names a node or zone twice.');
    return Object.freeze([...v]);
  };
  const nodes = list('nodes');
  const zones = list('zones');
  const maxPerNode = spec.maxPerNode ?? Infinity;
  if (maxPerNode !== Infinity && (!Number.isSafeInteger(maxPerNode) || maxPerNode < 1)) throw bad('placement.maxPerNode', `must be an integer ≥ 1 (default unlimited), got ${String(maxPerNode)}.`);
  return Object.freeze({ spread, nodes, zones, maxPerNode });
}

/** Spread over nodes, no pinning, no cap. */
export const DEFAULT_PLACEMENT: ResolvedPlacement = Object.freeze({ spread: 'nodes', nodes: undefined, zones: undefined, maxPerNode: Infinity });
