// Imported first by every case that needs PostgreSQL: when none answers at TROUPE_PG_URL, importing
// the case fails the way a missing module does, so the harness marks the case SKIPPED, not FAILED.

import pg from 'pg';

/** The URL the pg cases use: `TROUPE_PG_URL`, default the local test database. */
export const PG_URL = process.env.TROUPE_PG_URL || 'postgres://troupe:troupe@127.0.0.1:5432/troupe_test';

async function reachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const why = await reachable(PG_URL);
if (why !== undefined) {
  // The harness (bench/harness/child.ts) reports an import failure with this code as `skipped`.
  const shown = PG_URL.replace(/\/\/[^@/]*@/, '//…@');
  const e = new Error(`no PostgreSQL at ${shown} (${why}): pg case skipped (start it with \`eval "$(bash .ci/services.sh)"\` or set TROUPE_PG_URL)`);
  (e as Error & { code: string }).code = 'ERR_MODULE_NOT_FOUND';
  throw e;
}
