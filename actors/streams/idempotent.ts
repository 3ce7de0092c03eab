// The idempotent consumer: remembers the ids of events it handled over a bounded window and
// acknowledges a redelivered or replayed duplicate without running the handler again.

import { TroupeError } from '../../runtime/errors.ts';
import type { Journal } from '../journal/journal.ts';
import { checkName } from './names.ts';
import type { EventHandler } from './subscribe-options.ts';

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

/**
 * Where {@link idempotent} remembers the ids it handled. `has` may sync with other writers first;
 * `add` is durable when it resolves (for durable stores).
 */
export interface IdempotencyStore {
  has(id: string): Promise<boolean>;
  add(id: string): Promise<void>;
}

/** An in-memory store of the last `windowSize` ids (default 10 000): lost with the process. */
export function createMemoryIdempotencyStore(windowSize = 10_000): IdempotencyStore {
  const window = new DedupWindow(windowSize);
  return { has: async (id) => window.has(id), add: async (id) => { window.add(id); } };
}

/** Options of {@link createJournalIdempotencyStore}. */
export interface JournalIdempotencyOptions {
  readonly journal: Journal;
  /** Names the store (its journal stream is `dedup:<name>`); 1–100 of `[A-Za-z0-9_.:-]`. */
  readonly name: string;
  /** Ids remembered (the newest); default 10 000. */
  readonly windowSize?: number;
}

/**
 * A durable store of handled ids in a journal stream: it survives restarts of the process (file
 * journal) and is shared by every process using the same journal (PostgreSQL journal: `has`
 * first reads what others added). Remembers the newest `windowSize` ids.
 * @example const seen = createJournalIdempotencyStore({ journal, name: 'payments' });
 */
export function createJournalIdempotencyStore(o: JournalIdempotencyOptions): IdempotencyStore {
  checkName('name', o.name, 'createJournalIdempotencyStore');
  const stream = `dedup:${o.name}`;
  const window = new DedupWindow(o.windowSize ?? 10_000);
  let known = -1;
  const sync = async (): Promise<void> => {
    if (known < 0) known = Math.max(0, (await o.journal.streamVersion(stream)) - window.capacity);
    for (;;) {
      const page = await o.journal.readStream(stream, { fromVersion: known + 1, maxCount: 1_000 });
      for (const e of page) { window.add((e.data as { id: string }).id); known = e.version; }
      if (page.length < 1_000) return;
    }
  };
  return {
    has: async (id) => { await sync(); return window.has(id); },
    add: async (id) => {
      if (window.has(id)) return;
      await o.journal.append(stream, [{ type: 'handled', data: { id } }], { expectedVersion: 'any' });
      window.add(id);
    },
  };
}

/** Options of {@link idempotent}: `store` (default an in-memory window of `windowSize`, default 10 000, ids). */
export interface IdempotentOptions {
  readonly windowSize?: number;
  readonly store?: IdempotencyStore;
}

/**
 * Wraps a handler so that an event id it already handled successfully is acknowledged without
 * calling it again (duplicates from redelivery, replay, or a publisher retrying with the same
 * `id`). An id is remembered only once the handler succeeded, so a failed attempt still runs
 * again. With a durable `store` the memory survives restarts; a crash after the handler's effect
 * and before the id is stored can still repeat that one effect — for exactly-once in effect,
 * make the effect and the id one write (e.g. append to a stream named after the event id with
 * `expectedVersion: 0`, or a transactional projection store).
 *
 * @example orders.subscribe(idempotent(async (e) => { await charge(e.data); }, { store }), { group: 'payments' });
 */
export function idempotent<E>(handler: EventHandler<E>, options: IdempotentOptions = {}): EventHandler<E> {
  const store = options.store ?? createMemoryIdempotencyStore(options.windowSize ?? 10_000);
  return async (event, info) => {
    if (await store.has(event.id)) return;
    await handler(event, info);
    await store.add(event.id);
  };
}
