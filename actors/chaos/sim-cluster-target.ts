// The chaos target of a simulated cluster: the same entry module as a local cluster's, one
// simulated node per name on virtual time, every transport under the same chaos layer as real
// ones; kill is a crash, pause holds the node's timers and input, clock skew moves the node's clock.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { withLinkChaos, type ChaosTransport } from '../../runtime/cluster/chaos-transport.ts';
import type { LocalNodeEntry } from '../../runtime/cluster/local-node-main.ts';
import { createSimNetwork, type LinkConditions, type SimNetwork } from '../../runtime/cluster/sim-network.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import { createSimCluster, type SimCluster } from '../../runtime/testing/sim-cluster.ts';
import { commandAgent, spawnChaosAgent, type ChaosAgentMsg } from './chaos-agent.ts';
import type { ChaosTarget } from './target.ts';

/**
 * Options of {@link createSimClusterTarget}: node names (the first starts the cluster), the entry
 * module the nodes run (its `setup`, `registry`, `control` and `chaos`, as a local cluster's node
 * processes would — keep its state per node, all nodes share one process here), the cluster's
 * seed (default 1), and the simulated network's link conditions (default 1 ms, perfect).
 */
export interface SimClusterTargetOptions {
  readonly nodes: readonly string[];
  readonly entry: LocalNodeEntry;
  readonly seed?: number;
  readonly network?: Partial<LinkConditions>;
}

/** A simulated cluster as a chaos target; `sim` gives the simulation's own controls. */
export interface SimClusterTarget extends ChaosTarget {
  readonly sim: SimCluster;
  /** Stops every node. */
  shutdown(): Promise<void>;
}

/**
 * Starts a simulated cluster running `entry` on each node and returns it as a chaos target.
 * Nodes downed by the split-brain resolver are not restarted by the simulation (a fault's undo
 * restarts a killed node, and runs the entry's setup again).
 *
 * @example
 * const target = await createSimClusterTarget({ nodes: ['n1', 'n2', 'n3'], entry: await import('./shop-node.ts'), seed: 7 });
 * const report = await runScenario(scenario, target, { seed: 7 });
 * await target.shutdown();
 */
export async function createSimClusterTarget(options: SimClusterTargetOptions): Promise<SimClusterTarget> {
  const { entry } = options;
  if (typeof entry !== 'object' || entry === null) throw new TroupeError('invalid-argument', 'createSimClusterTarget: entry must be the node entry module ({ setup, registry, control, chaos }).', { field: 'entry' });
  const seed = options.seed ?? 1;
  let network: SimNetwork | undefined;
  const links = new Map<string, ChaosTransport>();
  const agents = new Map<string, ActorRef<ChaosAgentMsg>>();
  const sim = await createSimCluster({
    nodes: options.nodes,
    seed,
    registry: entry.registry,
    restartOnDown: false,
    transport: (scheduler, name) => {
      network ??= createSimNetwork({ scheduler, random: createSeededRandom(seed ^ 0x5851f42d), defaults: options.network });
      const t = withLinkChaos(network.transport());
      links.set(name, t);
      return t;
    },
  });
  const drive = async <T>(work: Promise<T>, limitMs: number): Promise<T> => {
    let settled = false;
    const watched = work.finally(() => { settled = true; });
    watched.catch(() => undefined);
    if (!(await sim.runUntil(() => settled, limitMs))) throw new TroupeError('ask-timeout', `simulation: not settled within ${limitMs} ms of virtual time.`, { limitMs });
    return watched;
  };
  const setupNode = async (name: string): Promise<void> => {
    const node = sim.node(name);
    await entry.setup?.(node);
    const targets = await entry.chaos?.(node);
    agents.set(name, spawnChaosAgent(node.system, { link: links.get(name)?.chaos, skew: sim.clockSkew(name), services: targets?.services, journals: targets?.journals }));
  };
  for (const n of options.nodes) await drive(setupNode(n), 60_000);
  const running = (n: string): boolean => sim.nodes.has(n);
  const known = (n: string): void => { if (!options.nodes.includes(n)) throw new TroupeError('invalid-argument', `no node '${n}' in this simulated cluster (${options.nodes.join(', ')}).`, { node: n }); };

  return {
    kind: 'simulation',
    sim,
    scheduler: sim.scheduler,
    wallClock: sim.scheduler.clock,
    nodes: () => options.nodes,
    running,
    async call<T>(n: string, name: string, ...args: unknown[]): Promise<T> {
      known(n);
      const fn = entry.control?.[name];
      if (fn === undefined) throw new TroupeError('invalid-argument', `the entry module exports no control.${name}`, { name });
      if (!running(n)) throw new TroupeError('actor-dead', `node ${n} is not running`, { node: n });
      return (await fn(sim.node(n), ...args)) as T;
    },
    command(n, command) {
      const agent = agents.get(n);
      if (agent === undefined || !running(n)) return Promise.resolve({ ok: false, detail: `node ${n} is not running` });
      return commandAgent(agent, command);
    },
    async kill(n) { known(n); agents.delete(n); await sim.crash(n); network?.kill(n); }, // its links die with it (this network is ours, not the simulation's)
    async restart(n) { known(n); await sim.start(n); await setupNode(n); },
    async pause(n) { known(n); sim.pause(n); },
    async resume(n) { known(n); sim.resume(n); },
    drive,
    shutdown: () => sim.shutdown(),
  };
}
