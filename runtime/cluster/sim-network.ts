// The in-memory simulated network: transports for many nodes in one process on one (virtual)
// scheduler, with seeded latency, jitter, loss, duplication, reordering, partitions and kills.

import type { Scheduler } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frame.ts';
import { MIN_SECRET_BYTES } from '../wire/handshake.ts';
import { DEFAULT_LINK_CONDITIONS, planPacket, refineLinkConditions, type LinkConditions } from './internal/sim-link.ts';
import { createSimNode, type SimCounters, type SimNode, type SimPacket, type SimWire } from './internal/sim-node.ts';
import type { Transport } from './transport.ts';

export { DEFAULT_LINK_CONDITIONS, type LinkConditions };

/** Options of {@link createSimNetwork}. */
export interface SimNetworkOptions {
  /** The scheduler every simulated node shares; every delay is a timer on it (use a virtual one). */
  readonly scheduler: Scheduler;
  /** The seeded random every loss, duplication, reordering and jitter draw comes from. */
  readonly random: Random;
  /** Conditions of links not set with `setLink`. Default {@link DEFAULT_LINK_CONDITIONS} (1 ms, perfect). */
  readonly defaults?: Partial<LinkConditions>;
  /** Cluster secret of transports created without one, ≥ 16 bytes. Default `'troupe-simulated-cluster-secret'`. */
  readonly secret?: string | Uint8Array;
}

/** Options of {@link SimNetwork.transport}; every field is optional. */
export interface SimTransportOptions {
  /** This node's cluster secret, ≥ 16 bytes; a peer with another one is `rejected` with `auth-failed`. Default: the network's. */
  readonly secret?: string | Uint8Array;
  /** Bytes of frames held per peer while its link is being set up; `send` returns false beyond. Default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Virtual milliseconds a connect may take before `rejected(peer, 'handshake-timeout')`. Default `5_000`. */
  readonly handshakeTimeoutMs?: number;
  /** Largest frame `send` accepts (it returns false for bigger ones). Default 16 MiB ({@link DEFAULT_MAX_FRAME_BYTES}). */
  readonly maxFrameBytes?: number;
}

/**
 * Data-frame counters. At quiet (nothing in flight, no link connecting),
 * `sent + duplicated = delivered + dropped`.
 */
export interface SimNetworkStats {
  /** Frames `send` accepted (returned true for). */
  readonly sent: number;
  /** Frames handed to a receiving node (duplicates included). */
  readonly delivered: number;
  /** Frames lost: by `loss`, a partition, a closed or refused link, or a dead receiver. */
  readonly dropped: number;
  /** Extra copies made by `duplicate`. */
  readonly duplicated: number;
}

/** A simulated network; see {@link createSimNetwork}. */
export interface SimNetwork {
  /** A new transport (kind `'memory'`) for one node; its endpoint is the node id given at `start`. */
  transport(options?: SimTransportOptions): Transport;
  /** Refines the conditions of the directed link `from` → `to` (over its current ones). */
  setLink(from: string, to: string, conditions: Partial<LinkConditions>): void;
  /** The current conditions of the directed link `from` → `to` (the defaults unless set). */
  linkConditions(from: string, to: string): LinkConditions;
  /** Cuts every link between the two groups (both sides get `linkDown`, reason `closed`) and drops all traffic between them until `heal`. */
  partition(groupA: readonly string[], groupB: readonly string[]): void;
  /** Partitions `nodeId` from every other node, present and future, until `heal`. */
  isolate(nodeId: string): void;
  /** Removes every partition and isolation; links come back on the next `send`. */
  heal(): void;
  /** Kills the node as if its process died: it hears nothing more, its peers get `linkDown`. False when no such node runs. */
  kill(nodeId: string): boolean;
  /** Ids of the nodes started and neither stopped nor killed, sorted. */
  nodes(): string[];
  /** A snapshot of the data-frame counters. */
  stats(): SimNetworkStats;
}

const DEFAULT_SECRET = 'troupe-simulated-cluster-secret';

function secretBytes(secret: string | Uint8Array): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new TroupeError('invalid-argument', `The cluster secret must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length}); use 32 random bytes shared by every node.`);
  }
  return bytes;
}

function positiveInt(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new TroupeError('invalid-argument', `${name} must be an integer ≥ ${min}, got ${value}.`, { [name]: value });
  return value;
}

/**
 * Creates a simulated network. Every delay is a timer on `scheduler` and every random choice a
 * draw from `random`, so the same seed and the same calls give the same deliveries in the same
 * order. Per directed link, packets arrive in send order (jitter never reorders them; only a
 * frame picked by `reorder` leaves that order). Loss, duplication and reordering apply to data
 * frames; the connect (which models the handshake and its secret check) and close packets only
 * take latency and jitter, as a reliable connection's control traffic would. A connect across a
 * partition is dropped, so the sender gets `rejected(peer, 'handshake-timeout')`; a connect to a
 * node id that is not running is refused (`rejected(peer, 'refused')`).
 *
 * Transports use `scheduler`, not the context's (pass the same one to the nodes). The handshake
 * itself is not run: `nonceBytes` is unused.
 *
 * @example
 * const scheduler = createVirtualScheduler(0, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
 * const random = createSeededRandom(7);
 * const net = createSimNetwork({ scheduler, random, defaults: { latencyMs: 5, jitterMs: 3 } });
 * const a = net.transport();
 * await a.start({ nodeId: 'a', system: 'shop', scheduler, nonceBytes: (n) => random.bytes(n), events });
 * a.send('b', Buffer.from('hi')); // node b's events.frame('a', …) fires once virtual time gets there
 * while (scheduler.fireNextDue(scheduler.nextDeadline() ?? -1)) {} // run the network until quiet
 */
