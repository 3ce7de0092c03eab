// The PostgreSQL stream backend: one shared log per topic in a schema every node reads and writes,
// group-committed appends ordered per topic by commit, fenced cursors, dead letters, retention by
// DELETE and watch by LISTEN/NOTIFY. SQL: internal/pg-log-sql.ts.

import pg from 'pg';
import { inTransaction as inPoolTransaction } from '../journal/internal/pg-transaction.ts';
import type { Scheduler } from '../../runtime/clock.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { createRealScheduler } from '../../runtime/real-clock.ts';
import type { CursorState, DeadLetterRecord, LogBackend, LogHead, LogRecord, LogSource, NewLogRecord, Retention } from './log-source.ts';
import { checkName } from './names.ts';
import { pgLogSql } from './internal/pg-log-sql.ts';
import { pgLogFailure } from './internal/pg-log-errors.ts';
import { createPgListener, notifyPayload } from './internal/pg-log-listener.ts';
import {
  checkFinite, checkInt, checkPartition, checkText, MAX_ID_LENGTH, recordColumns, toCursor, toRecord,
  type CursorRow, type RecordColumns, type RecordRow,
} from './internal/pg-log-rows.ts';

/** Options of {@link createPgLogBackend}: a pool to borrow, or a connection string to own a pool for. */
export interface PgLogOptions {
  /** A pool the backend uses but never ends (the LISTEN connection of `watch` takes one of its clients). */
  readonly pool?: pg.Pool;
  /** Used when `pool` is absent: the backend creates a pool (10 s connect timeout) and ends it on close. */
  readonly connectionString?: string;
  /** Schema holding the tables; default `'troupe'`. 1–63 of a–z 0–9 _, not starting with a digit. */
  readonly schema?: string;
  /** The source's name, stamped on every record read ({@link LogRecord.source}); default `'pg'`. */
  readonly name?: string;
  /** Timers for reconnecting the LISTEN connection (100 ms, doubling up to 5 s); default the real scheduler. */
  readonly scheduler?: Scheduler;
}

/** The most appends one group commit takes from the queue. */
const MAX_GROUP = 1_000;

/**
 * Connects to PostgreSQL, creates the schema and tables if missing (idempotent, safe to race) and
 * returns the shared backend (`kind: 'pg'`, `shared: true`). Offsets are per topic, dense and
 * strictly increasing in commit order: an append reserves its offsets by updating the topic's row
 * in `stream_topics`, whose lock it holds until COMMIT, so a reader tailing by offset never skips a
 * record that commits late. Appends queued while a transaction runs (up to 1 000) share the next
 * one: one reservation, one insert, one NOTIFY, one COMMIT. Resolve == committed. Cursor claims are
 * a compare-and-set in one statement; commits are fenced by generation and never move backwards.
 * `watch` LISTENs on one dedicated connection (opened on the first watch, reconnected with backoff);
 * after every (re)connect each watcher is also called once with its topic's current last offset,
 * so no append is missed while the connection was down.
 *
 * @example
 * const backend = await createPgLogBackend({ connectionString: process.env.DATABASE_URL, schema: 'shop' });
 * const [offset] = await backend.local.append('orders', [record]);
 */
