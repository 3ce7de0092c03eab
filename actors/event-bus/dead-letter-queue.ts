// The dead letter queue of a topic: events a subscription could not take (out of attempts, a
// throwing filter, a full buffer while its subscriber was down), bounded, oldest dropped first.

import type { BusEvent } from './event.ts';

/**
 * One dead letter, as plain data: the event, the subscription (and its group) it was for, how
 * many deliveries were attempted (0 when it never reached the subscriber), the last error text
 * and when it was dead-lettered (system clock).
 */
export interface DeadLetter<E = unknown> {
  readonly topic: string;
  readonly subscription: string;
  readonly group: string | null;
  readonly event: BusEvent<E>;
  readonly attempts: number;
  readonly lastError: string;
  readonly deadAtMs: number;
}

/**
 * A bounded FIFO of dead letters (default capacity 10 000 per topic). Over capacity the oldest
 * entry is dropped and counted in `dropped`.
 */
export class DeadLetterQueue {
  private entries: DeadLetter[] = [];
  /** Entries dropped because the queue was full. */
  dropped = 0;

  constructor(readonly capacity = 10_000) {}

  get size(): number {
    return this.entries.length;
  }

  add(entry: DeadLetter): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) {
      this.entries.shift();
      this.dropped++;
    }
  }

  /** A copy of every entry, oldest first. */
  list(): DeadLetter[] {
    return this.entries.slice();
  }

  /** Removes and returns the entries `take` accepts, oldest first; the others stay in order. */
  takeWhere(take: (entry: DeadLetter) => boolean): DeadLetter[] {
    const taken: DeadLetter[] = [];
    const kept: DeadLetter[] = [];
    for (const e of this.entries) (take(e) ? taken : kept).push(e);
    this.entries = kept;
    return taken;
  }
}