export function createSimNetwork(options: SimNetworkOptions): SimNetwork {
  const { scheduler, random } = options;
  const defaults = refineLinkConditions(DEFAULT_LINK_CONDITIONS, options.defaults);
  const networkSecret = secretBytes(options.secret ?? DEFAULT_SECRET);
  const links = new Map<string, LinkConditions>();
  const lastArrival = new Map<string, number>();
  const running = new Map<string, SimNode>();
  const cutPairs = new Set<string>();
  const isolated = new Set<string>();
  const counters: SimCounters = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  let conns = 0;

  const key = (from: string, to: string): string => `${from}\u0000${to}`;
  const pairKey = (a: string, b: string): string => (a < b ? key(a, b) : key(b, a));
  const blocked = (a: string, b: string): boolean => isolated.has(a) || isolated.has(b) || cutPairs.has(pairKey(a, b));

  const arrive = (p: SimPacket): void => {
    if (blocked(p.from, p.to)) { if (p.kind === 'frame') counters.dropped++; return; }
    const node = running.get(p.to);
    if (node) return node.receive(p);
    if (p.kind === 'frame') counters.dropped++;
    else if (p.kind === 'connect') {
      post({ kind: 'refuse', conn: p.conn, from: p.to, to: p.from, reason: 'refused', detail: `No node '${p.to}' is running on this simulated network (connection refused).` });
    }
  };

  const post = (p: SimPacket): void => {
    const frame = p.kind === 'frame';
    if (blocked(p.from, p.to)) { if (frame) counters.dropped++; return; }
    const k = key(p.from, p.to);
    const plan = planPacket(links.get(k) ?? defaults, random, frame);
    if (plan.fate === 'lost') { counters.dropped++; return; }
    let at = scheduler.clock.now() + plan.delayMs;
    if (!plan.reordered) {
      at = Math.max(at, lastArrival.get(k) ?? at);
      lastArrival.set(k, at);
    }
    const delay = at - scheduler.clock.now();
    scheduler.startTimer(delay, () => arrive(p));
    if (plan.copies === 2) {
      counters.duplicated++;
      const copy: SimPacket = p.kind === 'frame' ? { ...p, bytes: Buffer.from(p.bytes) } : p;
      scheduler.startTimer(delay, () => arrive(copy));
    }
  };

  const wire: SimWire = {
    scheduler,
    counters,
    nextConn: () => ++conns,
    post,
    register(node) {
      if (running.has(node.id)) {
        throw new TroupeError('duplicate-name', `Node id '${node.id}' already runs on this simulated network; stop or kill it first, or pick another id.`, { nodeId: node.id });
      }
      running.set(node.id, node);
    },
    unregister(node) { if (running.get(node.id) === node) running.delete(node.id); },
  };

  const sever = (a: string, b: string, detail: string): void => {
    running.get(a)?.sever(b, detail);
    running.get(b)?.sever(a, detail);
  };

  return {
    transport(o = {}) {
      return createSimNode(wire, {
        secret: o.secret === undefined ? networkSecret : secretBytes(o.secret),
        maxQueuedBytes: positiveInt('maxQueuedBytes', o.maxQueuedBytes ?? 64 * 1024 * 1024, 0),
        handshakeTimeoutMs: positiveInt('handshakeTimeoutMs', o.handshakeTimeoutMs ?? 5_000, 1),
        maxFrameBytes: positiveInt('maxFrameBytes', o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 0),
      });
    },
    setLink(from, to, conditions) {
      links.set(key(from, to), refineLinkConditions(links.get(key(from, to)) ?? defaults, conditions));
    },
    linkConditions: (from, to) => links.get(key(from, to)) ?? defaults,
    partition(groupA, groupB) {
      for (const a of groupA) {
        for (const b of groupB) {
          if (a === b) throw new TroupeError('invalid-argument', `Node '${a}' is in both groups of a partition; each node belongs to one side.`, { nodeId: a });
          cutPairs.add(pairKey(a, b));
          sever(a, b, `Network partition between '${a}' and '${b}'.`);
        }
      }
    },
    isolate(nodeId) {
      isolated.add(nodeId);
      for (const peer of running.get(nodeId)?.peers() ?? []) sever(nodeId, peer, `Node '${nodeId}' is isolated from the network.`);
      for (const node of running.values()) if (node.peers().includes(nodeId)) sever(node.id, nodeId, `Node '${nodeId}' is isolated from the network.`);
    },
    heal() {
      cutPairs.clear();
      isolated.clear();
    },
    kill(nodeId) {
      const node = running.get(nodeId);
      if (!node) return false;
      node.kill();
      return true;
    },
    nodes: () => [...running.keys()].sort(),
    stats: () => ({ ...counters }),
  };
}
