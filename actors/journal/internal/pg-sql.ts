// The SQL of the PostgreSQL journal, for one schema: table definitions and every statement.
//
//   <schema>.events     position bigint identity (the global order), stream, version
//                       (UNIQUE (stream, version) backs the concurrency check), type,
//                       schema_version, encoding ('json' | 'superjson'), data (encoded text),
//                       event_id, correlation_id, causation_id, timestamp_ms, traceparent (added by
//                       ALTER … IF NOT EXISTS, so tables of earlier versions gain it)
//   <schema>.snapshots  stream primary key, version, encoding, state (encoded text), saved_at_ms

import { TroupeError } from '../../../runtime/errors.ts';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The statements of a journal living in `schema` (validated: lower-case SQL identifier). */
export interface PgSql {
  readonly ddl: string;
  /** Advisory-lock key text: appends in one schema take this lock, so positions commit in order. */
  readonly lockKey: string;
  readonly lock: string;
  readonly currentVersion: string;
  /** Current versions of many streams at once ($1 text[]); streams without events are absent. */
  readonly currentVersions: string;
  /** One insert for the appends of a group commit: the stream is a column too. */
  readonly insertMany: string;
  readonly readStream: string;
  readonly readAll: string;
  readonly upsertSnapshot: string;
  readonly loadSnapshot: string;
}

const COLUMNS = 'position, stream, version, type, schema_version, encoding, data, event_id, correlation_id, causation_id, timestamp_ms, traceparent';

/** Builds the SQL for `schema`, or throws `invalid-argument` for a name that is not a plain identifier. */
export function pgSql(schema: string): PgSql {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TroupeError('invalid-argument', `PostgreSQL schema name ${JSON.stringify(schema)} is not allowed: use 1–63 characters of a–z 0–9 _, not starting with a digit (default "troupe").`, { schema });
  }
  const s = `"${schema}"`;
  return {
    ddl: `
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.events (
        position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream text NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        type text NOT NULL,
        schema_version integer NOT NULL,
        encoding text NOT NULL CHECK (encoding IN ('json', 'superjson')),
        data text NOT NULL,
        event_id text NOT NULL,
        correlation_id text,
        causation_id text,
        timestamp_ms double precision NOT NULL,
        UNIQUE (stream, version)
      );
      ALTER TABLE ${s}.events ADD COLUMN IF NOT EXISTS traceparent text;
      CREATE TABLE IF NOT EXISTS ${s}.snapshots (
        stream text PRIMARY KEY,
        version integer NOT NULL,
        encoding text NOT NULL CHECK (encoding IN ('json', 'superjson')),
        state text NOT NULL,
        saved_at_ms double precision NOT NULL
      );`,
    lockKey: `troupe.journal:${schema}`,
    lock: 'SELECT pg_advisory_xact_lock(hashtext($1))',
    currentVersion: `SELECT coalesce(max(version), 0) AS v FROM ${s}.events WHERE stream = $1`,
    currentVersions: `SELECT stream, max(version) AS v FROM ${s}.events WHERE stream = ANY($1::text[]) GROUP BY stream`,
    insertMany: `INSERT INTO ${s}.events (stream, version, type, schema_version, encoding, data, event_id, correlation_id, causation_id, timestamp_ms, traceparent)
      SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::float8[], $11::text[])
      RETURNING position, stream, version`,
    readStream: `SELECT ${COLUMNS} FROM ${s}.events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3`,
    readAll: `SELECT ${COLUMNS} FROM ${s}.events WHERE position >= $1 ORDER BY position LIMIT $2`,
    upsertSnapshot: `INSERT INTO ${s}.snapshots AS cur (stream, version, encoding, state, saved_at_ms) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (stream) DO UPDATE SET version = EXCLUDED.version, encoding = EXCLUDED.encoding, state = EXCLUDED.state, saved_at_ms = EXCLUDED.saved_at_ms
      WHERE cur.version <= EXCLUDED.version`,
    loadSnapshot: `SELECT version, encoding, state, saved_at_ms FROM ${s}.snapshots WHERE stream = $1`,
  };
}
