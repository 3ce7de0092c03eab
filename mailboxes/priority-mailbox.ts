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
      // The least urgent message goes: a newcomer no more urgent than the worst queued one is
      // dropped itself, so a flood of low-priority messages never evicts an urgent one.
      const p = this.priorityOf(msg);
      const worst = this.leastUrgentIndex();
      if (p >= this.heap[worst].p) return Offer.DroppedNewest;
      const victim = this.removeAt(worst);
      this.onEvict?.(victim);
      this.insert({ p, seq: ++this.seq, msg });
      return Offer.EvictedOldest;
    }
    this.insert({ p: this.priorityOf(msg), seq: ++this.seq, msg });
    return Offer.Accepted;
  }

  get processed(): number { return this.done; }

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

  private leastUrgentIndex(): number {
    const h = this.heap;
    let worst = 0;
    for (let i = 1; i < h.length; i++) {
      if (h[i].p > h[worst].p || (h[i].p === h[worst].p && h[i].seq < h[worst].seq)) worst = i;
    }
    return worst;
  }

  private removeAt(i: number): unknown {
    const h = this.heap;
    const victim = h[i].msg;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      this.down(i);
      // sift up as well: the moved item may be more urgent than its new parent
      let j = i;
      while (j > 0) {
        const parent = (j - 1) >> 1;
        if (!before(h[j], h[parent])) break;
        [h[j], h[parent]] = [h[parent], h[j]];
        j = parent;
      }
    }
    return victim;
  }
}

function before(a: Item, b: Item): boolean {
  return a.p < b.p || (a.p === b.p && a.seq < b.seq);
}
