// A simulated process pause (SIGSTOP) for one node of a simulated cluster: its timers and
// transport events are held while paused; on resume the overdue timers run first, then the
// input that waited in its "sockets", as in a real process that wakes up.

import type { Scheduler, TimerId } from '../../clock.ts';
import type { Transport, TransportEvents } from '../../cluster/transport.ts';

/** One node's pause switch with the scheduler and transport wrappers it gates. */
export interface PauseGate {
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  /** The node's scheduler: everything it runs is held while paused. */
  readonly scheduler: Scheduler;
  /** Wraps the node's transport: its events are held while paused (the network goes on). */
  transport(inner: Transport): Transport;
}

export function createPauseGate(base: Scheduler): PauseGate {
  let paused = false;
  const heldWork: (() => void)[] = [];
  const heldInput: (() => void)[] = [];
  const work = (fn: () => void) => (): void => { if (paused) heldWork.push(fn); else fn(); };
  const input = (fn: () => void): void => { if (paused) heldInput.push(fn); else fn(); };
  const scheduler: Scheduler = {
    clock: base.clock,
    soon: (fn) => base.soon(work(fn)),
    yieldThen: (fn) => base.yieldThen(work(fn)),
    startTimer: (ms, fn): TimerId => base.startTimer(ms, work(fn)),
    cancelTimer: (id) => base.cancelTimer(id),
  };
  return {
    get paused() { return paused; },
    pause() { paused = true; },
    resume() {
      paused = false;
      for (const fn of heldWork.splice(0)) fn();
      for (const fn of heldInput.splice(0)) fn();
    },
    scheduler,
    transport(inner) {
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
        send: (endpoint, bytes) => inner.send(endpoint, bytes),
        disconnect: (endpoint) => inner.disconnect(endpoint),
        stop: () => inner.stop(),
      };
    },
  };
}
