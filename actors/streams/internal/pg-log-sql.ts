// The SQL of the PostgreSQL stream backend, for one schema: table definitions and every statement.
//
//   <schema>.stream_topics        topic primary key, last_offset (the offset counter; its row lock
//                                 orders appends to one topic by commit)
//   <schema>.stream_records       (topic, log_offset) primary key, id, key, partition, type,
//                                 schema_version, encoding ('json' | 'superjson'), data (encoded
//                                 text), headers (JSON text), published_at_ms, bytes (of data)
//   <schema>.stream_cursors       (topic, consumer, partition) primary key, log_offset, generation, owner
//   <schema>.stream_dead_letters  seq identity, topic, consumer, the record's columns, error, attempts, dead_at_ms

import { pgSql } from '../../journal/internal/pg-sql.ts';

/** The statements of the stream backend living in `schema`. */
export interface PgLogSql {
  readonly ddl: string;
  /** One row, `ready` true when the DDL ran to completion before (its last object exists): the DDL can be skipped. */
  readonly ready: string;
  /** Advisory-lock key text for DDL: the journal's, so a journal and a log creating one schema at once do not race. */
  readonly ddlLockKey: string;
  readonly lock: string;
  /** LISTEN/NOTIFY channel of this schema (a plain identifier of at most 63 characters). */
  readonly channel: string;
  readonly listen: string;
  /** $1 text[] topics (sorted), $2 bigint[] counts → (topic, last_offset) after reserving the counts. */
  readonly reserve: string;
  readonly insertMany: string;
  /** $1 channel, $2 text[] payloads. */
  readonly notify: string;
  readonly read: string;
  readonly head: string;
  /** Heads of many topics: $1 text[]. */
  readonly lasts: string;
  readonly trimAge: string;
  readonly trimCount: string;
  readonly trimBytes: string;
  readonly cursor: string;
  /** Claim when the caller saw generation 0: insert generation 1, or take a stored generation-0 row. */
  readonly claimNew: string;
  readonly claim: string;
  /** Commit with generation 0: creates the row if missing. */
  readonly commitNew: string;
  readonly commit: string;
  readonly release: string;
  readonly insertDeadLetter: string;
  readonly deadLetters: string;
  readonly purgeDeadLetters: string;
}

/** Columns of a record row, in the order {@link PgLogSql.read} returns them. */
const RECORD = 'log_offset, id, key, partition, type, schema_version, encoding, data, headers, published_at_ms';

