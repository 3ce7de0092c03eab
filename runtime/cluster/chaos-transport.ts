// The chaos layer of the transport seam: wraps any Transport (TCP, NATS, simulated) and applies
// link faults per peer and direction — drop, delay and jitter, duplicate, reorder, bandwidth,
// and blocks (one side of a partition) — drawn from a seeded random, timed on the node's scheduler.

import type { Scheduler, TimerId } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import { createSeededRandom, type Random } from '../random.ts';
import { planPacket } from './internal/sim-link.ts';
import { resolveLinkFaults, type LinkDirection, type LinkFaults, type ResolvedLinkFaults } from './link-faults.ts';
import type { Transport, TransportContext, TransportEvents } from './transport.ts';

/** One rule of a node's link chaos, set under an id with {@link LinkChaos.set}. */
export interface LinkChaosRule {
  /** Node ids of the peers it applies to, or `'*'` for every peer (also peers whose id is not known yet). */
  readonly peers: readonly string[] | '*';
  /** Which frames: `'outbound'`, `'inbound'` or `'both'` (default). */
  readonly direction?: LinkDirection;
  /** Drops every frame (this node's side of a partition) and closes the current links to those peers. Default false. */
  readonly block?: boolean;
  /** Faults applied to the frames that are not blocked; see {@link LinkFaults}. */
  readonly faults?: LinkFaults;
}

/** Frame counters of a node's link chaos (frames the rules touched; frames passed straight through are not counted). */
export interface LinkChaosStats {
  /** Frames that went through a rule and were delivered (copies counted once). */
  readonly passed: number;
  /** Frames lost by `loss`. */
  readonly dropped: number;
  /** Frames dropped by a `block` rule. */
  readonly blocked: number;
  /** Extra copies sent by `duplicate`. */
  readonly duplicated: number;
  /** Frames held out of order by `reorder`. */
  readonly reordered: number;
  /** Frames handed on later than they came (delay, jitter, bandwidth or queueing behind such frames). */
  readonly delayed: number;
  /** Delayed outbound frames the inner transport refused when their time came (queue full or stopped). */
  readonly refused: number;
}

/** The controls of a node's link chaos. Every rule is independent; {@link LinkChaos.remove} undoes one. */
export interface LinkChaos {
  /**
   * Sets (or replaces) the rule `id`. For a frame, a matching `block` rule wins; otherwise the
   * most recently set matching rule's faults apply. Throws `invalid-argument` for a bad rule.
   */
  set(id: string, rule: LinkChaosRule): void;
  /** Removes the rule `id` (frames already delayed still arrive). False when there was none. */
  remove(id: string): boolean;
  /** Removes every rule. */
  clear(): void;
  /** Ids of the rules in force, in the order they were set. */
  ids(): string[];
  /** Restarts the random draws from `seed` (a scenario derives one seed per node from its own). */
  reseed(seed: number): void;
  stats(): LinkChaosStats;
}

/** A transport with a chaos layer; see {@link withLinkChaos}. */
export interface ChaosTransport extends Transport {
  readonly chaos: LinkChaos;
}

/** Options of {@link withLinkChaos}. */
export interface LinkChaosOptions {
  /** The seeded random of every draw; default `createSeededRandom(seed)`. */
  readonly random?: Random;
  /** Seed of the default random; default 1. */
  readonly seed?: number;
}

interface Active { readonly id: string; readonly peers: ReadonlySet<string> | '*'; readonly out: boolean; readonly in: boolean; readonly block: boolean; readonly faults: ResolvedLinkFaults | undefined }
type Plan = { readonly block: true } | { readonly block: false; readonly faults: ResolvedLinkFaults } | null;
/** Per directed link: when the last frame handed on leaves, and until when its bandwidth is busy. */
interface LinkClock { last: number; busyUntil: number }

const DIRECTIONS = new Set<LinkDirection>(['outbound', 'inbound', 'both']);

