// Troupe: replaying a 1M-event stream from the file journal: open (recovery scan), then
// readAllPages (pages of 4 096) and readStream in pages of 4 096, each over every event.

import { createFileJournal } from '../../../actors/journal/file-journal.ts';
import type { StoredEvent } from '../../../actors/journal/journal.ts';
import { readAllPages } from '../../../actors/journal/read-all-pages.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { intOption, journalDeps, secondsSince } from '../fixtures.ts';
import { releaseReplayJournals, REPLAY_STREAM, replayJournal } from '../replay-journal.ts';

/** Keeps the last replayed event reachable (defeats dead-code elimination). */
export let lastEvent: StoredEvent | undefined;

const check = (what: string, count: number, size: number): void => {
  const seq = (lastEvent?.data as { seq?: unknown } | undefined)?.seq;
  if (count !== size || lastEvent?.version !== size || seq !== size - 1) {
    throw new Error(`${what} replayed ${count}/${size} events, last version ${lastEvent?.version}, seq ${String(seq)}`);
  }
};

/**
 * Replays a journal of `size` events (built untimed, once per process and size); `options.pageSize`
 * (default 4096). Reports `eventsPerSec` (readAllPages), `readStreamPerSec`, `openMs`.
 */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  const pageSize = intOption(options, 'pageSize', 4096);
  const dir = await replayJournal(size);
  try {
    let t0 = process.hrtime.bigint();
    const journal = await createFileJournal({ dir, fsync: 'never', ...journalDeps() });
    const openMs = secondsSince(t0) * 1e3;

    t0 = process.hrtime.bigint();
    let count = 0;
    for await (const page of readAllPages(journal, { pageSize })) {
      for (const e of page) lastEvent = e;
      count += page.length;
    }
    const eventsPerSec = count / secondsSince(t0);
    check('readAllPages', count, size);

    t0 = process.hrtime.bigint();
    count = 0;
    for (let from = 1; ;) {
      const page = await journal.readStream(REPLAY_STREAM, { fromVersion: from, maxCount: pageSize });
      if (page.length === 0) break;
      for (const e of page) lastEvent = e;
      count += page.length;
      from = page[page.length - 1].version + 1;
    }
    const readStreamPerSec = count / secondsSince(t0);
    check('readStream', count, size);
    await journal.close();
    return { eventsPerSec, readStreamPerSec, openMs };
  } finally {
    await releaseReplayJournals(warmup);
  }
}
