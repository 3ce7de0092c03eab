// A priority mailbox: lowest `priorityOf(msg)` first, FIFO among equal keys (a stable binary heap).

import { Offer, type Mailbox, type MailboxStats, type OverflowPolicy } from './mailbox.ts';

interface Item { p: number; seq: number; msg: unknown }

/**
 * Priority mailbox, for operational events that must overtake a backlog (give them a lower key).
 * Bounded when `capacity` is finite; `drop-oldest` evicts the oldest of the lowest-priority messages.
 */
export class PriorityMailbox implements Mailbox {
  private heap: Item[] = [];
  private seq = 0;
  private front = -1;
  private high = 0;
  private done = 0;
  private lost = 0;
  onEvict: ((msg: unknown) => void) | null = null;

  constructor(
    private readonly priorityOf: (msg: unknown) => number,
    readonly capacity: number = Infinity,
    private readonly overflow: OverflowPolicy = 'reject',
  ) {}

  get size(): number { return this.heap.length; }

  offer(msg: unknown): Offer {
    if (this.heap.length >= this.capacity) {
      this.lost++;
      if (this.overflow !== 'drop-oldest') return this.overflow === 'drop-newest' ? Offer.DroppedNewest : Offer.Rejected;
      const victim = this.evictLeastUrgent();
      this.onEvict?.(victim);
      this.insert({ p: this.priorityOf(msg), seq: ++this.seq, msg });
      return Offer.EvictedOldest;
    }
    this.insert({ p: this.priorityOf(msg), seq: ++this.seq, msg });
    return Offer.Accepted;
  }

  take(): unknown {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) { h[0] = last; this.down(0); }
    this.done++;
    return top.msg;
  }

  prepend(msgs: readonly unknown[]): void {
    for (let i = msgs.length - 1; i >= 0; i--) this.insert({ p: this.priorityOf(msgs[i]), seq: this.front--, msg: msgs[i] });
  }

  drain(): unknown[] {
    const out: unknown[] = [];
    while (this.heap.length > 0) { out.push(this.take()); this.done--; }
    return out;
  }

  stats(): MailboxStats {
    return { size: this.heap.length, highWater: this.high, processed: this.done, dropped: this.lost };
  }

  private insert(item: Item): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(item, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = item;
    if (h.length > this.high) this.high = h.length;
  }

  private down(i: number): void {
    const h = this.heap;
    const item = h[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r], h[l]) ? r : l;
      if (!before(h[c], item)) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = item;
  }

  private evictLeastUrgent(): unknown {
    const h = this.heap;
    let worst = 0;
    for (let i = 1; i < h.length; i++) {
      if (h[i].p > h[worst].p || (h[i].p === h[worst].p && h[i].seq < h[worst].seq)) worst = i;
    }
    const victim = h[worst].msg;
    const rest = h.filter((_, i) => i !== worst);
    this.heap = [];
    for (const it of rest) this.insert(it);
    return victim;
  }
}

function before(a: Item, b: Item): boolean {
  return a.p < b.p || (a.p === b.p && a.seq < b.seq);
}
