// Baseline: reading the same N stored records straight from the journal underneath the backend
// (`readStream` of the topic's log stream in pages of `options.pageSize`, default 4096) and
// applying the same handler to each record's payload — no cursor, no commits, no actor.

import { createFileJournal } from '../../../actors/journal/file-journal.ts';
import type { Journal } from '../../../actors/journal/journal.ts';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import { createMemoryLogBackend } from '../../../actors/streams/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { intOption, journalDeps } from '../../persist/fixtures.ts';
import { fileFixture, fill, LOG_STREAM, releaseFixtures } from '../catchup-fixture.ts';
import { kept, secondsSince, Totals, type ItemAdded } from '../fixtures.ts';

/** Reads `size` stored events (`options.backend` 'file' or 'memory'); reports `eventsPerSec`. */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  const kind = options.backend ?? 'file';
  const pageSize = intOption(options, 'pageSize', 4096);
  let journal: Journal;
  if (kind === 'file') journal = await createFileJournal({ dir: await fileFixture(size), ...journalDeps() });
  else if (kind === 'memory') {
    journal = createMemoryJournal(journalDeps());
    await fill(createMemoryLogBackend({ name: 'a', journal }), size);
  } else throw new Error(`option backend=${kind}: use 'file' or 'memory'`);
  try {
    const totals = new Totals();
    kept.push(totals);
    const t0 = process.hrtime.bigint();
    for (let from = 1; ;) {
      const page = await journal.readStream(LOG_STREAM, { fromVersion: from, maxCount: pageSize });
      if (page.length === 0) break;
      for (const e of page) totals.apply((e.data as { d: ItemAdded }).d);
      from = page[page.length - 1].version + 1;
    }
    const eventsPerSec = totals.count / secondsSince(t0);
    if (totals.count !== size) throw new Error(`read ${totals.count}/${size} events`);
    return { eventsPerSec };
  } finally {
    await journal.close();
    await releaseFixtures(warmup);
  }
}
