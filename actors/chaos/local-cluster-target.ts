// The chaos target of a local cluster (spawnLocalCluster with chaos: true): faults reach each
// node's chaos agent over IPC; kill is SIGKILL, pause SIGSTOP/SIGCONT; time is real.

import type { LocalCluster } from '../../runtime/cluster/local-cluster.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { createRealScheduler, wallClockMs } from '../../runtime/real-clock.ts';
import type { AgentReply } from './chaos-agent.ts';
import type { ChaosTarget } from './target.ts';

/**
 * A target over a running local cluster. The cluster must have been spawned with `chaos: true`
 * (its nodes then run a chaos agent; without it every network, actor and system fault is
 * reported as failed, only kill and pause work). A killed node is restarted by the fault's undo
 * and the faults still in force are applied to it again.
 *
 * @example
 * const cluster = await spawnLocalCluster({ nodes: 3, entry, chaos: true });
 * const report = await runScenario(scenario, localClusterTarget(cluster));
 */
export function localClusterTarget(cluster: LocalCluster): ChaosTarget {
  if (typeof cluster?.node !== 'function') throw new TroupeError('invalid-argument', 'localClusterTarget: expected a cluster from spawnLocalCluster.', { field: 'cluster' });
  const scheduler = createRealScheduler();
  const handle = (n: string) => cluster.node(n);
  return {
    kind: 'local-cluster',
    scheduler,
    wallClock: { now: wallClockMs },
    nodes: () => cluster.nodes.map((n) => n.name),
    running: (n) => handle(n).alive,
    call: (n, name, ...args) => handle(n).call(name, ...args),
    command: (n, command) => handle(n).call<AgentReply>('$chaos', command),
    kill: (n) => handle(n).kill(),
    async restart(n) {
      const h = handle(n);
      await h.restart();
      await cluster.waitForMembers();
    },
    pause: async (n) => handle(n).pause(),
    resume: async (n) => handle(n).resume(),
    drive: (work) => work,
  };
}
