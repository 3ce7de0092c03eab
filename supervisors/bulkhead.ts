// A bulkhead: caps the mailbox capacity and the concurrent in-flight work of a subtree, so a
// flood there cannot exhaust the rest of the system.

/**
 * Bulkhead limits for every actor below the supervisor that declares it: each mailbox holds at
 * most `maxMailbox` messages (overflow is rejected to dead letters; an ask fails with
 * `mailbox-full`), and at most `maxConcurrent` of those actors run a turn or an async handler
 * at once; the others wait their turn.
 */
export interface Bulkhead {
  readonly maxMailbox: number;
  readonly maxConcurrent: number;
}

/**
 * Something that can wait for a permit and be woken when one frees. `wake` hands it the permit:
 * it must release it exactly once (at once, if it can no longer use it).
 */
export interface PermitWaiter {
  wake(): void;
}

/** The live counterpart of a {@link Bulkhead}: a counting semaphore with a FIFO wait queue. */
export class BulkheadGate {
  private inFlight = 0;
  private waiting: PermitWaiter[] = [];
  private waitHead = 0;
  rejected = 0;

  constructor(readonly limits: Bulkhead) {}

  get active(): number { return this.inFlight; }
  get queued(): number { return this.waiting.length - this.waitHead; }

  /** Takes a permit, or queues `w` to be woken when one frees and returns false. */
  acquire(w: PermitWaiter): boolean {
    if (this.inFlight < this.limits.maxConcurrent) { this.inFlight++; return true; }
    this.waiting.push(w);
    return false;
  }

  /**
   * Gives a permit back. If someone waits, the permit passes straight to the first waiter and
   * stays counted: that waiter now holds it (it must not acquire another) and releases it when
   * its turn is done. Only with nobody waiting does the count drop.
   */
  release(): void {
    if (this.waitHead < this.waiting.length) {
      const w = this.waiting[this.waitHead++];
      if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) { this.waiting = this.waiting.slice(this.waitHead); this.waitHead = 0; }
      w.wake();
      return;
    }
    this.inFlight--;
  }
}
