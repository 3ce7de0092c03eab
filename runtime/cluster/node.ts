// A node: an actor system bound to a transport, with remoting and cluster membership. Refs to
// actors on other nodes work like local ones: same tell, ask, watch, same typed errors.

import type { Observable } from 'rxjs';
import { ActorRef } from '../actor-ref.ts';
import { askProcess } from '../ask.ts';
import { TroupeError } from '../errors.ts';
import { secureRandomBytes, wallClockMs } from '../real-clock.ts';
import { createSystemWith, type ActorSystem, type SystemInternals, type SystemOptions } from '../system.ts';
import type { SystemCore } from '../internal/system-core.ts';
import { createMessageRegistry, type MessageRegistry } from '../wire/message-registry.ts';
import { Membership, type ClusterEvent, type Member, type MembershipOptions } from './membership.ts';
import { IDENTIFY_PATH, Remoting, type RemotingIssue } from './remoting.ts';
import type { Transport } from './transport.ts';

/**
 * Options of {@link createNode}: the system's options (its `node` name is the node id, default
 * `'local'`), the transport, the seed endpoints to join through (none: a cluster of one; the
 * first seed starts the cluster when it is this node), the message registry of remote message
 * types, membership settings, and the nonce source (default: crypto-strong bytes).
 */
export interface NodeOptions extends SystemOptions {
  readonly transport: Transport;
  readonly seeds?: readonly string[];
  readonly registry?: MessageRegistry;
  readonly membership?: MembershipOptions;
  readonly nonceBytes?: (n: number) => Uint8Array;
  /**
   * This start's incarnation: must grow from one start of a node to the next (a member with a
   * higher incarnation replaces the old one). Default: wall-clock milliseconds × 1 000 plus a
   * random 0–999, so restarts on one machine always increase.
   */
  readonly incarnation?: number;
  /** Where rejected connections and dropped input from peers are logged as warnings; default: nowhere but `cluster.events$` (`link-rejected`, `input-dropped`). */
  readonly log?: (entry: { level: 'warn'; msg: string; data: Record<string, unknown> }) => void;
}

/** The cluster as seen from one node. */
export interface Cluster {
  readonly self: Member;
  members(): Member[];
  readonly events$: Observable<ClusterEvent>;
  /** Resolves once this node is up. */
  whenUp(): Promise<void>;
  /** A ref for an address string (`troupe://system@node/path#uid`), local or remote. */
  refFor<M>(address: string): ActorRef<M>;
  /** Asks `node` for the live actor at `path`; resolves undefined when there is none. */
  identify<M>(node: string, path: string, timeoutMs?: number): Promise<ActorRef<M> | undefined>;
}

/** A running node. */
export interface ClusterNode {
  readonly system: ActorSystem;
  readonly cluster: Cluster;
  readonly endpoint: string;
  /** Leaves gracefully: announces leaving, stops its actors (remote watchers learn it), then stops. */
  leave(): Promise<void>;
  /** Stops at once: the transport first, so the others learn of it as of a crash (by the failure detector). */
  stop(): Promise<void>;
}

/**
 * Starts a node and joins the cluster through its seeds.
 * @example
 * const node = await createNode({ name: 'shop', node: 'n1', transport: createTcpTransport({ secret }), seeds: ['127.0.0.1:7001'] });
 * await node.cluster.whenUp();
 */
export async function createNode(options: NodeOptions, internals: SystemInternals = {}): Promise<ClusterNode> {
  const { transport } = options;
  const registry = options.registry ?? createMessageRegistry();
  const system = createSystemWith(options, internals);
  const core = system as unknown as SystemCore;
  let membership: Membership | null = null;
  const directory = {
    endpointOf: (n: string) => membership?.endpointOf(n),
    isUp: (n: string) => membership?.isUp(n) ?? false,
  };
  const remoting = new Remoting(core, transport, registry, directory);
  const warn = (msg: string, data: Record<string, unknown>): void => options.log?.({ level: 'warn', msg, data });
  const endpoint = await transport.start({
    nodeId: system.node,
    system: system.name,
    scheduler: system.scheduler,
    nonceBytes: options.nonceBytes ?? secureRandomBytes,
    events: {
      frame: (peer, bytes) => remoting.onFrame(peer, bytes),
      linkUp: () => {},
      linkDown: (peer, ep, reason, detail) => { if (reason !== 'closed' && reason !== 'stopped') warn('link closed', { peer, endpoint: ep, reason, detail }); },
      rejected: (remote, reason, detail) => {
        // A refused connect means nothing listens there: the member's process is gone, so it is
        // declared down at once instead of after the failure detector's pause. Retries to a
        // down peer fail on every attempt and are not worth a warning each.
        if (reason === 'refused') { membership?.endpointRefused(remote); return; }
        if (reason !== 'error') warn('connection rejected', { remote, reason, detail });
        membership?.reportRejected(remote, reason, detail);
      },
    },
  });
  const incarnation = options.incarnation ?? wallClockMs() * 1_000 + system.random.int(1_000);
  membership = new Membership(system.node, endpoint, incarnation, options.seeds ?? [], registry.manifest(), system.scheduler, remoting, options.membership);
  const m = membership;
  m.onDown = (node) => remoting.nodeDown(node);
  remoting.clusterHandler = (peer, type, payload) => m.onMessage(peer, type, payload);
  remoting.onIssue = (issue: RemotingIssue) => {
    warn('dropped input from a peer', { ...issue });
    m.reportDropped(issue.peer, issue.kind, issue.detail);
  };
  m.start();

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    m.stop();
    await transport.stop();
    if (!system.isTerminated) await system.terminate();
  };

  const cluster: Cluster = {
    get self() { return m.selfMember; },
    members: () => m.members(),
    events$: m.events$,
    whenUp: () => m.whenUp(),
    refFor: <M>(address: string) => remoting.refFor(address) as ActorRef<M>,
    identify: async <M>(node: string, path: string, timeoutMs = 3_000) => {
      if (!m.isUp(node)) throw new TroupeError('actor-dead', `Node ${node} is not a reachable member of the cluster.`, { node });
      const service = remoting.processFor({ system: system.name, node, path: IDENTIFY_PATH, uid: 0 });
      const found = await askProcess(service, (replyTo) => ({ type: '$identify', path, replyTo }), { timeoutMs });
      return found instanceof ActorRef ? (found as ActorRef<M>) : undefined;
    },
  };

  return {
    system,
    cluster,
    endpoint,
    leave: async () => {
      if (stopped) return;
      m.announce('leaving');
      await system.terminate();
      m.announce('removed');
      await stop();
    },
    stop,
  };
}
