// A simulated cluster: a closed world of several nodes in one process — network, timers,
// randomness and each node's disk on one seeded scheduler and virtual clock — with abrupt crashes,
// restarts from surviving storage, a fault schedule, one trace for the whole run, and replay.

import type { Scheduler } from '../clock.ts';
import { createNode, type ClusterNode, type NodeOptions } from '../cluster/node.ts';
import type { Transport } from '../cluster/transport.ts';
import { createSimNetwork, type LinkConditions, type SimNetwork } from '../cluster/sim-network.ts';
import { isTroupeError, TroupeError } from '../errors.ts';
import { createClockSkew, type ClockSkew } from '../clock-skew.ts';
import type { MessageRegistry } from '../wire/message-registry.ts';
import { onVirtualTime } from './test-system.ts';
import type { Journal } from '../../actors/journal/journal.ts';
import { resolveSimDiskOptions, SimDiskState, type SimDisk, type SimDiskOptions } from '../../actors/journal/sim-disk.ts';
import { createSimJournal } from '../../actors/journal/sim-journal.ts';
import { slotTransport } from './internal/pause.ts';
import { worldFor, type Slot } from './internal/world.ts';
import { checkFaults, describeFault, type SimFault } from './sim-faults.ts';
import type { SimTrace } from './sim-trace.ts';
import { driverOf, type VirtualDriver } from './virtual-driver.ts';

/** What `boot` receives at each start of a node: the node, and its journal on its disk. */
export interface SimNodeStart {
  readonly name: string;
  readonly node: ClusterNode;
  /** This incarnation's journal on the node's disk (what an earlier incarnation synced is there). */
  readonly journal: Journal;
  readonly disk: SimDisk;
  /** 1 at the first start of this node, then one more per restart. */
  readonly incarnation: number;
}

/**
 * Options of {@link createSimCluster}. Node names (the first starts the cluster); `seed` (default 1)
 * for every random choice (network, disks, ids, exploration); a factory of message registries (one
 * per node); a transport factory (default: the simulated network, whose link conditions `network`
 * sets: 1 ms latency, no loss by default); extra node options; whether a node downed by the
 * split-brain resolver is restarted (default true, at most `maxDownRestarts` (default 5) times per
 * node), as a process manager would. And, for the closed world:
 * - `boot`: run at every start of a node (first start and restarts), like a process's main: spawn
 *   its actors there, on `start.journal` (its disk survives crashes).
 * - `storage`: each node's simulated disk (latency, fsync, torn writes, capacity; see {@link SimDiskOptions}).
 * - `faults`: a schedule of {@link SimFault}s, times counted from when the cluster is up.
 * - `explore` (default false): the seeded scheduler chooses which ready step runs next across
 *   nodes — actor turns (one message each), asks settling, async handlers ending, timers due at
 *   the same instant — instead of the oldest.
 * - `replay`: follow a recorded {@link SimTrace} (its seed, exploration and faults are used).
 * - `record` (default true): keep every step for `simTrace()`.
 * - `escapes` (default `'fail'`): simulated code starting real asynchronous work (a real timer,
 *   file or socket I/O) halts the simulation with `simulation-escape`; `'allow'` accepts it.
 */
export interface SimClusterOptions {
  readonly nodes: readonly string[];
  readonly name?: string;
  readonly seed?: number;
  readonly registry?: () => MessageRegistry;
  /**
   * Default: a transport of `network` (below). Called at each start of a node with the
   * simulation's scheduler for network delays (it outlives every node, so give it to a network you
   * make here) and the node's name.
   */
  readonly transport?: (scheduler: Scheduler, node: string) => Transport;
  /** Conditions of the default simulated network's links (default: 1 ms latency, no loss). */
  readonly network?: Partial<LinkConditions>;
  /** Options of every node; `log` defaults to `{ level: 'silent' }` here (pass one to see or capture the nodes' lines). */
  readonly nodeOptions?: Partial<Omit<NodeOptions, 'transport' | 'scheduler' | 'node' | 'name'>>;
  readonly restartOnDown?: boolean;
  readonly maxDownRestarts?: number;
  readonly boot?: (start: SimNodeStart) => void | Promise<void>;
  readonly storage?: SimDiskOptions;
  readonly faults?: readonly SimFault[];
  readonly explore?: boolean;
  readonly replay?: SimTrace;
  readonly record?: boolean;
  readonly escapes?: 'fail' | 'allow';
}

