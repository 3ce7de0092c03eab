// The pg read fixture: fills a pass's schema with N events of one stream through the journal
// (appends of 1 000 events, untimed), so the read cases page over identical rows.

import { createPgJournal, type PgJournal } from '../../actors/journal/pg-journal.ts';
import type { NewEvent } from '../../actors/journal/journal.ts';
import { EVENT_TYPE, itemAdded, journalDeps } from './fixtures.ts';
import type { BenchSchema } from './pg-schema.ts';

/** The stream the fixture fills. */
export const READ_STREAM = 'read-1';
const BATCH = 1000;

/** Creates the journal tables in `s` and appends `events` events (`data` = `itemAdded(0, version - 1)`); returns the open journal. */
export async function fillSchema(s: BenchSchema, events: number): Promise<PgJournal> {
  const journal = await createPgJournal({ pool: s.pool, schema: s.name, ...journalDeps() });
  for (let version = 0; version < events;) {
    const n = Math.min(BATCH, events - version);
    const batch: NewEvent[] = new Array(n);
    for (let i = 0; i < n; i++) batch[i] = { type: EVENT_TYPE, data: itemAdded(0, version + i) };
    await journal.append(READ_STREAM, batch, { expectedVersion: version });
    version += n;
  }
  await s.pool.query(`ANALYZE "${s.name}".events`);
  return journal;
}

/** Throws unless `count` rows were read and the last payload is event `size`'s. */
export function checkRead(what: string, count: number, size: number, last: unknown): void {
  const seq = (last as { seq?: unknown } | undefined)?.seq;
  if (count !== size || seq !== size - 1) throw new Error(`${what} read ${count}/${size} events, last seq ${String(seq)}`);
}
