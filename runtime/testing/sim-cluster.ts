// A simulated cluster for tests: several nodes in one process on one virtual clock, joined
// through a transport factory (the simulated network by default), driven like a test system.

import { createNode, type ClusterNode, type NodeOptions } from '../cluster/node.ts';
import type { Transport } from '../cluster/transport.ts';
import { createSimNetwork, type LinkConditions, type SimNetwork } from '../cluster/sim-network.ts';
import { createSeededRandom } from '../random.ts';
import { createRealScheduler } from '../real-clock.ts';
import { createVirtualScheduler, type VirtualScheduler } from '../virtual-clock.ts';
import type { MessageRegistry } from '../wire/message-registry.ts';
import { createPauseGate, type PauseGate } from './internal/pause.ts';
import { createVirtualDriver, type VirtualDriver } from './virtual-driver.ts';
import { onVirtualTime } from './test-system.ts';

/**
 * Options of {@link createSimCluster}: node names (the first starts the cluster), the cluster
 * seed for every random choice, a factory of message registries (one per node), a transport
 * factory (called once per node start, with the shared scheduler), extra node options, and
 * whether a node downed by the split-brain resolver is restarted (default true, at most
 * `maxDownRestarts` (default 5) times per node), as a process manager would.
 */
export interface SimClusterOptions {
  readonly nodes: readonly string[];
  readonly name?: string;
  readonly seed?: number;
  readonly registry?: () => MessageRegistry;
  /** Default: a transport of `network` (below). */
  readonly transport?: (scheduler: VirtualScheduler, node: string) => Transport;
  /** Conditions of the default simulated network's links (default: 1 ms latency, no loss). */
  readonly network?: Partial<LinkConditions>;
  /** Options of every node; `log` defaults to `{ level: 'silent' }` here (pass one to see or capture the nodes' lines). */
  readonly nodeOptions?: Partial<Omit<NodeOptions, 'transport' | 'scheduler' | 'node' | 'name'>>;
  readonly restartOnDown?: boolean;
  readonly maxDownRestarts?: number;
}

/** A running simulated cluster. */
export interface SimCluster extends VirtualDriver {
  readonly scheduler: VirtualScheduler;
  /** The simulated network (when the default transport is used): partitions, link conditions, kills. */
  readonly network: SimNetwork | undefined;
  node(name: string): ClusterNode;
  readonly nodes: ReadonlyMap<string, ClusterNode>;
  /**
   * Starts (or restarts, as a new incarnation) a node and lets it join through any live node;
   * resolves once it is up (or after 10 s of virtual time, e.g. when a partition keeps it out).
   */
  start(name: string): Promise<ClusterNode>;
  /** Stops a node abruptly; the others find out through the failure detector. */
  crash(name: string): Promise<void>;
  /**
   * Pauses a node as SIGSTOP would: its timers, actors and input wait while virtual time runs
   * on for the others; `resume` runs its overdue timers first, then the input that waited.
   */
  pause(name: string): void;
  resume(name: string): void;
  /** How many times each node was restarted after being downed. */
  readonly downRestarts: ReadonlyMap<string, number>;
  /** Stops every node. */
  shutdown(): Promise<void>;
}

/**
 * Creates a cluster of nodes on one virtual clock and waits until every node is up.
 * @example
 * const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], network: { latencyMs: 5, jitterMs: 3 } });
 * await sim.advance(2_000);
 */
export async function createSimCluster(options: SimClusterOptions): Promise<SimCluster> {
  const real = createRealScheduler();
  const scheduler = createVirtualScheduler(0, { soon: real.soon, yieldThen: real.yieldThen });
  const nodes = new Map<string, ClusterNode>();
  const seedRandom = createSeededRandom(options.seed ?? 1);
  const gates = new Map<string, PauseGate>();
  const busy = (): boolean => {
    for (const [name, n] of nodes) if (!gates.get(name)?.paused && (n.system as unknown as { dispatcher: { queued: number } }).dispatcher.queued > 0) return true;
    return false;
  };
  const driver = createVirtualDriver(scheduler, busy);
  const downRestarts = new Map<string, number>();
  const restartOnDown = options.restartOnDown ?? true;
  const maxDownRestarts = options.maxDownRestarts ?? 5;
  const network = options.transport ? undefined : createSimNetwork({ scheduler, random: createSeededRandom(seedRandom.int(0x7fffffff)), defaults: options.network });
  const transportFor = options.transport ?? ((_s: VirtualScheduler, _n: string) => network!.transport());

  const launch = async (name: string): Promise<ClusterNode> => {
    // join through every live node (any that answers welcomes it), so any node may be restarted
    const seeds = [...nodes].filter(([n, x]) => n !== name && x.cluster.self.status !== 'down').map(([, x]) => x.endpoint);
    const gate = createPauseGate(scheduler);
    gates.set(name, gate);
    const node = await createNode({
      ...options.nodeOptions,
      log: options.nodeOptions?.log ?? { level: 'silent' },
      tracing: onVirtualTime(options.nodeOptions?.tracing),
      name: options.name ?? 'sim',
      node: name,
      scheduler: gate.scheduler,
      random: createSeededRandom(seedRandom.int(0x7fffffff)),
      nonceBytes: (n) => seedRandom.bytes(n),
      incarnation: (Math.floor(scheduler.clock.now()) + 1) * 1_000 + seedRandom.int(1_000),
      transport: gate.transport(transportFor(scheduler, name)),
      registry: options.registry?.(),
      seeds,
    });
    nodes.set(name, node);
    void node.whenStopped.then(() => {
      if (nodes.get(name) !== node || node.cluster.self.status !== 'down') return;
      nodes.delete(name);
      const count = downRestarts.get(name) ?? 0;
      if (!restartOnDown || count >= maxDownRestarts) return;
      downRestarts.set(name, count + 1);
      void launch(name);
    });
    return node;
  };
  const start = async (name: string): Promise<ClusterNode> => {
    const node = await launch(name);
    await driver.runUntil(() => node.cluster.self.status === 'up', 10_000);
    return node;
  };
  const gate = (name: string): PauseGate => {
    const g = gates.get(name);
    if (!g || !nodes.has(name)) throw new Error(`no node ${name} runs in this simulated cluster`);
    return g;
  };

  for (const n of options.nodes) await start(n);
  await driver.runUntil(() => [...nodes.values()].every((n) => n.cluster.members().filter((m) => m.status === 'up').length === nodes.size), 10_000);

  return {
    ...driver,
    scheduler,
    network,
    nodes,
    node: (name) => {
      const n = nodes.get(name);
      if (!n) throw new Error(`no node ${name} in this simulated cluster`);
      return n;
    },
    start,
    downRestarts,
    pause: (name) => gate(name).pause(),
    resume: (name) => gate(name).resume(),
    crash: async (name) => {
      const n = nodes.get(name);
      nodes.delete(name);
      network?.kill(name);
      await n?.stop();
    },
    shutdown: async () => {
      for (const g of gates.values()) if (g.paused) g.resume();
      for (const n of [...nodes.values()]) await n.stop();
      nodes.clear();
    },
  };
}