/** A running simulated cluster. */
export interface SimCluster extends VirtualDriver {
  /** The simulation's scheduler, for nodes made outside the cluster (`createNode({ scheduler })`). */
  readonly scheduler: Scheduler;
  /** The simulated network (when the default transport is used): partitions, link conditions, kills. */
  readonly network: SimNetwork | undefined;
  node(name: string): ClusterNode;
  readonly nodes: ReadonlyMap<string, ClusterNode>;
  /**
   * Starts (or restarts, as a new incarnation) a node — `boot` runs — and lets it join through any
   * live node; resolves once it is up (or after 10 s of virtual time, e.g. when a partition keeps it out).
   */
  start(name: string): Promise<ClusterNode>;
  /** Starts a crashed (or stopped) node again: its journal recovers what its disk kept. As `start`. */
  restart(name: string): Promise<ClusterNode>;
  /**
   * Kills a node abruptly, as SIGKILL would: its in-flight handlers never resume, its timers die,
   * what its disk had not synced is lost (or torn), its peers find out through the failure
   * detector. Takes effect at once (the promise is already resolved).
   */
  crash(name: string): Promise<void>;
  /**
   * Pauses a node as SIGSTOP would: its timers, actors and input wait while virtual time runs
   * on for the others; `resume` runs its overdue work first, then the input that waited.
   */
  pause(name: string): void;
  resume(name: string): void;
  /** The journal of the node's current incarnation, on its disk. */
  journal(name: string): Journal;
  /** The node's simulated disk (it outlives crashes): fill it, free it, read its stats. */
  disk(name: string): SimDisk;
  /**
   * The skew of the node's clock (its machine's: it outlives crashes): `set({ offsetMs, driftRatio })`
   * moves what the node reads (its system clock, its journal's stamps) and a drift scales its
   * timers; `clear()` ends it. The `clock-skew` fault uses it.
   */
  clockSkew(name: string): ClockSkew;
  /** How many times each node was restarted after being downed. */
  readonly downRestarts: ReadonlyMap<string, number>;
  /** Virtual milliseconds. */
  now(): number;
  /** Steps run so far. */
  readonly steps: number;
  /** The fault schedule and what was applied of it so far (`crash b @400ms`, …). */
  readonly faultLog: readonly string[];
  /** The trace of the whole simulation: seed, faults and every step (with its `end` after shutdown). */
  simTrace(notes?: Readonly<Record<string, string | number>>): SimTrace;
  /**
   * Calls `check` every `everySteps` steps (default 1) while the simulation runs; when it throws,
   * the simulation halts and every driver call rejects with that error (wrapped as
   * `invariant-violated` unless it is a Troupe error). Replaces any earlier check.
   */
  checkContinuously(check: () => void, everySteps?: number): void;
  /**
   * Stops every node, letting virtual time run for their shutdowns; rejects with `simulation-stuck`
   * if they have not stopped within 24 h of virtual time, or with the error that halted the simulation.
   */
  shutdown(): Promise<void>;
  /** Throws the simulation away at once: nothing of it runs any more (no graceful stop); later driver calls reject. */
  discard(): void;
}

const DAY_MS = 24 * 3_600_000;

/**
 * Creates a cluster of nodes on one virtual clock and waits until every node is up.
 * @example
 * const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], network: { latencyMs: 5, jitterMs: 3 } });
 * await sim.advance(2_000);
 */
