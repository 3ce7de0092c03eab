// A transport-contract `settle` on virtual time: fires the scheduler's timers in deadline order
// until the awaited condition holds, or no timer is due within the limit.

import type { VirtualScheduler } from '../../runtime/virtual-clock.ts';

/**
 * Returns a `settle(done)` for a TransportHarness (transport-contract.ts) on `scheduler`: it
 * fires the next due timer until `done()` holds (then `true`), or until none is due within
 * `limitMs` virtual ms of the call (then `done()`); every 1000 firings it yields to the event
 * loop (setImmediate). Default `limitMs` 60 000.
 */
export function createVirtualSettle(scheduler: VirtualScheduler, limitMs = 60_000): (done: () => boolean) => Promise<boolean> {
  return async (done) => {
    const limit = scheduler.clock.now() + limitMs;
    for (let i = 0; !done(); i++) {
      const next = scheduler.nextDeadline();
      if (next === undefined || next > limit) return done();
      scheduler.fireNextDue(next);
      if (i % 1000 === 999) await new Promise<void>((r) => setImmediate(r));
    }
    return true;
  };
}
