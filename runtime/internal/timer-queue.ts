// A binary min-heap of timers ordered by (deadline, start sequence), with lazy cancellation and
// compaction. Shared by the real and the virtual scheduler, so both fire timers in the same order.

import type { TimerId } from '../clock.ts';

interface Entry extends TimerId { at: number; seq: number; fn: (() => void) | null }

export class TimerQueue {
  private heap: Entry[] = [];
  private seq = 0;
  private live = 0;

  get size(): number { return this.live; }

  add(at: number, fn: () => void): TimerId {
    const e: Entry = { at, seq: ++this.seq, fn };
    this.live++;
    this.insert(e);
    return e;
  }

  cancel(id: TimerId): void {
    const e = id as Entry;
    if (e.fn === null) return;
    e.fn = null;
    this.live--;
    // Cancelled entries wait for their turn at the top; rebuild when they dominate the heap.
    if (this.heap.length > 1024 && this.heap.length > 4 * this.live) this.compact();
  }

  /** Deadline of the earliest live timer, or undefined. */
  peek(): number | undefined {
    this.dropCancelled();
    return this.heap.length > 0 ? this.heap[0].at : undefined;
  }

  /** Removes and returns the earliest live timer due at or before `now`. */
  popDue(now: number): (() => void) | undefined {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.pop();
    const fn = top.fn!;
    top.fn = null;
    this.live--;
    return fn;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].fn === null) this.pop();
  }

  private compact(): void {
    const keep = this.heap.filter((e) => e.fn !== null);
    this.heap = [];
    for (const e of keep) this.insert(e);
  }

  private insert(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p], e)) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r], h[l]) ? r : l;
      if (less(last, h[c])) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
}

function less(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