/**
 * Wraps `inner` with a chaos layer. With no rule set, `send` and received frames pass straight
 * through (one size check; a transport that is not wrapped pays nothing at all). Outbound rules
 * match the peer by the endpoint it was learnt at (`linkUp`); inbound rules by the sending node's
 * id. A frame's fate is drawn like the simulated network's (`planPacket`: loss, then duplicate,
 * then reorder, then latency + jitter); frames of one link keep their order unless reordered;
 * with a bandwidth limit each frame occupies the link `bytes / bandwidth` seconds after the one
 * before. Delayed frames are timers on the context's scheduler (virtual in simulations);
 * `stop` cancels them. A dropped or blocked outbound frame still makes `send` return true: the
 * caller handed it over and it was lost on the way, as on a real network. The handshake and
 * link events are not touched: a blocked peer's link may come up, but no frame crosses it.
 *
 * @example
 * const transport = withLinkChaos(createTcpTransport({ secret }), { seed: 42 });
 * const node = await createNode({ transport, ... });
 * transport.chaos.set('slow-n2', { peers: ['n2'], direction: 'outbound', faults: { latencyMs: 200, jitterMs: 50, loss: 0.05 } });
 * transport.chaos.set('cut', { peers: ['n3'], block: true });   // this node's side of a partition
 * transport.chaos.remove('cut');                                // heal
 */
