// Baseline: the raw file-journal append of the same bytes: the record the bus's file backend
// stores for a publish (stream `bus-log:…orders`, type `bus-record`, body { t, p, d }, the event
// id and time in meta), appended with `expectedVersion: 'any'` by W writers, each awaiting its own.

import { createFileJournal } from '../../../actors/journal/file-journal.ts';
import { partitionOf } from '../../../actors/streams/partitions.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { runWriters } from '../../persist/append-workload.ts';
import { fsyncOption, intOption, journalDeps, removeScratchDir, scratchDir } from '../../persist/fixtures.ts';

/** The stream name journal-log.ts gives topic `orders`'s log. */
const LOG_STREAM = 'bus-log:6.orders';

/** `size` appends by `options.writers` (default 100) writers, `options.fsync` (default 'always'). */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const writers = intOption(options, 'writers', 100);
  const dir = scratchDir('journal-append');
  try {
    const deps = journalDeps();
    const journal = await createFileJournal({ dir, fsync: fsyncOption(options), ...deps });
    const { events, ...figures } = await runWriters(writers, size, async (_w, _seq, data) => {
      const id = deps.ids();
      await journal.append(LOG_STREAM, [{ type: 'bus-record', schemaVersion: 1, data: { t: '', p: partitionOf(undefined, id, 8), d: data }, meta: { id, timestampMs: deps.clock.now() } }], { expectedVersion: 'any' });
    });
    const stats = journal.stats();
    await journal.close();
    if (stats.lastPosition !== events) throw new Error(`the journal holds ${stats.lastPosition} events, expected ${events}`);
    return { ...figures, eventsPerFlush: events / stats.flushes, bytesPerEvent: stats.bytesWritten / events };
  } finally {
    removeScratchDir(dir);
  }
}
