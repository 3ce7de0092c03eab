// Troupe: durable publish on the event bus over the file backend (fsync 'always', group commit):
// W publishers, each awaiting its `topic.publish` before its next; no subscriber.

import { createEventBus, createFileLogBackend } from '../../../actors/streams/index.ts';
import { createSystem } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { runWriters } from '../../persist/append-workload.ts';
import { fsyncOption, intOption, journalDeps, removeScratchDir, scratchDir } from '../../persist/fixtures.ts';
import type { FileJournal } from '../../../actors/journal/file-journal.ts';
import { createFileJournal } from '../../../actors/journal/file-journal.ts';

/** `size` publishes by `options.writers` (default 100) publishers to topic `orders` (8 partitions); `options.fsync` (default 'always'). */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const writers = intOption(options, 'writers', 100);
  const dir = scratchDir('bus-publish');
  const system = createSystem({ name: 'bench' });
  try {
    // The journal is opened here (not by the backend) only to read its stats afterwards; same options.
    const journal: FileJournal = await createFileJournal({ dir, fsync: fsyncOption(options), ...journalDeps() });
    const backend = await createFileLogBackend({ journal, name: 'a' });
    const bus = createEventBus(system, { backend });
    const topic = bus.topic<unknown>('orders');
    const { events, ...figures } = await runWriters(writers, size, async (_w, _seq, data) => { await topic.publish(data); });
    const stats = journal.stats();
    await bus.close();
    await backend.close();
    await journal.close();
    if (stats.lastPosition !== events) throw new Error(`the journal holds ${stats.lastPosition} events, expected ${events}`);
    return { ...figures, eventsPerFlush: events / stats.flushes, bytesPerEvent: stats.bytesWritten / events };
  } finally {
    await system.terminate();
    removeScratchDir(dir);
  }
}
