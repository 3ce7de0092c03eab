// The timers of a scheduler in a binary min-heap ordered by (deadline, start sequence), with lazy
// cancellation and compaction. Shared by the real and the virtual scheduler, so both fire timers in the same order.

import type { TimerId } from '../clock.ts';
import { heapPop, heapPush } from './timer-heap.ts';

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
    heapPush(this.heap, e);
  }

  private pop(): void {
    heapPop(this.heap);
  }
}
