// Troupe: the PostgreSQL journal's append, W writers (one stream each) sharing a pool of 10,
// one ~100-byte event per append, each awaited before the writer's next.

import '../require-pg.ts';
import { createPgJournal } from '../../../actors/journal/pg-journal.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { runWriters } from '../append-workload.ts';
import { EVENT_TYPE, intOption, journalDeps, streamOf } from '../fixtures.ts';
import { withSchema } from '../pg-schema.ts';

/** `size` events by `options.writers` (default 100) writers into a fresh schema; reports events/s and append p50/p99. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const writers = intOption(options, 'writers', 100);
  return withSchema(async ({ name, pool }) => {
    const journal = await createPgJournal({ pool, schema: name, ...journalDeps() });
    const { events, ...figures } = await runWriters(writers, size, async (w, seq, data) => {
      await journal.append(streamOf(w), [{ type: EVENT_TYPE, data }], { expectedVersion: seq });
    });
    const stored = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}".events`)).rows[0].n);
    await journal.close();
    if (stored !== events) throw new Error(`the journal holds ${stored} events, expected ${events}`);
    return figures;
  });
}
