// Routing strategies as data, and the selectors that apply them: given the eligible routees and
// a message, pick one. Pure apart from their own cursor, weights and ring; randomness is injected.

import { createHashRing } from '../../runtime/cluster/hash-ring.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { Random } from '../../runtime/random.ts';
import type { ServiceInstance } from './receptionist-service.ts';

/**
 * How a router picks a routee among the eligible ones (alive, on an up node, not unhealthy):
 * - `'round-robin'` (the default): each in turn, in listing order (node, then address).
 * - `'random'`: uniformly, from the router's seeded `Random` (default: the system's).
 * - `'least-in-flight'`: the one with the fewest asks sent through this router and not yet
 *   settled (tells do not count); ties go round-robin.
 * - `{ kind: 'consistent-hash', keyOf, virtualNodes? }`: the owner of `keyOf(msg)` on a hash
 *   ring of the eligible routees (`virtualNodes` per routee, default 100): the same key goes to
 *   the same routee while they stay, and a change moves only the keys of the routee that came or went.
 * - `{ kind: 'weighted', weightOf? }`: smooth weighted round-robin, so out of every Σw messages
 *   a routee of weight w gets exactly w, spread out. Weights are read at every pick (default
 *   `metadata.weight`, so re-registering with a new weight takes effect at once); a routee of
 *   weight 0 (or not finite) gets nothing.
 */
export type RoutingStrategy<M> =
  | 'round-robin'
  | 'random'
  | 'least-in-flight'
  | { readonly kind: 'consistent-hash'; readonly keyOf: (msg: M) => string; readonly virtualNodes?: number }
  | { readonly kind: 'weighted'; readonly weightOf?: (instance: ServiceInstance<M>) => number };

/** An eligible routee with its address (the identity selectors key on). */
export interface Routee<M> {
  readonly instance: ServiceInstance<M>;
  readonly address: string;
}

/** A strategy at work. `admits` filters routees beyond liveness; `pick` gets a non-empty list. */
export interface Selector<M> {
  admits(instance: ServiceInstance<M>): boolean;
  pick(eligible: readonly Routee<M>[], msg: M): Routee<M>;
}

/** Builds the selector of `strategy`; throws `invalid-spec` for an unknown or incomplete strategy. */
export function createSelector<M>(strategy: RoutingStrategy<M>, random: Random, inFlightOf: (address: string) => number, where: string): Selector<M> {
  const all = (): boolean => true;
  let cursor = 0;
  const next = (): number => { const c = cursor; cursor = (cursor + 1) % 0x7fffffff; return c; };
  if (strategy === 'round-robin') return { admits: all, pick: (e) => e[next() % e.length] };
  if (strategy === 'random') return { admits: all, pick: (e) => e[random.int(e.length)] };
  if (strategy === 'least-in-flight') {
    return {
      admits: all,
      pick: (e) => {
        const start = next() % e.length;
        let best = e[start];
        let least = inFlightOf(best.address);
        for (let i = 1; i < e.length && least > 0; i++) {
          const r = e[(start + i) % e.length];
          const n = inFlightOf(r.address);
          if (n < least) { best = r; least = n; }
        }
        return best;
      },
    };
  }
  if (typeof strategy === 'object' && strategy !== null && strategy.kind === 'consistent-hash') return consistentHash(strategy.keyOf, strategy.virtualNodes, where);
  if (typeof strategy === 'object' && strategy !== null && strategy.kind === 'weighted') return weighted(strategy.weightOf ?? ((i) => i.metadata.weight), where);
  throw new TroupeError('invalid-spec', `${where}: strategy must be 'round-robin', 'random', 'least-in-flight', { kind: 'consistent-hash', keyOf } or { kind: 'weighted' }, got ${JSON.stringify(strategy)}.`);
}

function consistentHash<M>(keyOf: (msg: M) => string, virtualNodes: number | undefined, where: string): Selector<M> {
  if (typeof keyOf !== 'function') throw new TroupeError('invalid-spec', `${where}: a consistent-hash strategy needs keyOf: (msg) => string.`);
  const ring = createHashRing({ virtualNodes });
  let byAddress = new Map<string, Routee<M>>();
  const sync = (eligible: readonly Routee<M>[]): void => {
    let same = eligible.length === byAddress.size;
    for (let i = 0; same && i < eligible.length; i++) same = byAddress.get(eligible[i].address) === eligible[i];
    if (same) return;
    const next = new Map(eligible.map((r) => [r.address, r]));
    for (const id of byAddress.keys()) if (!next.has(id)) ring.remove(id);
    for (const id of next.keys()) ring.add(id);
    byAddress = next;
  };
  return {
    admits: () => true,
    pick: (eligible, msg) => {
      sync(eligible);
      let key: unknown;
      try { key = keyOf(msg); } catch (e) {
        throw new TroupeError('invalid-argument', `${where}: keyOf threw: ${(e as Error)?.message ?? String(e)}`, {}, { cause: e });
      }
      if (typeof key !== 'string') throw new TroupeError('invalid-argument', `${where}: keyOf must return a string, got ${typeof key}.`);
      return byAddress.get(ring.lookup(key) as string) as Routee<M>;
    },
  };
}

function weighted<M>(weightOf: (instance: ServiceInstance<M>) => number, where: string): Selector<M> {
  if (typeof weightOf !== 'function') throw new TroupeError('invalid-spec', `${where}: weightOf must be a function (instance) => number.`);
  const weightIn = (i: ServiceInstance<M>): number => { const w = weightOf(i); return Number.isFinite(w) && w > 0 ? w : 0; };
  let current = new Map<string, number>(); // smooth weighted round-robin (as in nginx)
  return {
    admits: (i) => weightIn(i) > 0,
    pick: (eligible) => {
      const next = new Map<string, number>();
      let total = 0;
      let best = eligible[0];
      let bestScore = -Infinity;
      for (const r of eligible) {
        const w = weightIn(r.instance);
        total += w;
        const score = (current.get(r.address) ?? 0) + w;
        next.set(r.address, score);
        if (score > bestScore) { best = r; bestScore = score; }
      }
      next.set(best.address, bestScore - total);
      current = next;
      return best;
    },
  };
}
