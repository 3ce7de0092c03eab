// What a chaos scenario runs against: a local cluster of node processes or a simulated cluster.
// Both answer the same calls, so one scenario runs unchanged on either.

import type { Clock, Scheduler } from '../../runtime/clock.ts';
import type { AgentCommand, AgentReply } from './chaos-agent.ts';

/** Which kind of cluster a target drives. */
export type TargetKind = 'local-cluster' | 'simulation';

/**
 * A cluster a scenario can fault. Its `scheduler` is the clock the scenario's schedule runs on
 * (real for a local cluster, virtual for a simulation); `call` runs a function the nodes' entry
 * module exports in `control` (probes and load use it); `command` reaches a node's chaos agent.
 */
export interface ChaosTarget {
  readonly kind: TargetKind;
  readonly scheduler: Scheduler;
  /** The wall clock cron steps are matched against (epoch milliseconds; 0-based in a simulation). */
  readonly wallClock: Clock;
  /** Every node's name, running or not, in a fixed order. */
  nodes(): readonly string[];
  /** Whether the node's process runs now. */
  running(node: string): boolean;
  /** Runs `control[name](node, ...args)` of the entry module on `node`. */
  call<T = unknown>(node: string, name: string, ...args: unknown[]): Promise<T>;
  /** Runs one command on the node's chaos agent. */
  command(node: string, command: AgentCommand): Promise<AgentReply>;
  /** Kills the node's process (SIGKILL, or an abrupt crash in a simulation). */
  kill(node: string): Promise<void>;
  /** Starts a killed node again (a new incarnation joining the cluster); resolves once it runs its agent. */
  restart(node: string): Promise<void>;
  /** Stops the node's process from running (SIGSTOP) until `resume`. */
  pause(node: string): Promise<void>;
  resume(node: string): Promise<void>;
  /** Lets the world run until `work` settles (a simulation advances virtual time, at most `limitMs`). */
  drive<T>(work: Promise<T>, limitMs: number): Promise<T>;
}
