// Baseline: the same rows read with raw `pg` — the journal's page query (same columns, WHERE
// position >= $1 ORDER BY position LIMIT $2) on the pool, JSON.parse of each row's data.

import '../require-pg.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { intOption, secondsSince } from '../fixtures.ts';
import { checkRead, fillSchema } from '../pg-read-fixture.ts';
import { withSchema } from '../pg-schema.ts';

/** Keeps the last parsed payload reachable (defeats dead-code elimination). */
export let lastData: unknown;

interface Row { position: string; data: string }

/** Reads a fresh schema of `size` events (filled untimed through the journal); `options.pageSize` (default 4096); reports `eventsPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const pageSize = intOption(options, 'pageSize', 4096);
  return withSchema(async (s) => {
    const journal = await fillSchema(s, size);
    await journal.close();
    const t0 = process.hrtime.bigint();
    let count = 0;
    for (let from = 1; ;) {
      const { rows } = await s.pool.query<Row>(s.sql.readAll, [from, pageSize]);
      if (rows.length === 0) break;
      for (const r of rows) lastData = JSON.parse(r.data);
      count += rows.length;
      from = Number(rows[rows.length - 1].position) + 1;
    }
    const eventsPerSec = count / secondsSince(t0);
    checkRead('raw select', count, size, lastData);
    return { eventsPerSec };
  });
}
