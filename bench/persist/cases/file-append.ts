// Troupe: the file journal's append with group commit (`options.fsync`, default 'always'): W
// writers, one stream each, one ~100-byte event per append, each append awaited before the writer's next.

import { createFileJournal } from '../../../actors/journal/file-journal.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { runWriters } from '../append-workload.ts';
import { EVENT_TYPE, fsyncOption, intOption, journalDeps, removeScratchDir, scratchDir, streamOf } from '../fixtures.ts';

/** `size` events by `options.writers` (default 1) writers into a fresh journal, `options.fsync` (default 'always'); reports events/s, events per fsync, bytes per event. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const writers = intOption(options, 'writers', 1);
  const dir = scratchDir('file-append');
  try {
    const journal = await createFileJournal({ dir, fsync: fsyncOption(options), ...journalDeps() });
    const figures = await runWriters(writers, size, async (w, seq, data) => {
      await journal.append(streamOf(w), [{ type: EVENT_TYPE, data }], { expectedVersion: seq });
    });
    const stats = journal.stats();
    await journal.close();
    if (stats.lastPosition !== figures.events) throw new Error(`the journal holds ${stats.lastPosition} events, expected ${figures.events}`);
    const { events, ...rest } = figures;
    return { ...rest, eventsPerFlush: events / stats.flushes, bytesPerEvent: stats.bytesWritten / events };
  } finally {
    removeScratchDir(dir);
  }
}