/** FNV-1a of `s`, as 8 hex digits: keeps a long schema's channel name unique within 63 characters. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Builds the SQL for `schema`, or throws `invalid-argument` for a name that is not a plain identifier. */
export function pgLogSql(schema: string): PgLogSql {
  const journal = pgSql(schema); // validates the schema name the same way as the journal does
  const s = `"${schema}"`;
  const long = `troupe_log_${schema}`;
  const channel = long.length <= 63 ? long : `troupe_log_${schema.slice(0, 40)}_${fnv(schema)}`;
  const pk = 'topic = $1 AND consumer = $2 AND partition = $3';
  return {
    ddl: `
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.stream_topics (
        topic text PRIMARY KEY,
        last_offset bigint NOT NULL CHECK (last_offset >= 0)
      );
      CREATE TABLE IF NOT EXISTS ${s}.stream_records (
        topic text NOT NULL,
        log_offset bigint NOT NULL CHECK (log_offset >= 1),
        id text NOT NULL,
        key text,
        partition integer NOT NULL CHECK (partition >= 0),
        type text NOT NULL,
        schema_version integer NOT NULL,
        encoding text NOT NULL CHECK (encoding IN ('json', 'superjson')),
        data text NOT NULL,
        headers text,
        published_at_ms double precision NOT NULL,
        bytes integer NOT NULL,
        PRIMARY KEY (topic, log_offset)
      );
      CREATE TABLE IF NOT EXISTS ${s}.stream_cursors (
        topic text NOT NULL,
        consumer text NOT NULL,
        partition integer NOT NULL CHECK (partition >= 0),
        log_offset bigint NOT NULL CHECK (log_offset >= 0),
        generation bigint NOT NULL CHECK (generation >= 0),
        owner text,
        PRIMARY KEY (topic, consumer, partition)
      );
      CREATE TABLE IF NOT EXISTS ${s}.stream_dead_letters (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        topic text NOT NULL,
        consumer text NOT NULL,
        source text NOT NULL,
        log_offset bigint NOT NULL,
        id text NOT NULL,
        key text,
        partition integer NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        encoding text NOT NULL CHECK (encoding IN ('json', 'superjson')),
        data text NOT NULL,
        headers text,
        published_at_ms double precision NOT NULL,
        error text NOT NULL,
        attempts integer NOT NULL,
        dead_at_ms double precision NOT NULL
      );
      CREATE INDEX IF NOT EXISTS stream_dead_letters_by_consumer ON ${s}.stream_dead_letters (topic, consumer, seq);`,
    ready: `SELECT to_regclass('${s}.stream_dead_letters_by_consumer') IS NOT NULL AS ready`,
    ddlLockKey: `${journal.lockKey}:ddl`,
    lock: journal.lock,
    channel,
    listen: `LISTEN "${channel}"`,
    // ORDER BY topic: groups that span topics lock their topic rows in one order (no deadlock).
    reserve: `INSERT INTO ${s}.stream_topics AS t (topic, last_offset)
      SELECT topic, n FROM unnest($1::text[], $2::bigint[]) AS u(topic, n) ORDER BY topic
      ON CONFLICT (topic) DO UPDATE SET last_offset = t.last_offset + EXCLUDED.last_offset
      RETURNING topic, last_offset`,
    insertMany: `INSERT INTO ${s}.stream_records (topic, ${RECORD}, bytes)
      SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::float8[], $12::int[])`,
    notify: 'SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p',
    read: `SELECT ${RECORD} FROM ${s}.stream_records WHERE topic = $1 AND log_offset >= $2 ORDER BY log_offset LIMIT $3`,
    head: `SELECT (SELECT min(log_offset) FROM ${s}.stream_records WHERE topic = $1) AS first,
      (SELECT last_offset FROM ${s}.stream_topics WHERE topic = $1) AS last`,
    lasts: `SELECT topic, last_offset FROM ${s}.stream_topics WHERE topic = ANY($1::text[])`,
    // By age the log is cut before its first record published at or after $2 (as the journal-backed
    // logs do): what stays is always a contiguous suffix, even when publishers' clocks disagree.
    trimAge: `DELETE FROM ${s}.stream_records WHERE topic = $1 AND log_offset <
      coalesce((SELECT min(log_offset) FROM ${s}.stream_records WHERE topic = $1 AND published_at_ms >= $2), 9223372036854775807)`,
    trimCount: `DELETE FROM ${s}.stream_records WHERE topic = $1 AND log_offset <=
      (SELECT log_offset FROM ${s}.stream_records WHERE topic = $1 ORDER BY log_offset DESC OFFSET $2 LIMIT 1)`,
    trimBytes: `DELETE FROM ${s}.stream_records WHERE topic = $1 AND log_offset <=
      (SELECT log_offset FROM (SELECT log_offset, sum(bytes) OVER (ORDER BY log_offset DESC) AS kept FROM ${s}.stream_records WHERE topic = $1) AS w
       WHERE kept > $2 ORDER BY log_offset DESC LIMIT 1)`,
    cursor: `SELECT log_offset, generation, owner FROM ${s}.stream_cursors WHERE ${pk}`,
    claimNew: `INSERT INTO ${s}.stream_cursors AS c (topic, consumer, partition, log_offset, generation, owner) VALUES ($1, $2, $3, 0, 1, $4)
      ON CONFLICT (topic, consumer, partition) DO UPDATE SET generation = c.generation + 1, owner = EXCLUDED.owner WHERE c.generation = 0
      RETURNING log_offset, generation, owner`,
    claim: `UPDATE ${s}.stream_cursors SET generation = generation + 1, owner = $4 WHERE ${pk} AND generation = $5
      RETURNING log_offset, generation, owner`,
    commitNew: `INSERT INTO ${s}.stream_cursors AS c (topic, consumer, partition, log_offset, generation, owner) VALUES ($1, $2, $3, $4, 0, NULL)
      ON CONFLICT (topic, consumer, partition) DO UPDATE SET log_offset = GREATEST(c.log_offset, EXCLUDED.log_offset) WHERE c.generation = 0`,
    commit: `UPDATE ${s}.stream_cursors SET log_offset = GREATEST(log_offset, $4) WHERE ${pk} AND generation = $5`,
    release: `UPDATE ${s}.stream_cursors SET owner = NULL WHERE ${pk} AND generation = $4`,
    insertDeadLetter: `INSERT INTO ${s}.stream_dead_letters (topic, consumer, source, ${RECORD}, error, attempts, dead_at_ms)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
    deadLetters: `SELECT source, ${RECORD}, error, attempts, dead_at_ms FROM ${s}.stream_dead_letters WHERE topic = $1 AND consumer = $2 ORDER BY seq`,
    purgeDeadLetters: `DELETE FROM ${s}.stream_dead_letters WHERE topic = $1 AND consumer = $2 AND id = ANY($3::text[])`,
  };
}
