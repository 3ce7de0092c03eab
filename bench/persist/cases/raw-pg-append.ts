// Baseline: the same rows inserted with raw `pg` into the same table shape, one transaction per
// append (BEGIN; INSERT … RETURNING position; COMMIT on a pooled client), same writers, same pool size.

import '../require-pg.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { runWriters } from '../append-workload.ts';
import { EVENT_TYPE, intOption, journalDeps, streamOf } from '../fixtures.ts';
import { withSchema } from '../pg-schema.ts';

/** `size` events by `options.writers` (default 100) writers into a fresh schema; reports events/s and append p50/p99. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const writers = intOption(options, 'writers', 100);
  const { clock, ids } = journalDeps();
  return withSchema(async ({ name, pool, sql }) => {
    await pool.query(sql.ddl);
    const insert = `INSERT INTO "${name}".events (stream, version, type, schema_version, encoding, data, event_id, correlation_id, causation_id, timestamp_ms)
      VALUES ($1, $2, $3, 1, 'json', $4, $5, NULL, NULL, $6) RETURNING position`;
    const { events, ...figures } = await runWriters(writers, size, async (w, seq, data) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(insert, [streamOf(w), seq + 1, EVENT_TYPE, JSON.stringify(data), ids(), clock.now()]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    const stored = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}".events`)).rows[0].n);
    if (stored !== events) throw new Error(`the table holds ${stored} rows, expected ${events}`);
    return figures;
  });
}
