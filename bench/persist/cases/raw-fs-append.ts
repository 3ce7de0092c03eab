// Baseline: the same appends to a hand-written log on one FileHandle (RawLog), with the same fsync
// policy: one write + fsync per append for one writer, whatever queued during an fsync for many.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { runWriters } from '../append-workload.ts';
import { EVENT_TYPE, fsyncOption, intOption, removeScratchDir, scratchDir, streamOf } from '../fixtures.ts';
import { RawLog, rawRecord } from '../raw-log.ts';

/** `size` events by `options.writers` (default 1) writers, `options.fsync` (default 'always'); reports events/s, events per fsync, bytes per event. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const writers = intOption(options, 'writers', 1);
  const dir = scratchDir('raw-append');
  try {
    const log = await RawLog.create(dir, fsyncOption(options));
    const { events, ...figures } = await runWriters(writers, size, (w, _seq, data) => log.append(rawRecord(streamOf(w), EVENT_TYPE, data)));
    await log.close();
    return { ...figures, eventsPerFlush: events / log.flushes, bytesPerEvent: log.bytesWritten / events };
  } finally {
    removeScratchDir(dir);
  }
}
