// A node: an actor system bound to a transport, with remoting and cluster membership. Refs to
// actors on other nodes work like local ones: same tell, ask, watch, same typed errors.

import type { Observable } from 'rxjs';
import { ActorRef } from '../actor-ref.ts';
import { askProcess } from '../ask.ts';
import { TroupeError } from '../errors.ts';
import type { SystemTerminationReason } from '../events.ts';
import { secureRandomBytes, wallClockMs } from '../real-clock.ts';
import { createSystemWith, type ActorSystem, type SystemInternals, type SystemOptions } from '../system.ts';
import type { SystemCore } from '../internal/system-core.ts';
import { createMessageRegistry, type MessageRegistry } from '../wire/message-registry.ts';
import { LinkCounters, observeNode } from '../observe/internal/node-metrics.ts';
import { runtimeMetricsOf } from '../observe/metrics.ts';
import { Membership, type ClusterEvent, type Member, type MembershipOptions, type WhenUpOptions } from './membership.ts';
import { IDENTIFY_PATH, Remoting, type RemotingIssue } from './remoting.ts';
import type { Transport } from './transport.ts';

/**
 * Options of {@link createNode}: the system's options (its `node` name is the node id, default
 * `'local'`; its `log` also gets the node's reports: `error` for misconfiguration — a peer with
 * another secret or wire protocol, incompatible message manifests, the system terminating by a
 * failure — `warn` for links that close abnormally, unreadable frames and members down or
 * unreachable, `info` for members up, leaving, removed or reachable again; the same report at
 * most once per 10 s), the transport, the seed endpoints to join through (none: a cluster of one; the
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
}

/** The cluster as seen from one node. */
export interface Cluster {
  readonly self: Member;
  members(): Member[];
  /** Members this node's failure detector suspects, not (yet) downed by the split-brain resolver. */
  unreachable(): string[];
  /** Members this node suspects: phi at or above `membership.suspectPhiThreshold` (default half the phi threshold), or unreachable; not yet down. */
  suspected(): string[];
  readonly events$: Observable<ClusterEvent>;
  /**
   * Resolves once this node is up. With `timeoutMs` (default: none, it waits for ever) it rejects
   * with `join-timeout` if the node is not up by then; the error's `data.reasons` lists what was
   * seen meanwhile (`auth-failed`, `incompatible`, `protocol-version`, `refused`,
   * `handshake-timeout`, or `unreachable` when no seed answered at all).
   */
  whenUp(options?: WhenUpOptions): Promise<void>;
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
  /**
   * Resolves once the node has stopped, with its system's termination reason. A node downed by
   * the split-brain resolver stops by itself (then `cluster.self.status` is `'down'`). A system that
   * terminates by itself (a failure escalated to the root, or `system.terminate()`) makes its
   * node leave the cluster (peers see it leaving, then removed) and stop.
   */
  readonly whenStopped: Promise<SystemTerminationReason>;
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
    isReachable: (n: string) => membership?.isReachable(n) ?? false,
  };
  const link = new LinkCounters();
  const remoting = new Remoting(core, link.wrap(transport), registry, directory);
  const logs = core.logs;
  const log = (level: 'error' | 'warn' | 'info', msg: string, data: Record<string, unknown>, key = `${msg}|${String(data.remote ?? data.peer ?? data.node ?? '')}|${String(data.reason ?? '')}`): void => {
    if (!logs.enabled(level) || logs.allow(key, 10_000) === false) return;
    try { logs.root[level]({ component: 'cluster', ...data }, msg); } catch { /* a failing destination must not break the node */ }
  };
  const warn = (msg: string, data: Record<string, unknown>): void => log('warn', msg, data);
  const endpoint = await transport.start({
    nodeId: system.node,
    system: system.name,
    scheduler: system.scheduler,
    nonceBytes: options.nonceBytes ?? secureRandomBytes,
    events: {
      frame: (peer, bytes) => { link.received(bytes); remoting.onFrame(peer, bytes); },
      linkUp: (peer, ep) => remoting.linkUp(peer, ep),
      linkDown: (peer, ep, reason, detail) => { if (reason !== 'closed' && reason !== 'stopped') warn('link closed', { peer, endpoint: ep, reason, detail }); },
      rejected: (remote, reason, detail) => {
        // A refused connect means nothing listens there: the member's process is gone, so it is
        // declared down at once instead of after the failure detector's pause. Retries to a
        // down peer fail on every attempt and are not worth a warning each.
        if (reason === 'refused') { membership?.endpointRefused(remote); return; }
        if (reason === 'auth-failed' || reason === 'protocol-version') {
          log('error', `Connection ${reason === 'auth-failed' ? 'refused: authentication failed (is the cluster secret the same on every node?)' : 'refused: the peer speaks another wire protocol version (upgrade the older node)'}`, { remote, reason, detail }, `rejected|${reason}`);
        } else if (reason !== 'error') warn('connection rejected', { remote, reason, detail });
        membership?.reportRejected(remote, reason, detail);
      },
    },
  });
  const incarnation = options.incarnation ?? wallClockMs() * 1_000 + system.random.int(1_000);
  membership = new Membership(system.node, endpoint, incarnation, options.seeds ?? [], registry.manifest(), system.scheduler, remoting, options.membership);
  const m = membership;
  m.onDown = (node, certain) => remoting.nodeDown(node, certain);
  m.onUnreachable = (node) => remoting.nodeUnreachable(node);
  // Downed (this side lost a partition, or peers downed it while it was paused): it stops at once,
  // without a leave (the others hold it down already); a process manager restarts it as a new incarnation.
  m.onSelfDown = () => { system.scheduler.soon(() => { void stop(); }); };
  remoting.clusterHandler = (peer, type, payload) => m.onMessage(peer, type, payload);
  remoting.onIssue = (issue: RemotingIssue) => {
    warn('dropped input from a peer', { ...issue });
    m.reportDropped(issue.peer, issue.kind, issue.detail);
  };
  const hub = runtimeMetricsOf(system.metrics);
  if (hub !== undefined) observeNode(hub, () => membership, link);
  m.events$.subscribe((e) => {
    switch (e.type) {
      case 'member-up': case 'member-leaving': case 'member-removed': case 'member-reachable':
        log('info', `${e.type.replace('-', ' ')}: ${e.member.node}`, { member: e.member.node, status: e.member.status, event: e.type }, `${e.type}|${e.member.node}|${e.member.incarnation}`);
        break;
      case 'member-down': case 'member-unreachable':
        log('warn', `${e.type.replace('-', ' ')}: ${e.member.node}`, { member: e.member.node, status: e.member.status, event: e.type }, `${e.type}|${e.member.node}|${e.member.incarnation}`);
        break;
      case 'downing-decision':
        log('warn', `split-brain resolver (${e.strategy}): ${e.action}; unreachable ${e.unreachable.join(', ') || 'none'}`, { strategy: e.strategy, action: e.action, reachable: [...e.reachable], unreachable: [...e.unreachable] }, `downing|${e.action}|${e.unreachable.join(',')}`);
        break;
      default: break;
    }
    if (e.type === 'incompatible') log('error', `Node ${e.node} and this node disagree on message types: ${e.incompatibilities.map((i) => i.message).join(' ')}`, { peer: e.node, incompatibilities: e.incompatibilities.map((i) => `${i.direction} ${i.type}: ${i.kind}`) });
  });
  m.start();

  let stopped = false;
  let resolveStopped!: (r: SystemTerminationReason) => void;
  const whenStopped = new Promise<SystemTerminationReason>((r) => { resolveStopped = r; });
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    m.stop();
    remoting.flushNow();
    await transport.stop();
    resolveStopped(system.isTerminated ? await system.whenTerminated : await system.terminate());
  };
  let leaving = false;
  const leave = async (): Promise<void> => {
    if (stopped || leaving) return;
    leaving = true;
    m.announce('leaving');
    await system.terminate();
    m.announce('removed');
    await stop();
  };
  // A system that terminates by itself leaves the cluster: a node without actors must not stay up.
  void system.whenTerminated.then((reason) => {
    if (stopped || leaving) return;
    if (reason.kind === 'escalated') {
      const e = reason.error as { message?: unknown } | undefined;
      log('error', `The actor system terminated: a failure escalated to the root (${typeof e?.message === 'string' ? e.message : String(reason.error)}). This node leaves the cluster.`, { reason: 'escalated' });
    }
    leaving = true;
    m.announce('leaving');
    m.announce('removed');
    return stop();
  });

  const cluster: Cluster = {
    get self() { return m.selfMember; },
    members: () => m.members(),
    unreachable: () => m.unreachable(),
    suspected: () => m.suspected(),
    events$: m.events$,
    whenUp: (o?: WhenUpOptions) => m.whenUp(o),
    refFor: <M>(address: string) => remoting.refFor(address) as ActorRef<M>,
    identify: async <M>(node: string, path: string, timeoutMs = 3_000) => {
      if (m.isUp(node) && !m.isReachable(node)) throw new TroupeError('node-unreachable', `Node ${node} is unreachable (suspected by the failure detector); retry later.`, { node });
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
    leave,
    stop,
    whenStopped,
  };
}
