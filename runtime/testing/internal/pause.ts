// A node's transport in a simulation: while its node is paused (SIGSTOP) its input waits, as in
// the sockets of a stopped process, and runs on resume after the node's own overdue work; a
// crashed node hears nothing more.

import type { Transport, TransportEvents } from '../../cluster/transport.ts';
import type { Slot } from './world.ts';

/** Wraps `inner` so that `slot`'s pause holds its input and its death drops it. */
export function slotTransport(inner: Transport, slot: Slot): Transport {
  const input = (fn: () => void): void => {
    if (slot.dead) return;
    if (slot.paused) slot.heldInput.push(fn); else fn();
  };
  return {
    kind: inner.kind,
    start: (ctx) => {
      const e = ctx.events;
      const events: TransportEvents = {
        frame: (peer, bytes) => input(() => e.frame(peer, bytes)),
        linkUp: (peer, ep) => input(() => e.linkUp(peer, ep)),
        linkDown: (peer, ep, reason, detail) => input(() => e.linkDown(peer, ep, reason, detail)),
        rejected: (remote, reason, detail) => input(() => e.rejected(remote, reason, detail)),
      };
      return inner.start({ ...ctx, events });
    },
    send: (endpoint, bytes) => !slot.dead && inner.send(endpoint, bytes),
    disconnect: (endpoint) => inner.disconnect(endpoint),
    stop: () => inner.stop(),
  };
}