export async function createPgLogBackend(options: PgLogOptions): Promise<LogBackend> {
  const schema = options.schema ?? 'troupe';
  const sql = pgLogSql(schema);
  const name = checkName('name', options.name ?? 'pg', 'createPgLogBackend');
  if (!options.pool && !options.connectionString) {
    throw new TroupeError('invalid-argument', 'createPgLogBackend needs a `pool` or a `connectionString` (e.g. "postgres://user:pass@host:5432/db").');
  }
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, connectionTimeoutMillis: 10_000 });
  // An idle client of our own pool losing its server must not crash the process; the next query reports it.
  if (owned) pool.on('error', () => undefined);
  const scheduler = options.scheduler ?? createRealScheduler();
  let closed = false;
  let closing: Promise<void> | undefined;
  const inflight = new Set<Promise<unknown>>();

  const fail = (e: unknown, what: string): TroupeError => pgLogFailure(e, what, name, schema);

  /** Runs `work` unless closed, tracked so that close waits for it; every failure becomes a typed error. */
  const run = <T>(what: () => string, work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new TroupeError('journal-closed', `The PostgreSQL stream backend "${name}" is closed: create a new one to keep using it.`, { backend: 'pg', source: name }));
    const p = (async () => {
      try { return await work(); } catch (e) { throw fail(e, what()); }
    })();
    inflight.add(p);
    const done = (): void => { inflight.delete(p); };
    p.then(done, done);
    return p;
  };

  const inTransaction = <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => inPoolTransaction(pool, work);

  const lasts = async (topics: string[]): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    if (topics.length === 0) return out;
    for (const r of (await pool.query<{ topic: string; last_offset: string }>(sql.lasts, [topics])).rows) out.set(r.topic, Number(r.last_offset));
    return out;
  };
  const listener = createPgListener({ pool, channel: sql.channel, listen: sql.listen, scheduler, lasts });

  // Group commit. The topic rows are reserved in topic order, so two groups spanning the same
  // topics cannot deadlock; a topic row stays locked until COMMIT, so offsets commit in order.
  type Pending = { topic: string; columns: RecordColumns[]; resolve: (offsets: number[]) => void; reject: (e: unknown) => void };
  const queue: Pending[] = [];
  let committing = false;

  const commitGroup = async (group: Pending[]): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const p of group) counts.set(p.topic, (counts.get(p.topic) ?? 0) + p.columns.length);
    const topics = [...counts.keys()].sort();
    const offsets = new Map<Pending, number[]>();
    const lastOf = new Map<string, number>();
    await inTransaction(async (c) => {
      const next = new Map<string, number>();
      for (const r of (await c.query<{ topic: string; last_offset: string }>(sql.reserve, [topics, topics.map((t) => counts.get(t)!)])).rows) {
        const last = Number(r.last_offset);
        lastOf.set(r.topic, last);
        next.set(r.topic, last - counts.get(r.topic)! + 1);
      }
      const cols: unknown[][] = Array.from({ length: 12 }, () => []);
      for (const p of group) {
        const mine: number[] = [];
        for (const r of p.columns) {
          const offset = next.get(p.topic)!;
          next.set(p.topic, offset + 1);
          mine.push(offset);
          cols[0].push(p.topic); cols[1].push(offset); cols[2].push(r.id); cols[3].push(r.key); cols[4].push(r.partition); cols[5].push(r.type);
          cols[6].push(r.schemaVersion); cols[7].push(r.encoding); cols[8].push(r.data); cols[9].push(r.headers); cols[10].push(r.publishedAtMs); cols[11].push(r.bytes);
        }
        offsets.set(p, mine);
      }
      await c.query(sql.insertMany, cols);
      await c.query(sql.notify, [sql.channel, topics.map((t) => notifyPayload(t, lastOf.get(t)!))]);
    });
    for (const p of group) p.resolve(offsets.get(p)!);
    return lastOf;
  };

  const commitLoop = async (): Promise<void> => {
    committing = true;
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, MAX_GROUP);
        try {
          for (const [topic, last] of await commitGroup(group)) listener.deliver(topic, last);
        } catch (e) {
          const failure = fail(e, `append to ${group.length === 1 ? `"${group[0].topic}"` : `${group.length} appends`}`);
          if (failure.code === 'invalid-argument' && group.length > 1) {
            // One append's data was refused: commit the others alone, so only that one fails.
            for (const p of group) {
              await commitGroup([p]).then((l) => { for (const [topic, last] of l) listener.deliver(topic, last); }, (err: unknown) => p.reject(fail(err, `append to "${p.topic}"`)));
            }
          } else {
            for (const p of group) p.reject(failure);
          }
        }
      }
    } finally {
      committing = false;
    }
  };

  const checkTopic = (topic: unknown, where: string): string => checkName('topic', topic, where);
  const checkConsumer = (consumer: unknown, where: string): string => checkName('consumer', consumer, where);
  const checkGeneration = (g: unknown, where: string): number => checkInt(g, 'generation', where, 0);

  const cursorOf = async (q: pg.Pool | pg.PoolClient, topic: string, consumer: string, partition: number): Promise<CursorState> =>
    toCursor((await q.query<CursorRow>(sql.cursor, [topic, consumer, partition])).rows[0]);

  const headOf = async (q: pg.Pool | pg.PoolClient, topic: string): Promise<LogHead> => {
    const r = (await q.query<{ first: string | null; last: string | null }>(sql.head, [topic])).rows[0];
    const last = r.last === null ? 0 : Number(r.last);
    return { first: r.first === null ? last + 1 : Number(r.first), last };
  };

  const local: LogSource = {
    name,

    append(topic: string, records: readonly NewLogRecord[]): Promise<number[]> {
      return run(() => `append to "${topic}"`, () => {
        const where = `append to "${String(topic)}"`;
        checkTopic(topic, 'append');
        if (!Array.isArray(records) || records.length === 0) {
          throw new TroupeError('invalid-argument', `${where}: pass a non-empty array of records.`, { topic });
        }
        const columns = records.map((r, i) => recordColumns(r, `record ${i} of ${where}`));
        return new Promise<number[]>((resolve, reject) => {
          queue.push({ topic, columns, resolve, reject });
          if (!committing) void commitLoop();
        });
      });
    },

    read(topic: string, fromOffset: number, maxCount: number): Promise<LogRecord[]> {
      return run(() => `read of "${topic}"`, async () => {
        checkTopic(topic, 'read');
        checkInt(fromOffset, 'fromOffset', 'read', 0);
        if (maxCount !== Infinity) checkInt(maxCount, 'maxCount', 'read', 0);
        if (maxCount === 0) return [];
        const rows = (await pool.query<RecordRow>(sql.read, [topic, fromOffset, maxCount === Infinity ? null : maxCount])).rows;
        return rows.map((r) => toRecord(topic, name, r));
      });
    },

    head(topic: string): Promise<LogHead> {
      return run(() => `head of "${topic}"`, async () => headOf(pool, checkTopic(topic, 'head')));
    },

    cursor(topic: string, consumer: string, partition: number): Promise<CursorState> {
      return run(() => `cursor of "${consumer}" on "${topic}"`, async () => {
        checkTopic(topic, 'cursor');
        checkConsumer(consumer, 'cursor');
        checkPartition(partition, 'cursor');
        return cursorOf(pool, topic, consumer, partition);
      });
    },

    claim(topic: string, consumer: string, partition: number, owner: string, seenGeneration: number): Promise<CursorState> {
      return run(() => `claim of "${topic}" partition ${partition} for "${consumer}"`, async () => {
        checkTopic(topic, 'claim');
        checkConsumer(consumer, 'claim');
        checkPartition(partition, 'claim');
        checkText(owner, 'owner', 'claim', 1, MAX_ID_LENGTH);
        checkGeneration(seenGeneration, 'claim');
        const won = seenGeneration === 0
          ? await pool.query<CursorRow>(sql.claimNew, [topic, consumer, partition, owner])
          : await pool.query<CursorRow>(sql.claim, [topic, consumer, partition, owner, seenGeneration]);
        return won.rows.length === 1 ? toCursor(won.rows[0]) : cursorOf(pool, topic, consumer, partition);
      });
    },

    commit(topic: string, consumer: string, partition: number, offset: number, generation: number): Promise<void> {
      return run(() => `commit of "${consumer}" on "${topic}" partition ${partition}`, async () => {
        checkTopic(topic, 'commit');
        checkConsumer(consumer, 'commit');
        checkPartition(partition, 'commit');
        checkInt(offset, 'offset', 'commit', 0);
        checkGeneration(generation, 'commit');
        const args = [topic, consumer, partition, offset];
        const done = generation === 0 ? await pool.query(sql.commitNew, args) : await pool.query(sql.commit, [...args, generation]);
        if (done.rowCount === 1) return;
        const current = (await cursorOf(pool, topic, consumer, partition)).generation;
        throw new TroupeError('stale-generation',
          `Commit of "${consumer}" on "${topic}" partition ${partition} by generation ${generation} refused: the partition is at generation ${current} (claimed by another member since). ` +
          'Stop processing this partition; its new owner resumes from the last committed offset.',
          { topic, consumer, partition, generation, current });
      });
    },

    release(topic: string, consumer: string, partition: number, generation: number): Promise<void> {
      return run(() => `release of "${topic}" partition ${partition} for "${consumer}"`, async () => {
        checkTopic(topic, 'release');
        checkConsumer(consumer, 'release');
        checkPartition(partition, 'release');
        checkGeneration(generation, 'release');
        await pool.query(sql.release, [topic, consumer, partition, generation]);
      });
    },

    deadLetter(topic: string, entry: DeadLetterRecord): Promise<void> {
      return run(() => `dead letter on "${topic}"`, async () => {
        checkTopic(topic, 'deadLetter');
        const where = `deadLetter on "${topic}"`;
        if (typeof entry !== 'object' || entry === null) throw new TroupeError('invalid-argument', `${where}: pass { record, consumer, error, attempts, deadAtMs }.`, { topic });
        checkConsumer(entry.consumer, 'deadLetter');
        const error = checkText(entry.error, 'error', where, 0, 100_000);
        const attempts = checkInt(entry.attempts, 'attempts', where, 0, 0x7fffffff);
        const deadAtMs = checkFinite(entry.deadAtMs, 'deadAtMs', where);
        const r = entry.record;
        const c = recordColumns(r, `the record of ${where}`);
        const source = checkText(r.source, 'record.source', where, 1, MAX_ID_LENGTH);
        const offset = checkInt(r.offset, 'record.offset', where, 0);
        await pool.query(sql.insertDeadLetter, [
          topic, entry.consumer, source, offset, c.id, c.key, c.partition, c.type, c.schemaVersion, c.encoding, c.data, c.headers, c.publishedAtMs,
          error, attempts, deadAtMs,
        ]);
      });
    },

    deadLetters(topic: string, consumer: string): Promise<DeadLetterRecord[]> {
      return run(() => `dead letters of "${consumer}" on "${topic}"`, async () => {
        checkTopic(topic, 'deadLetters');
        checkConsumer(consumer, 'deadLetters');
        type Row = RecordRow & { source: string; error: string; attempts: number; dead_at_ms: number };
        const rows = (await pool.query<Row>(sql.deadLetters, [topic, consumer])).rows;
        return rows.map((r) => ({ record: toRecord(topic, r.source, r), consumer, error: r.error, attempts: r.attempts, deadAtMs: r.dead_at_ms }));
      });
    },

    purgeDeadLetters(topic: string, consumer: string, ids: readonly string[]): Promise<number> {
      return run(() => `purge of dead letters of "${consumer}" on "${topic}"`, async () => {
        checkTopic(topic, 'purgeDeadLetters');
        checkConsumer(consumer, 'purgeDeadLetters');
        if (!Array.isArray(ids)) throw new TroupeError('invalid-argument', 'purgeDeadLetters: ids must be an array of record ids.', { topic, consumer });
        ids.forEach((id) => checkText(id, 'id', 'purgeDeadLetters', 1, MAX_ID_LENGTH));
        if (ids.length === 0) return 0;
        return (await pool.query(sql.purgeDeadLetters, [topic, consumer, ids])).rowCount ?? 0;
      });
    },

    trim(topic: string, retention: Retention, nowMs: number): Promise<LogHead> {
      return run(() => `trim of "${topic}"`, async () => {
        checkTopic(topic, 'trim');
        if (typeof retention !== 'object' || retention === null) throw new TroupeError('invalid-argument', 'trim: retention must be an object { maxAgeMs?, maxCount?, maxBytes? }.', { topic });
        const { maxAgeMs, maxCount, maxBytes } = retention;
        if (maxAgeMs !== undefined) checkFinite(maxAgeMs, 'maxAgeMs', 'trim', 0);
        if (maxCount !== undefined) checkInt(maxCount, 'maxCount', 'trim', 0);
        if (maxBytes !== undefined) checkInt(maxBytes, 'maxBytes', 'trim', 0);
        checkFinite(nowMs, 'nowMs', 'trim');
        return inTransaction(async (c) => {
          if (maxAgeMs !== undefined) await c.query(sql.trimAge, [topic, nowMs - maxAgeMs]);
          if (maxCount !== undefined) await c.query(sql.trimCount, [topic, maxCount]);
          if (maxBytes !== undefined) await c.query(sql.trimBytes, [topic, maxBytes]);
          return headOf(c, topic);
        });
      });
    },

    watch(topic: string, onAppend: (last: number) => void): () => void {
      checkTopic(topic, 'watch');
      if (typeof onAppend !== 'function') throw new TroupeError('invalid-argument', 'watch: pass a listener function (last) => void.', { topic });
      if (closed) return () => undefined;
      return listener.watch(topic, onAppend);
    },

    close(): Promise<void> {
      closed = true;
      closing ??= (async () => {
        await Promise.allSettled([...inflight]);
        listener.close();
        if (owned) await pool.end();
      })();
      return closing;
    },
  };

  try {
    // The DDL runs in one transaction, so its last object existing means all of it does.
    if (!(await pool.query<{ ready: boolean }>(sql.ready)).rows[0].ready) await inTransaction(async (c) => {
      await c.query(sql.lock, [sql.ddlLockKey]);
      await c.query(sql.ddl);
    });
  } catch (e) {
    if (owned) await pool.end().catch(() => undefined);
    throw fail(e, `createPgLogBackend (schema "${schema}")`);
  }
  return { kind: 'pg', shared: true, local, close: () => local.close() };
}
