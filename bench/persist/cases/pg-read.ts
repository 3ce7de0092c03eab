// Troupe: reading every event of the PostgreSQL journal with readAllPages (pages of 4 096).

import '../require-pg.ts';
import type { StoredEvent } from '../../../actors/journal/journal.ts';
import { readAllPages } from '../../../actors/journal/read-all-pages.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { intOption, secondsSince } from '../fixtures.ts';
import { checkRead, fillSchema } from '../pg-read-fixture.ts';
import { withSchema } from '../pg-schema.ts';

/** Keeps the last event read reachable (defeats dead-code elimination). */
export let lastEvent: StoredEvent | undefined;

/** Reads a fresh schema of `size` events (filled untimed); `options.pageSize` (default 4096); reports `eventsPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const pageSize = intOption(options, 'pageSize', 4096);
  return withSchema(async (s) => {
    const journal = await fillSchema(s, size);
    const t0 = process.hrtime.bigint();
    let count = 0;
    for await (const page of readAllPages(journal, { pageSize })) {
      for (const e of page) lastEvent = e;
      count += page.length;
    }
    const eventsPerSec = count / secondsSince(t0);
    await journal.close();
    checkRead('readAllPages', count, size, lastEvent?.data);
    return { eventsPerSec };
  });
}
