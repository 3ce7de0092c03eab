// The catch-up fixture: topic `orders` (8 partitions) holding N stored `item-added` events
// (record ids `e<i>`), in a file backend's journal shared by the processes of one harness run
// (built once, fsync 'never', appends of 1 000 records, 16 in flight), or in a memory backend.

import { createFileLogBackend, createMemoryLogBackend, type LogBackend, type NewLogRecord } from '../../actors/streams/index.ts';
import { journalDeps } from '../persist/fixtures.ts';
import { sharedDir, type SharedDir } from '../persist/shared-dir.ts';
import { busRecord, itemAdded } from './fixtures.ts';

export const TOPIC = 'orders';
/** The journal stream the file backend keeps topic `orders` in (journal-log.ts's naming). */
export const LOG_STREAM = 'bus-log:6.orders';
const BATCH = 1000;
const IN_FLIGHT = 16;

/** Appends `events` records to `backend`'s topic `orders`: record i has partition i mod 8 and data `itemAdded(0, i)`. */
export async function fill(backend: LogBackend, events: number): Promise<void> {
  let at = 0;
  while (at < events) {
    const round: Promise<unknown>[] = [];
    for (let k = 0; k < IN_FLIGHT && at < events; k++) {
      const n = Math.min(BATCH, events - at);
      const batch: NewLogRecord[] = new Array(n);
      for (let i = 0; i < n; i++) batch[i] = busRecord(`e${at + i}`, (at + i) % 8, itemAdded(0, at + i), 1_700_000_000_000 + at + i);
      round.push(backend.local.append(TOPIC, batch));
      at += n;
    }
    await Promise.all(round);
  }
}

const built = new Map<number, Promise<SharedDir>>();

/** The directory of a closed file-backend journal holding `events` records of topic `orders`. */
export function fileFixture(events: number): Promise<string> {
  let shared = built.get(events);
  if (!shared) {
    shared = sharedDir(`streams-catchup-${events}`, async (dir) => {
      const backend = await createFileLogBackend({ dir, name: 'a', journalOptions: { fsync: 'never' }, ...journalDeps() });
      await fill(backend, events);
      await backend.close();
    });
    built.set(events, shared);
  }
  return shared.then((s) => s.dir);
}

/** After the timed pass (`warmup` false), releases the fixtures this process used. */
export async function releaseFixtures(warmup: boolean): Promise<void> {
  if (warmup) return;
  for (const s of built.values()) (await s).release();
  built.clear();
}

/** A memory backend holding `events` records of topic `orders` (built untimed, in this process). */
export async function memoryFixture(events: number): Promise<LogBackend> {
  const backend = createMemoryLogBackend({ name: 'a', ...journalDeps() });
  await fill(backend, events);
  return backend;
}
