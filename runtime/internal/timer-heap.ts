// A binary min-heap of timed entries ordered by (deadline, start sequence): the one order in which
// the real scheduler, the virtual one and the simulated world fire timers.

/** What the heap orders: a deadline, and a sequence number that breaks ties by start order. */
export interface Timed {
  readonly at: number;
  readonly seq: number;
}

/** Whether `a` fires before `b`. */
export function earlier(a: Timed, b: Timed): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** Adds `t` to the heap `h`. */
export function heapPush<T extends Timed>(h: T[], t: T): void {
  h.push(t);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (earlier(h[p], t)) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = t;
}

/** Removes and returns the earliest entry of `h` (undefined when empty). */
export function heapPop<T extends Timed>(h: T[]): T | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length === 0 || last === undefined) return top;
  let i = 0;
  const n = h.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && earlier(h[r], h[l]) ? r : l;
    if (earlier(last, h[c])) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = last;
  return top;
}
