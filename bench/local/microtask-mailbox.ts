// The raw-limit mailbox baseline: a ring queue drained to a handler on one microtask per burst.

import { RingQueue } from './ring-queue.ts';

/**
 * Pushes go to a {@link RingQueue}; the first push after the queue was drained schedules one
 * microtask that hands every queued item to `handler` in order. `handler` must not throw (a
 * throw would escape the microtask); cases that crash on purpose catch inside it.
 */
export class MicrotaskMailbox<T> {
  private readonly queue = new RingQueue<T>();
  private scheduled = false;
  private readonly drain = (): void => {
    this.scheduled = false;
    for (let m = this.queue.shift(); m !== undefined; m = this.queue.shift()) this.handler(m);
  };

  constructor(private readonly handler: (m: T) => void) {}

  /** Queues `m` for the handler; never runs the handler synchronously. */
  push(m: T): void {
    this.queue.push(m);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }
}
