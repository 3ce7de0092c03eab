// A FIFO mailbox on a growable ring buffer: unbounded, or bounded with an overflow policy.

import { Offer, type Mailbox, type MailboxStats, type OverflowPolicy } from './mailbox.ts';

const EMPTY: unknown[] = [];

/**
 * FIFO mailbox. The buffer starts empty (no allocation for idle actors), grows by doubling and
 * never shrinks below its high water. `capacity` Infinity means unbounded.
 */
export class RingMailbox implements Mailbox {
  private buf: unknown[] = EMPTY;
  private head = 0;
  private count = 0;
  private high = 0;
  private done = 0;
  private lost = 0;
  onEvict: ((msg: unknown) => void) | null = null;

  constructor(readonly capacity: number = Infinity, private readonly overflow: OverflowPolicy = 'reject') {}

  get size(): number { return this.count; }
  get processed(): number { return this.done; }

  offer(msg: unknown): Offer {
    if (this.count >= this.capacity) {
      if (this.overflow === 'drop-oldest') {
        const old = this.take();
        this.done--;
        this.lost++;
        this.onEvict?.(old);
        this.push(msg);
        return Offer.EvictedOldest;
      }
      this.lost++;
      return this.overflow === 'drop-newest' ? Offer.DroppedNewest : Offer.Rejected;
    }
    this.push(msg);
    return Offer.Accepted;
  }

  private push(msg: unknown): void {
    let buf = this.buf;
    if (this.count === buf.length) buf = this.grow();
    buf[(this.head + this.count) & (buf.length - 1)] = msg;
    if (++this.count > this.high) this.high = this.count;
  }

  take(): unknown {
    if (this.count === 0) return undefined;
    const buf = this.buf;
    const msg = buf[this.head];
    buf[this.head] = undefined;
    this.head = (this.head + 1) & (buf.length - 1);
    this.count--;
    this.done++;
    return msg;
  }

  prepend(msgs: readonly unknown[]): void {
    for (let i = msgs.length - 1; i >= 0; i--) {
      if (this.count === this.buf.length) this.grow();
      this.head = (this.head - 1) & (this.buf.length - 1);
      this.buf[this.head] = msgs[i];
      if (++this.count > this.high) this.high = this.count;
    }
  }

  drain(): unknown[] {
    const out: unknown[] = [];
    while (this.count > 0) { out.push(this.take()); this.done--; }
    return out;
  }

  stats(): MailboxStats {
    return { size: this.count, highWater: this.high, processed: this.done, dropped: this.lost };
  }

  private grow(): unknown[] {
    const old = this.buf;
    const next = new Array<unknown>(old.length === 0 ? 8 : old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.buf = next;
    this.head = 0;
    return next;
  }
}
