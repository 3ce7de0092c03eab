// The idempotent consumer: remembers the ids of events it handled over a bounded window and
// acknowledges a redelivered or replayed duplicate without running the handler again.

import { TroupeError } from '../../runtime/errors.ts';
import type { EventHandler } from './subscription.ts';

/**
 * The last `capacity` ids seen, oldest forgotten first (a set plus a ring of insertion order).
 * Use it directly in a handler actor: `if (window.has(d.event.id)) { ack(d); return; }`.
 */
export class DedupWindow {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private at = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new TroupeError('invalid-argument', `DedupWindow: capacity must be an integer ≥ 1 (default windowSize 10 000), got ${capacity}.`);
    this.ring = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Remembers `id`, forgetting the oldest id once `capacity` are held. */
  add(id: string): void {
    if (this.ids.has(id)) return;
    const old = this.ring[this.at];
    if (old !== undefined) this.ids.delete(old);
    this.ring[this.at] = id;
    this.at = (this.at + 1) % this.capacity;
    this.ids.add(id);
  }

  get size(): number {
    return this.ids.size;
  }
}

/** Options of {@link idempotent}: `windowSize` (default 10 000) event ids remembered. */
export interface IdempotentOptions {
  readonly windowSize?: number;
}

/**
 * Wraps a handler so that an event id it already handled successfully is acknowledged without
 * calling it again (duplicates from redelivery, replay, or a publisher retrying with the same
 * `id`). An id is remembered only once the handler succeeded, so a failed attempt still runs
 * again. Deduplication covers the last `windowSize` handled ids of this wrapper.
 *
 * @example orders.subscribe(idempotent(async (e) => { await charge(e.data); }), { group: 'payments' });
 */
export function idempotent<E>(handler: EventHandler<E>, options: IdempotentOptions = {}): EventHandler<E> {
  const window = new DedupWindow(options.windowSize ?? 10_000);
  return async (event, info) => {
    if (window.has(event.id)) return;
    await handler(event, info);
    window.add(event.id);
  };
}
