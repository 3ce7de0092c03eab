// A minimal in-process transport for specs that need nodes but not network conditions:
// frames are delivered on a microtask, in order, to whichever transport holds the endpoint.

import type { Transport, TransportContext } from '../../runtime/cluster/transport.ts';

/** A hub of loopback transports; endpoints are node ids. `cut(node)` makes a node unreachable. */
export function createLoopbackHub() {
  const peers = new Map<string, TransportContext>();
  const cut = new Set<string>();
  return {
    transport(): Transport {
      let me: TransportContext | undefined;
      return {
        kind: 'memory',
        async start(ctx) { me = ctx; peers.set(ctx.nodeId, ctx); return ctx.nodeId; },
        send(endpoint, bytes) {
          if (!me || peers.get(me.nodeId) !== me) return false;
          const from = me.nodeId;
          queueMicrotask(() => {
            const peer = peers.get(endpoint);
            if (peer && !cut.has(endpoint) && !cut.has(from)) peer.events.frame(from, bytes);
          });
          return true;
        },
        disconnect() {},
        async stop() { if (me && peers.get(me.nodeId) === me) peers.delete(me.nodeId); },
      };
    },
    cut: (node: string) => cut.add(node),
    heal: (node: string) => cut.delete(node),
  };
}
