// A growable power-of-two ring buffer: the queue under every hand-written baseline mailbox.

/** FIFO queue on a ring buffer that doubles when full. Initial capacity 1024. */
export class RingQueue<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private tail = 0;
  private mask: number;
  /** Number of queued items. */
  size = 0;

  constructor(capacity = 1024) {
    let cap = 1;
    while (cap < capacity) cap <<= 1;
    this.buf = new Array<T | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  /** Appends `x` at the tail. */
  push(x: T): void {
    if (this.size === this.buf.length) this.grow();
    this.buf[this.tail] = x;
    this.tail = (this.tail + 1) & this.mask;
    this.size++;
  }

  /** Removes and returns the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const x = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    return x;
  }

  private grow(): void {
    const old = this.buf;
    const next = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) next[i] = old[(this.head + i) & this.mask];
    this.buf = next;
    this.head = 0;
    this.tail = this.size;
    this.mask = next.length - 1;
  }
}
