// Consistent hash ring: maps keys to node ids so that adding or removing a node moves only the
// keys that node gains or loses. Virtual nodes on a 32-bit murmur3 circle, binary-searched.

import { TroupeError } from '../errors.ts';

/** Settings of a hash ring. `virtualNodes` — points per unit of weight. Default `100`. */
export interface HashRingOptions {
  readonly virtualNodes?: number;
}

/** A consistent hash ring of node ids. Lookups are deterministic: independent of insertion order. */
export interface HashRing {
  /**
   * Adds node `id` with `weight` (default `1`, must be > 0): it gets
   * `max(1, round(virtualNodes × weight))` points. Adding an id already present changes its weight.
   */
  add(id: string, weight?: number): void;
  /** Removes node `id`; returns whether it was present. Only keys on it move. */
  remove(id: string): boolean;
  /** The node owning `key` (first point clockwise from its hash), or undefined on an empty ring. */
  lookup(key: string): string | undefined;
  /** Whether node `id` is on the ring. */
  has(id: string): boolean;
  /** Node ids, sorted. */
  nodes(): string[];
  /** Number of nodes (not points). */
  readonly size: number;
}

/**
 * Creates an empty consistent hash ring. Node `id`'s points are `murmur3("id#i")` for each
 * i < its point count; points that collide are ordered by id, so every replica that adds the same
 * nodes (in any order) maps every key the same way.
 *
 * @example
 * const ring = createHashRing();
 * ring.add('node-a'); ring.add('node-b', 2);
 * const owner = ring.lookup('order-42'); // 'node-a' or 'node-b', stable while the nodes stay
 */
export function createHashRing(options: HashRingOptions = {}): HashRing {
  const virtualNodes = options.virtualNodes ?? 100;
  if (!Number.isInteger(virtualNodes) || virtualNodes < 1) {
    throw new TroupeError('invalid-argument', `virtualNodes must be an integer >= 1 (got ${virtualNodes}); 100 is a good default.`);
  }
  const weights = new Map<string, number>();
  let points = new Uint32Array(0);
  let owners: string[] = [];

  const rebuild = (): void => {
    const all: Array<{ hash: number; id: string }> = [];
    for (const [id, weight] of weights) {
      const count = Math.max(1, Math.round(virtualNodes * weight));
      for (let i = 0; i < count; i++) all.push({ hash: murmur3(`${id}#${i}`), id });
    }
    all.sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    points = Uint32Array.from(all, (p) => p.hash);
    owners = all.map((p) => p.id);
  };

  return {
    add(id, weight = 1) {
      if (!(weight > 0) || !Number.isFinite(weight)) {
        throw new TroupeError('invalid-argument', `Weight of node '${id}' must be a finite number > 0 (got ${weight}); use remove() to take it off the ring.`);
      }
      if (weights.get(id) === weight) return;
      weights.set(id, weight);
      rebuild();
    },
    remove(id) {
      if (!weights.delete(id)) return false;
      rebuild();
      return true;
    },
    lookup(key) {
      const n = points.length;
      if (n === 0) return undefined;
      const h = murmur3(key);
      let lo = 0;
      let hi = n; // first index with points[i] >= h, in [0, n]
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid] < h) lo = mid + 1; else hi = mid;
      }
      return owners[lo === n ? 0 : lo];
    },
    has: (id) => weights.has(id),
    nodes: () => [...weights.keys()].sort(),
    get size() { return weights.size; },
  };
}

const encoder = new TextEncoder();

/** MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `text`, as an unsigned integer. */
export function murmur3(text: string, seed = 0): number {
  const bytes = encoder.encode(text);
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = bytes[blocks];
    if (tail > 1) k ^= bytes[blocks + 1] << 8;
    if (tail > 2) k ^= bytes[blocks + 2] << 16;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
