// The hand-written floor for at-least-once pub/sub in one process: a FIFO buffer, an in-flight
// window of unacknowledged events each with an ack-timeout timer, redelivery on timeout, handler
// calls drained on a microtask, and a buffer limit that refuses publishes (backpressure).

/** Thrown by {@link RawAtLeastOnce.publish} when the buffer is full. */
export const BUFFER_FULL = new Error('buffer full');

interface Pending<T> { readonly id: number; readonly value: T; timer?: NodeJS.Timeout }

/** One subscription's at-least-once channel with the bus's default limits. */
export class RawAtLeastOnce<T> {
  private readonly buffer: Pending<T>[] = [];
  private head = 0;
  private readonly unacked = new Map<number, Pending<T>>();
  private readonly ready: Pending<T>[] = [];
  private nextId = 0;
  private draining = false;
  private writable: (() => void)[] = [];
  /** Deliveries redelivered after an ack timeout. */
  redeliveries = 0;

  constructor(private readonly handler: (value: T) => void,
    private readonly maxUnacked = 100, private readonly maxBuffered = 1000, private readonly ackTimeoutMs = 5000) {}

  /** Buffers `value` for delivery; resolves at once, or rejects with {@link BUFFER_FULL}. */
  publish(value: T): Promise<void> {
    if (this.buffer.length - this.head >= this.maxBuffered) return Promise.reject(BUFFER_FULL);
    this.buffer.push({ id: ++this.nextId, value });
    this.pump();
    return Promise.resolve();
  }

  /** Resolves once the buffer has drained to half its limit. */
  whenWritable(): Promise<void> {
    if (this.buffer.length - this.head <= this.maxBuffered / 2) return Promise.resolve();
    return new Promise((resolve) => this.writable.push(resolve));
  }

  /** Cancels every ack timer. */
  close(): void {
    for (const p of this.unacked.values()) clearTimeout(p.timer);
    this.unacked.clear();
  }

  private pump(): void {
    while (this.unacked.size < this.maxUnacked && this.head < this.buffer.length) {
      const p = this.buffer[this.head++];
      this.send(p);
    }
    if (this.head > 1024 && this.head * 2 > this.buffer.length) { this.buffer.splice(0, this.head); this.head = 0; }
    if (this.writable.length > 0 && this.buffer.length - this.head <= this.maxBuffered / 2) for (const w of this.writable.splice(0)) w();
  }

  private send(p: Pending<T>): void {
    p.timer = setTimeout(() => { this.redeliveries++; this.send(p); }, this.ackTimeoutMs);
    this.unacked.set(p.id, p);
    this.ready.push(p);
    if (!this.draining) { this.draining = true; queueMicrotask(() => this.drain()); }
  }

  private drain(): void {
    for (let i = 0; i < this.ready.length; i++) {
      const p = this.ready[i];
      this.handler(p.value);
      clearTimeout(p.timer);
      this.unacked.delete(p.id);
    }
    this.ready.length = 0;
    this.draining = false;
    this.pump();
  }
}
