// How a topic actor finds the same topic on the other nodes of a cluster: `cluster.identify` at
// the topic's well-known path, for every member up now and every member that comes up later.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';

/** What a topic actor needs from the cluster; absent on a single system. */
export interface PeerDirectory {
  /** Names of the other members that are up now. */
  otherNodes(): string[];
  /** The live actor at `path` on `node`, or undefined (also when the node does not answer). */
  identify<M>(node: string, path: string): Promise<ActorRef<M> | undefined>;
  /** Calls `onUp` for each member that comes up from now on; returns the unsubscribe function. */
  onMemberUp(onUp: (node: string) => void): () => void;
}

/**
 * The directory of a cluster node. Identify asks time out after `identifyTimeoutMs` (default
 * 3 000); a node that does not answer is tried again when it next comes up.
 */
export function peerDirectoryOf(node: ClusterNode, identifyTimeoutMs = 3_000): PeerDirectory {
  const self = node.system.node;
  return {
    otherNodes: () => node.cluster.members().filter((m) => m.node !== self && m.status === 'up').map((m) => m.node),
    identify: <M>(target: string, path: string) =>
      node.cluster.identify<M>(target, path, identifyTimeoutMs).catch(() => undefined),
    onMemberUp: (onUp) => {
      const sub = node.cluster.events$.subscribe((e) => {
        if (e.type === 'member-up' && e.member.node !== self) onUp(e.member.node);
      });
      return () => sub.unsubscribe();
    },
  };
}
