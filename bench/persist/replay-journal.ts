// The replay fixture: a file journal holding one stream of N events (fsync 'never', appends of
// 1 000 events, 16 in flight), built once per harness run and size and shared by its processes.

import { createFileJournal } from '../../actors/journal/file-journal.ts';
import type { NewEvent } from '../../actors/journal/journal.ts';
import { EVENT_TYPE, itemAdded, journalDeps } from './fixtures.ts';
import { sharedDir, type SharedDir } from './shared-dir.ts';

/** The one stream the replay journal holds. */
export const REPLAY_STREAM = 'replay-1';
/** Events per append while building. */
const BUILD_BATCH = 1000;
/** Appends in flight while building (group commit merges them into ~16 × 190 KB flushes). */
const BUILD_IN_FLIGHT = 16;

const built = new Map<number, Promise<SharedDir>>();

async function build(dir: string, events: number): Promise<void> {
  const journal = await createFileJournal({ dir, fsync: 'never', ...journalDeps() });
  let version = 0;
  while (version < events) {
    const round: Promise<unknown>[] = [];
    for (let k = 0; k < BUILD_IN_FLIGHT && version < events; k++) {
      const n = Math.min(BUILD_BATCH, events - version);
      const batch: NewEvent[] = new Array(n);
      for (let i = 0; i < n; i++) batch[i] = { type: EVENT_TYPE, data: itemAdded(0, version + i) };
      round.push(journal.append(REPLAY_STREAM, batch, { expectedVersion: version }));
      version += n;
    }
    await Promise.all(round);
  }
  await journal.close();
}

/** The directory of a closed journal holding `events` events of {@link REPLAY_STREAM} (`data` = `itemAdded(0, version - 1)`). */
export function replayJournal(events: number): Promise<string> {
  let shared = built.get(events);
  if (!shared) { shared = sharedDir(`replay-${events}`, (dir) => build(dir, events)); built.set(events, shared); }
  return shared.then((s) => s.dir);
}

/** After the timed pass (`warmup` false), releases every journal this process used (see {@link SharedDir.release}). */
export async function releaseReplayJournals(warmup: boolean): Promise<void> {
  if (warmup) return;
  for (const shared of built.values()) (await shared).release();
  built.clear();
}
