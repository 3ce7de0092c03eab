// Exactly-once in effect for a subscription: the handler's writes and the consumer's position per
// (source, partition) commit in one transaction of a projection store, so a redelivered event
// whose effect is already stored is acknowledged without running the handler again.

import { isTroupeError } from '../../runtime/errors.ts';
import type { ProjectionStore } from '../projection-stores.ts';
import type { BusEvent } from './event.ts';
import { checkName } from './names.ts';
import type { EventHandler } from './subscribe-options.ts';

/**
 * Wraps `handle` so that it runs inside a transaction of `store` (an atomic one: memory,
 * PostgreSQL) together with the position `<name>/<source>/<partition>`. An event at or below the
 * stored position of its partition was applied already: it is acknowledged unhandled. Give every
 * member of a group the same `name` and the same store (for members on several nodes, a shared
 * store such as PostgreSQL). Events of a partition reach the handler in offset order, which is
 * what makes the position a complete record of what was applied.
 *
 * @example
 * const store = createMemoryProjectionStore<number>();
 * orders.subscribe(transactional(store, 'revenue', (e, tx) => { tx.set('total', (tx.get('total') ?? 0) + e.data.total); }), { group: 'revenue' });
 */
export function transactional<E, T>(store: ProjectionStore<T>, name: string, handle: (event: BusEvent<E>, tx: T) => void | Promise<void>): EventHandler<E> {
  checkName('name', name, 'transactional');
  const known = new Map<string, number>();
  const positionOf = async (key: string, fresh = false): Promise<number> => {
    const cached = fresh ? undefined : known.get(key);
    if (cached !== undefined) return cached;
    const at = await store.loadCheckpoint(key);
    known.set(key, at);
    return at;
  };
  return async (event) => {
    const key = `${name}/${event.source}/${event.partition}`;
    for (let tries = 0; ; tries++) {
      const from = await positionOf(key, tries > 0);
      if (event.offset <= from) return; // applied already
      try {
        await store.commit(key, { from, to: event.offset }, (tx) => Promise.resolve(handle(event, tx)));
        known.set(key, event.offset);
        return;
      } catch (e) {
        // Another member (or an earlier life of this one) moved the position: read it again.
        if (isTroupeError(e, 'concurrency-conflict') && tries < 3) continue;
        known.delete(key);
        throw e;
      }
    }
  };
}
