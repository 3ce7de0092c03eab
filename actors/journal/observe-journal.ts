// A journal with metrics on its system's registry: how long it took to open, appends (count,
// events, time to durable), events read back, and for file journals each flush's fsync time and
// the bytes written. Without metrics on the system it is the journal itself.

import type { ActorSystem } from '../../runtime/system.ts';
import { runtimeMetricsOf } from '../../runtime/observe/metrics.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { FileJournal } from './file-journal.ts';
import type { Journal } from './journal.ts';

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Opens a journal through `open` and reports it on `system.metrics` under the label
 * `journal="<name>"` (1–64 of `A–Z a–z 0–9 _ . : -`; keep it fixed, not per stream). Times are
 * measured on the system's clock. Resolves with the journal (wrapped so appends and reads are
 * counted; every other member, such as a file journal's `stats()`, passes through); without
 * metrics on the system, with the journal as `open` returned it.
 * @example
 * const journal = await observeJournal(system, 'orders', () => createFileJournal({ dir: './data/orders', clock: system.clock, ids: system.ids }));
 */
export async function observeJournal<J extends Journal>(system: ActorSystem, name: string, open: () => J | Promise<J>): Promise<J> {
  if (typeof name !== 'string' || !NAME.test(name)) throw new TroupeError('invalid-argument', `observeJournal: name ${JSON.stringify(name)} must be 1–64 of A–Z a–z 0–9 _ . : - (one label per journal, not per stream).`, { field: 'name' });
  const hub = runtimeMetricsOf(system.metrics);
  const clock = system.clock;
  const t0 = clock.now();
  const journal = await open();
  if (hub === undefined) return journal;
  const f = hub.families;
  const labels = { journal: name };
  f.journalOpen.child(labels).value = (clock.now() - t0) / 1000;
  const appends = f.journalAppends.child(labels);
  const events = f.journalEventsAppended.child(labels);
  const latency = f.journalAppendLatency.child(labels);
  const replayed = f.journalReplayed.child(labels);
  // the file journal and the simulated one time their flushes
  const file = typeof (journal as Partial<FileJournal>).observeFlushes === 'function' ? journal as unknown as Pick<FileJournal, 'observeFlushes'> : null;
  if (file !== null) {
    const fsync = f.journalFsync.child(labels);
    const bytes = f.journalBytes.child(labels);
    file.observeFlushes({ clock, flushed: (ms, n) => { fsync.observe(ms / 1000); bytes.value += n; } });
  }
  const wrapped: Partial<Journal> = {
    append: async (stream, evs, options) => {
      const start = clock.now();
      const r = await journal.append(stream, evs, options);
      appends.value++;
      events.value += evs.length;
      latency.observe((clock.now() - start) / 1000);
      return r;
    },
    readStream: async (stream, options) => {
      const r = await journal.readStream(stream, options);
      replayed.value += r.length;
      return r;
    },
    readAll: async (options) => {
      const r = await journal.readAll(options);
      replayed.value += r.length;
      return r;
    },
    close: async () => {
      file?.observeFlushes(null);
      return journal.close();
    },
  };
  return new Proxy(journal, {
    get: (target, key) => {
      const own = (wrapped as Record<PropertyKey, unknown>)[key];
      if (own !== undefined) return own;
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
