// What a node process of a chaos-enabled local cluster installs: a skewable clock under its
// system, the chaos layer over its transport, and its chaos agent, reached by the parent over IPC.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { createClockSkew, type ClockSkew } from '../../runtime/clock-skew.ts';
import type { Scheduler } from '../../runtime/clock.ts';
import { withLinkChaos, type ChaosTransport } from '../../runtime/cluster/chaos-transport.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import type { Transport } from '../../runtime/cluster/transport.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { createRealScheduler, realClock } from '../../runtime/real-clock.ts';
import type { ServiceHost } from '../services/service-host.ts';
import { commandAgent, spawnChaosAgent, type AgentCommand, type AgentReply, type ChaosAgentMsg } from './chaos-agent.ts';
import type { FaultyJournal } from './journal-faults.ts';

/** What a node's entry module hands its chaos agent (export `chaos(node)` from the entry): its service host and faulty journals by name. */
export interface NodeChaosTargets {
  readonly services?: ServiceHost;
  readonly journals?: Readonly<Record<string, FaultyJournal>>;
}

/** A node process's chaos kit; see {@link prepareNodeChaos}. */
export interface NodeChaos {
  /** The node's scheduler, on a skewable real clock. */
  readonly scheduler: Scheduler;
  readonly skew: ClockSkew;
  /** Wraps the node's transport with the chaos layer (call once, before createNode). */
  wrap(transport: Transport): ChaosTransport;
  /** Spawns the agent once the node and its entry are set up. */
  start(node: ClusterNode, targets?: NodeChaosTargets): void;
  /** Runs one command on the agent (rejects `invalid-argument` before `start`). */
  command(command: AgentCommand): Promise<AgentReply>;
}

/**
 * Prepares chaos for one node process: call before `createNode`, pass `scheduler` and
 * `wrap(transport)` to it, then `start(node, targets)` after the entry's setup. Used by the node
 * processes of `spawnLocalCluster({ chaos: true })`; a process that never calls it pays nothing.
 */
export function prepareNodeChaos(): NodeChaos {
  const skew = createClockSkew();
  const scheduler = createRealScheduler(skew.wrap(realClock));
  let transport: ChaosTransport | undefined;
  let agent: ActorRef<ChaosAgentMsg> | undefined;
  return {
    scheduler,
    skew,
    wrap(t) { transport = withLinkChaos(t); return transport; },
    start(node, targets = {}) {
      agent = spawnChaosAgent(node.system, { link: transport?.chaos, skew, services: targets.services, journals: targets.journals });
    },
    command(c) {
      if (agent === undefined) return Promise.reject(new TroupeError('invalid-argument', 'This node\'s chaos agent has not started yet.'));
      return commandAgent(agent, c);
    },
  };
}