export async function createSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const world = worldFor({ ...options, startMs: 0 }, checkFaults);
  const driver = driverOf(world);
  const outside = world.slot('ext');
  const netSlot = world.slot('net');
  const faultSlot = world.slot('fault');
  const storage = resolveSimDiskOptions(options.storage);
  const storageRandom = world.random(2);
  const nodes = new Map<string, ClusterNode>();
  const slots = new Map<string, Slot>();
  const disks = new Map<string, SimDiskState>();
  const journals = new Map<Slot, Journal>();
  const incarnations = new Map<string, number>();
  const downRestarts = new Map<string, number>();
  const faultLog: string[] = [];
  const restartOnDown = options.restartOnDown ?? true;
  const maxDownRestarts = options.maxDownRestarts ?? 5;
  let launches = 0;
  let journalsMade = 0;
  const network = options.transport ? undefined : createSimNetwork({ scheduler: netSlot.scheduler, random: world.random(1), defaults: options.network });
  const transportFor = options.transport ?? ((_s: Scheduler, _n: string) => network!.transport());

  const skews = new Map<string, ClockSkew>();
  const skewOf = (name: string): ClockSkew => {
    let k = skews.get(name);
    if (k === undefined) { k = createClockSkew(); skews.set(name, k); }
    return k;
  };
  const diskOf = (name: string): SimDiskState => {
    let d = disks.get(name);
    if (d === undefined) { d = new SimDiskState(name, storage); disks.set(name, d); }
    return d;
  };
  const slotOf = (name: string): Slot => {
    const s = slots.get(name);
    if (s === undefined || s.dead || !nodes.has(name)) throw new TroupeError('invalid-argument', `No node ${name} runs in this simulated cluster (crashed, stopped or never started); start it first.`, { node: name });
    return s;
  };
  const journalOf = (name: string): Journal => {
    const slot = slotOf(name);
    let j = journals.get(slot);
    if (j === undefined) {
      const node = nodes.get(name)!;
      j = createSimJournal({ disk: diskOf(name), scheduler: slot.scheduler, random: world.random(1_000 + ++journalsMade), clock: slot.scheduler.clock, ids: node.system.ids });
      journals.set(slot, j);
    }
    return j;
  };

  const launch = async (name: string): Promise<ClusterNode> => {
    // join through every live node (any that answers welcomes it), so any node may be restarted
    const seeds = [...nodes].filter(([n, x]) => n !== name && x.cluster.self.status !== 'down').map(([, x]) => x.endpoint);
    const slot = world.slot(name, skewOf(name));
    const random = world.random(100 + ++launches);
    const node = await createNode({
      ...options.nodeOptions,
      log: options.nodeOptions?.log ?? { level: 'silent' },
      tracing: onVirtualTime(options.nodeOptions?.tracing),
      ...(world.explore ? { throughput: 1 } : {}),
      name: options.name ?? 'sim',
      node: name,
      scheduler: slot.scheduler,
      random,
      nonceBytes: (n) => random.bytes(n),
      incarnation: (Math.floor(world.now) + 1) * 1_000 + random.int(1_000),
      transport: slotTransport(transportFor(netSlot.scheduler, name), slot),
      registry: options.registry?.(),
      seeds,
    }, { dispatcher: (throughput) => slot.dispatcher(throughput), sim: slot.hooks });
    nodes.set(name, node);
    slots.set(name, slot);
    const incarnation = (incarnations.get(name) ?? 0) + 1;
    incarnations.set(name, incarnation);
    void node.whenStopped.then(() => {
      if (nodes.get(name) !== node || node.cluster.self.status !== 'down') return;
      nodes.delete(name);
      const count = downRestarts.get(name) ?? 0;
      if (!restartOnDown || count >= maxDownRestarts) return;
      downRestarts.set(name, count + 1);
      void launch(name);
    });
    await options.boot?.({ name, node, journal: journalOf(name), disk: diskOf(name), incarnation });
    return node;
  };
  const start = async (name: string): Promise<ClusterNode> => {
    if (nodes.has(name)) throw new TroupeError('duplicate-name', `Node ${name} already runs in this simulated cluster; crash or stop it before starting it again.`, { node: name });
    const node = await launch(name);
    await driver.runUntil(() => node.cluster.self.status === 'up', 10_000);
    return node;
  };
  const crash = (name: string): void => {
    const slot = slotOf(name);
    nodes.delete(name);
    journals.delete(slot);
    world.kill(slot);
    network?.kill(name);
    diskOf(name).crash(storageRandom);
  };

  const later = (ms: number | undefined, fn: () => void): void => { if (ms !== undefined) faultSlot.scheduler.startTimer(ms, fn); };
  const apply = (f: SimFault): void => {
    const running = (n: string): boolean => nodes.has(n) && !slots.get(n)!.dead;
    const net = (): SimNetwork => {
      if (network === undefined) throw new TroupeError('invalid-argument', `Fault ${describeFault(f)} needs the simulated network; this cluster was given its own transport.`);
      return network;
    };
    faultLog.push(describeFault(f));
    switch (f.kind) {
      case 'partition':
        for (let i = 0; i < f.groups.length; i++) for (let j = i + 1; j < f.groups.length; j++) net().partition(f.groups[i], f.groups[j]);
        later(f.forMs, () => net().heal());
        return;
      case 'isolate': net().isolate(f.node); later(f.forMs, () => net().heal()); return;
      case 'heal': net().heal(); return;
      case 'link': {
        const names = options.nodes;
        const pairs: [string, string][] = [];
        for (const from of f.from === '*' ? names : [f.from]) {
          for (const to of f.to === '*' ? names : [f.to]) {
            if (from === to) continue;
            pairs.push([from, to]);
            if (f.both === true) pairs.push([to, from]);
          }
        }
        const before = pairs.map(([from, to]) => net().linkConditions(from, to));
        for (const [from, to] of pairs) net().setLink(from, to, f.faults);
        later(f.forMs, () => pairs.forEach(([from, to], i) => net().setLink(from, to, before[i])));
        return;
      }
      case 'clock-skew':
        skewOf(f.node).set({ offsetMs: f.offsetMs, driftRatio: f.driftRatio });
        later(f.forMs, () => skewOf(f.node).clear());
        return;
      case 'kill':
        if (!running(f.node)) return;
        crash(f.node);
        later(f.restartAfterMs, () => { if (!nodes.has(f.node)) void launch(f.node); });
        return;
      case 'pause':
        if (!running(f.node)) return;
        world.pause(slots.get(f.node)!);
        later(f.forMs, () => { const s = slots.get(f.node); if (s !== undefined) world.resume(s); });
        return;
      case 'disk-full': diskOf(f.node).fill(); later(f.forMs, () => diskOf(f.node).free()); return;
    }
  };

  for (const n of options.nodes) await start(n);
  await driver.runUntil(() => [...nodes.values()].every((n) => n.cluster.members().filter((m) => m.status === 'up').length === nodes.size), 10_000);
  for (const f of world.faults) faultSlot.scheduler.startTimer(f.atMs, () => apply(f));

  return {
    ...driver,
    scheduler: outside.scheduler,
    network,
    nodes,
    node: (name) => {
      const n = nodes.get(name);
      if (!n) throw new TroupeError('invalid-argument', `No node ${name} runs in this simulated cluster.`, { node: name });
      return n;
    },
    start,
    restart: start,
    crash: (name) => { crash(name); return Promise.resolve(); },
    pause: (name) => world.pause(slotOf(name)),
    resume: (name) => { const s = slots.get(name); if (s !== undefined) world.resume(s); },
    journal: journalOf,
    disk: diskOf,
    clockSkew: skewOf,
    downRestarts,
    now: () => world.now,
    get steps() { return world.steps; },
    faultLog,
    simTrace: (notes) => world.trace(notes),
    checkContinuously: (check, everySteps = 1) => {
      if (!(Number.isInteger(everySteps) && everySteps >= 1)) throw new TroupeError('invalid-argument', `everySteps must be an integer ≥ 1, got ${everySteps}.`);
      world.checkEvery = everySteps;
      world.onStep = () => {
        try {
          check();
        } catch (e) {
          if (isTroupeError(e)) throw e;
          throw new TroupeError('invariant-violated', `Invariant violated at step ${world.steps - 1} (${world.now} ms): ${e instanceof Error ? e.message : String(e)}`, { step: world.steps - 1, atMs: world.now }, { cause: e });
        }
      };
    },
    shutdown: async () => {
      for (const s of slots.values()) world.resume(s);
      let stopped = false;
      void Promise.all([...nodes.values()].map((n) => n.stop())).finally(() => { stopped = true; });
      nodes.clear();
      if (!(await world.drive(world.now + DAY_MS, () => stopped))) {
        throw new TroupeError('simulation-stuck', 'shutdown: the nodes did not stop within 24 h of virtual time; an actor awaits something that never settles (its shutdown is \'infinity\').');
      }
      world.dispose();
      world.checkReplayComplete();
    },
    discard: () => {
      world.halt(new TroupeError('invalid-argument', 'This simulated cluster was discarded: create a new one.'));
      world.dispose();
    },
  };
}
