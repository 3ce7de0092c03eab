// A node's transport in a simulation: while its node is paused (SIGSTOP) its input waits, as in
// the sockets of a stopped process, and runs on resume after the node's own overdue work; a
// crashed node hears nothing more.

import type { Transport, TransportEvents } from '../../cluster/transport.ts';
import type { Slot } from './world.ts';

/** Wraps `inner` so that `slot`'s pause holds its input and its death drops it. */
export function slotTransport(inner: Transport, slot: Slot): Transport {
  return {
    kind: inner.kind,
    start: (ctx) => {
      const e = ctx.events;
      // input runs at once unless the node is paused (held) or dead (dropped)
      const events: TransportEvents = {
        frame: (peer, bytes) => {
          if (slot.dead) return;
          if (slot.paused) slot.heldInput.push(() => e.frame(peer, bytes)); else e.frame(peer, bytes);
        },
        linkUp: (peer, ep) => {
          if (slot.dead) return;
          if (slot.paused) slot.heldInput.push(() => e.linkUp(peer, ep)); else e.linkUp(peer, ep);
        },
        linkDown: (peer, ep, reason, detail) => {
          if (slot.dead) return;
          if (slot.paused) slot.heldInput.push(() => e.linkDown(peer, ep, reason, detail)); else e.linkDown(peer, ep, reason, detail);
        },
        rejected: (remote, reason, detail) => {
          if (slot.dead) return;
          if (slot.paused) slot.heldInput.push(() => e.rejected(remote, reason, detail)); else e.rejected(remote, reason, detail);
        },
      };
      return inner.start({ ...ctx, events });
    },
    send: (endpoint, bytes) => !slot.dead && inner.send(endpoint, bytes),
    disconnect: (endpoint) => inner.disconnect(endpoint),
    stop: () => inner.stop(),
  };
}