export function withLinkChaos(inner: Transport, options: LinkChaosOptions = {}): ChaosTransport {
  let random = options.random ?? createSeededRandom(options.seed ?? 1);
  const rules: Active[] = [];
  const cache = new Map<string, Plan>();
  const nodeOf = new Map<string, string>();
  const endpointsOf = new Map<string, Set<string>>();
  const clocks = new Map<string, LinkClock>();
  const timers = new Set<TimerId>();
  const counts = { passed: 0, dropped: 0, blocked: 0, duplicated: 0, reordered: 0, delayed: 0, refused: 0 };
  let ctx: TransportContext | undefined;
  let scheduler: Scheduler | undefined;
  let stopped = false;

  const planFor = (peer: string | undefined, outbound: boolean): Plan => {
    const key = `${outbound ? 'o' : 'i'}${peer ?? ''}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    let plan: Plan = null;
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i];
      if (!(outbound ? r.out : r.in)) continue;
      if (r.peers !== '*' && (peer === undefined || !r.peers.has(peer))) continue;
      if (r.block) { plan = { block: true }; break; }
      if (plan === null && r.faults !== undefined) plan = { block: false, faults: r.faults };
    }
    cache.set(key, plan);
    return plan;
  };

  /** Applies `plan` to one frame; `deliver` hands it on (now or from a timer). */
  const apply = (plan: Exclude<Plan, null>, link: string, bytes: Buffer, deliver: (b: Buffer) => void): void => {
    if (plan.block) { counts.blocked++; return; }
    const s = scheduler;
    if (s === undefined) { deliver(bytes); return; } // not started: nothing to time it with
    const { conditions, bandwidthBytesPerSec } = plan.faults;
    const p = planPacket(conditions, random, true);
    if (p.fate === 'lost') { counts.dropped++; return; }
    const now = s.clock.now();
    let clock = clocks.get(link);
    if (clock === undefined) { clock = { last: now, busyUntil: now }; clocks.set(link, clock); }
    let at = now + p.delayMs;
    if (p.reordered) counts.reordered++;
    else at = Math.max(at, clock.last);
    if (bandwidthBytesPerSec !== Infinity) {
      at = Math.max(at, clock.busyUntil) + (bytes.length * 1_000) / bandwidthBytesPerSec;
      clock.busyUntil = at;
    }
    if (!p.reordered) clock.last = at;
    counts.passed++;
    if (p.copies === 2) counts.duplicated++;
    if (at <= now) {
      deliver(bytes);
      if (p.copies === 2) deliver(bytes);
      return;
    }
    counts.delayed++;
    const fire = (): void => {
      timers.delete(id);
      if (stopped) return;
      deliver(bytes);
      if (p.copies === 2) deliver(bytes);
    };
    const id = s.startTimer(at - now, fire);
    timers.add(id);
  };

  const sendNow = (endpoint: string) => (b: Buffer): void => {
    if (!inner.send(endpoint, b)) counts.refused++;
  };

  const chaos: LinkChaos = {
    set(id, rule) {
      if (typeof id !== 'string' || id === '') throw new TroupeError('invalid-argument', 'link chaos: a rule needs a non-empty string id (remove it by that id).', { field: 'id' });
      if (typeof rule !== 'object' || rule === null) throw new TroupeError('invalid-argument', `link chaos '${id}': expected a rule like { peers: ['n2'], faults: { loss: 0.1 } }.`, { field: 'rule' });
      const { peers, direction = 'both', block = false, faults } = rule;
      if (peers !== '*' && (!Array.isArray(peers) || peers.some((p) => typeof p !== 'string' || p === ''))) {
        throw new TroupeError('invalid-argument', `link chaos '${id}': peers must be '*' or an array of node ids, got ${JSON.stringify(peers)?.slice(0, 80)}.`, { field: 'peers' });
      }
      if (!DIRECTIONS.has(direction)) throw new TroupeError('invalid-argument', `link chaos '${id}': direction must be 'outbound', 'inbound' or 'both', got ${JSON.stringify(direction)}.`, { field: 'direction' });
      if (typeof block !== 'boolean') throw new TroupeError('invalid-argument', `link chaos '${id}': block must be a boolean.`, { field: 'block' });
      if (!block && faults === undefined) throw new TroupeError('invalid-argument', `link chaos '${id}': give faults (e.g. { latencyMs: 100 }) or block: true.`, { field: 'faults' });
      const resolved = faults === undefined ? undefined : resolveLinkFaults(faults, `link chaos '${id}'`);
      chaos.remove(id);
      const set = peers === '*' ? '*' : new Set(peers);
      rules.push({ id, peers: set, out: direction !== 'inbound', in: direction !== 'outbound', block, faults: resolved });
      cache.clear();
      if (block && ctx !== undefined && direction !== 'inbound') {
        // a partition also cuts the links open now, as a real one resets them
        const cut = set === '*' ? [...nodeOf.keys()] : [...set].flatMap((p) => [...(endpointsOf.get(p) ?? [])]);
        for (const ep of cut) inner.disconnect(ep);
      }
    },
    remove(id) {
      const i = rules.findIndex((r) => r.id === id);
      if (i < 0) return false;
      rules.splice(i, 1);
      cache.clear();
      return true;
    },
    clear() { rules.length = 0; cache.clear(); },
    ids: () => rules.map((r) => r.id),
    reseed(seed) { random = createSeededRandom(seed); },
    stats: () => ({ ...counts }),
  };

  return {
    kind: inner.kind,
    chaos,
    start(c) {
      stopped = false;
      scheduler = c.scheduler;
      const e = c.events;
      const events: TransportEvents = {
        frame(peer, bytes) {
          if (rules.length === 0) { e.frame(peer, bytes); return; }
          const plan = planFor(peer, false);
          if (plan === null) { e.frame(peer, bytes); return; }
          apply(plan, `i${peer}`, bytes, (b) => e.frame(peer, b));
        },
        linkUp(peer, endpoint) {
          nodeOf.set(endpoint, peer);
          let eps = endpointsOf.get(peer);
          if (eps === undefined) { eps = new Set(); endpointsOf.set(peer, eps); }
          eps.add(endpoint);
          e.linkUp(peer, endpoint);
        },
        linkDown: (peer, endpoint, reason, detail) => e.linkDown(peer, endpoint, reason, detail),
        rejected: (remote, reason, detail) => e.rejected(remote, reason, detail),
      };
      ctx = { ...c, events };
      return inner.start(ctx);
    },
    send(endpoint, bytes) {
      if (rules.length === 0) return inner.send(endpoint, bytes);
      const plan = planFor(nodeOf.get(endpoint), true);
      if (plan === null) return inner.send(endpoint, bytes);
      if (stopped) return false;
      apply(plan, `o${endpoint}`, bytes, sendNow(endpoint));
      return true;
    },
    disconnect: (endpoint) => inner.disconnect(endpoint),
    async stop() {
      stopped = true;
      if (scheduler !== undefined) for (const t of timers) scheduler.cancelTimer(t);
      timers.clear();
      await inner.stop();
    },
  };
}
