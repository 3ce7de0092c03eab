// The file journal, Troupe's embedded default: append-only segment files with CRC-framed records,
// group commit (one write + fsync per batch), an in-memory index from checkpoints (sealed segments'
// summaries on open, their records on first read), and recovery that cuts only a torn tail and reports it. Format: internal/segment-format.ts,
// internal/record-format.ts, internal/index-checkpoint.ts, internal/head-marker.ts.
//
//   <dir>/LOCK                        holder of the journal: pid, start time, boot id, token (dir-lock.ts)
//   <dir>/HEAD                        last durable position, last segment and its length
//   <dir>/<first position>.seg        segments, rolled at `segmentBytes`
//   <dir>/<first position>.idx        index checkpoint of a segment
//   <dir>/<segment>.<offset>.quarantine  bytes recovery cut, kept for inspection
//   <dir>/snapshots/<sha256>.snap     one snapshot per stream (internal/snapshot-files.ts)

import { mkdir } from 'node:fs/promises';
import { TroupeError } from '../../runtime/errors.ts';
import { decodePayload } from '../../runtime/payload-codec.ts';
import type {
  AppendOptions, AppendResult, Journal, JournalDeps, NewEvent, ReadAllOptions, ReadStreamOptions, Snapshot, StoredEvent,
} from './journal.ts';
import { lockDir } from './internal/dir-lock.ts';
import { GroupCommit, type FlushObserver } from './internal/group-commit.ts';
import { checkOptionalInt, checkSnapshotVersion, concurrencyConflict, journalClosed } from './internal/guards.ts';
import { JournalIndex } from './internal/journal-index.ts';
import { encodeChecked, prepareAppend } from './internal/prepare-events.ts';
import { readRecords } from './internal/record-reader.ts';
import { checkpointSegment, recover, type DamagePolicy, type RecoveryEvent } from './internal/recover.ts';
import { SnapshotFiles } from './internal/snapshot-files.ts';
import { assertStreamName } from './stream-name.ts';

export type { DamagePolicy, RecoveryEvent } from './internal/recover.ts';

/** A line the file journal logs: `error` for anything cut or lost on open, `warn` for an ignored checkpoint. */
export interface FileJournalLogEntry {
  readonly level: 'error' | 'warn';
  readonly msg: string;
  readonly data: RecoveryEvent;
}

const stderrLog = (e: FileJournalLogEntry): void => { process.stderr.write(`troupe file journal ${e.level}: ${e.msg}\n`); };

const describeEvent = (e: RecoveryEvent): FileJournalLogEntry => {
  switch (e.type) {
    case 'truncated':
      return { level: 'error', data: e, msg: `cut ${e.bytes} byte(s) from ${e.file} at byte ${e.offset} (${e.reason}: ${e.why}); copied to ${e.quarantine}` };
    case 'data-lost':
      return { level: 'error', data: e, msg: `log ends at position ${e.foundLastPosition} but HEAD recorded ${e.expectedLastPosition} (${e.reason}: ${e.file}); ${e.expectedLastPosition - e.foundLastPosition} acknowledged event(s) lost, accepted by onDamage: 'quarantine'` };
    case 'checkpoint-ignored':
      return { level: 'warn', data: e, msg: `index checkpoint ${e.file} ignored (${e.why}); its segment was scanned instead` };
  }
};

/** When appends are fsynced: `'always'` (resolve == durable, group commit) or `'never'` (tests, scratch data). */
export type FsyncPolicy = 'always' | 'never';

/** Options of {@link createFileJournal}. */
export interface FileJournalOptions extends JournalDeps {
  /** The journal directory; created if missing. One open journal per directory (a LOCK file enforces it). */
  readonly dir: string;
  /** A segment is rolled once the next flush would take it past this size; default 64 MiB (range 4 KiB – 1 GiB). */
  readonly segmentBytes?: number;
  /** Default `'always'`: an append resolves only after its bytes are fsynced. */
  readonly fsync?: FsyncPolicy;
  /**
   * Most bytes written by one flush, and so the largest single append; default 4 MiB (range
   * 4 KiB – 256 MiB). Recovery treats damage within the final flush as a torn write, so reopen a
   * journal with the same value it was written with.
   */
  readonly maxFlushBytes?: number;
  /**
   * What open does with damage that is not a torn tail (a complete record with a bad CRC, damage
   * followed by valid records, damage in a sealed segment) and with a log shorter than its HEAD
   * marker. `'fail'` (default): reject with `corrupt-record` / `journal-data-lost` and change
   * nothing. `'quarantine'`: copy everything from the damage on to `.quarantine` files, cut it,
   * report it, and open with the events before it.
   */
  readonly onDamage?: DamagePolicy;
  /** Called for each thing open reports (bytes cut, data lost, a checkpoint ignored; that last also on a first read); default none. */
  readonly onRecovery?: (event: RecoveryEvent) => void;
  /** Receives a line for each recovery event; default writes it to stderr. */
  readonly log?: (entry: FileJournalLogEntry) => void;
  /**
   * Default `true`: persist the index of each segment when it is sealed (and of the active one every
   * 8 MiB and at close); open then reads only each sealed segment's summary (its events per stream)
   * and loads the rest of its index on the first read that touches it, instead of scanning. `false` scans and CRC-checks every record on
   * every open (slower; finds damage in old segments at open rather than when they are read).
   */
  readonly indexCheckpoints?: boolean;
}

/** Counters of a file journal, for benchmarks and diagnostics. */
export interface FileJournalStats {
  /** Flushes (write + fsync of one batch) done since open. */
  readonly flushes: number;
  readonly bytesWritten: number;
  readonly segments: number;
  /** The last durable global position. */
  readonly lastPosition: number;
  /** Bytes cut from a torn tail when the journal was opened (0 after a clean shutdown). */
  readonly recoveredTornBytes: number;
  /** What open reported (also given to `onRecovery` and `log`). */
  readonly recovery: readonly RecoveryEvent[];
}

/** A {@link Journal} on files, with its counters. */
export interface FileJournal extends Journal {
  readonly dir: string;
  stats(): FileJournalStats;
  /** @internal Times every flush (write + fsync) on `observer.clock`; used by `observeJournal`. */
  observeFlushes(observer: FlushObserver | null): void;
}

const MIB = 1024 * 1024;

const checkSize = (v: number | undefined, name: string, dflt: number, min: number, max: number): number => {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new TroupeError('invalid-argument', `${name} must be an integer between ${min} and ${max} bytes, got ${String(v)}.`, { [name]: v });
  }
  return v;
};

/**
 * Opens (or creates) the journal in `options.dir`: loads the index checkpoints, scans and
 * CRC-checks the records after them, and cuts a torn tail left by a crash (a partial final record
 * or an unfinished append), copying it to a `.quarantine` file and reporting it through
 * `onRecovery` and `log`. Rejects with `corrupt-record` (data: `file`, `offset`) for any other
 * damage, `journal-data-lost` when the log is shorter than its HEAD marker says (a segment deleted
 * or truncated outside the journal) — both unless `onDamage: 'quarantine'` — and `journal-locked`
 * (data: `holder`) if another live process has the directory open.
 *
 * Reads see an event once its append has resolved. A failed write or fsync closes the journal
 * (every pending and later call rejects with `journal-closed` carrying the cause): after a failed
 * fsync nothing about the file can be trusted until it is reopened and recovered.
 *
 * @example
 * const journal = await createFileJournal({ dir: './data/journal', clock: { now: wallClockMs }, ids });
 * await journal.append('order-7', [{ type: 'placed', data: { total: 12n } }], { expectedVersion: 0 });
 */
export async function createFileJournal(options: FileJournalOptions): Promise<FileJournal> {
  const segmentBytes = checkSize(options.segmentBytes, 'segmentBytes', 64 * MIB, 4096, 1024 * MIB);
  const maxFlushBytes = checkSize(options.maxFlushBytes, 'maxFlushBytes', 4 * MIB, 4096, 256 * MIB);
  const fsync = (options.fsync ?? 'always') === 'always';
  if (options.fsync !== undefined && options.fsync !== 'always' && options.fsync !== 'never') {
    throw new TroupeError('invalid-argument', `fsync must be 'always' or 'never', got ${JSON.stringify(options.fsync)}.`);
  }
  const { dir } = options;
  const deps: JournalDeps = { clock: options.clock, ids: options.ids };
  await mkdir(dir, { recursive: true });
  const onDamage = options.onDamage ?? 'fail';
  if (onDamage !== 'fail' && onDamage !== 'quarantine') {
    throw new TroupeError('invalid-argument', `onDamage must be 'fail' or 'quarantine', got ${JSON.stringify(onDamage)}.`);
  }
  const checkpoints = options.indexCheckpoints ?? true;
  const log = options.log ?? stderrLog;
  const recovery: RecoveryEvent[] = [];
  const unlock = await lockDir(dir);
  const index = new JournalIndex();
  let opened: Awaited<ReturnType<typeof recover>>;
  try {
    opened = await recover({
      dir, segmentBytes, fsync, index, onDamage, checkpoints,
      report: (e) => { recovery.push(e); log(describeEvent(e)); options.onRecovery?.(e); },
    });
  } catch (e) {
    await unlock();
    throw e;
  }
  const { set: segments, head } = opened;
  const snapshots = new SnapshotFiles(dir, fsync);
  let closed: TroupeError | undefined;
  let closing: Promise<void> | undefined;
  let reserved = index.count;
  const commit = new GroupCommit(segments, maxFlushBytes, opened.lastFlushSeq,
    (stream, version, position, segment, offset, length) => index.add(stream, version, position, segment, offset, length),
    (cause) => (closed = journalClosed(cause)));
  const reads = new Set<Promise<unknown>>();
  // Checkpoints are written one at a time, off the append path. One only speeds up the next open:
  // failing to write it is not an append's failure.
  let checkpointing: Promise<void> = Promise.resolve();
  if (checkpoints) {
    segments.onCheckpoint = (seg, last, lastFlushSeq) => {
      checkpointing = checkpointing.then(() => checkpointSegment(index, seg, last, lastFlushSeq)).catch(() => undefined);
    };
  }

  const guard = (): void => { if (closed) throw closed; };
  const tracked = <T>(p: Promise<T>): Promise<T> => {
    reads.add(p);
    const done = (): void => { reads.delete(p); };
    p.then(done, done);
    return p;
  };

  return {
    dir,

    async append(stream: string, events: readonly NewEvent[], opts: AppendOptions): Promise<AppendResult> {
      guard();
      const { expected, prepared } = prepareAppend(stream, events, opts, deps);
      const entry = index.streams.get(stream);
      const current = entry?.reserved ?? 0;
      if (expected !== 'any' && expected !== current) throw concurrencyConflict(stream, expected, current);
      const firstVersion = current + 1;
      const firstPosition = reserved + 1;
      const durable = commit.stage(stream, prepared, firstVersion, firstPosition);
      (entry ?? index.entry(stream)).reserved = current + prepared.length;
      reserved += prepared.length;
      const versions: number[] = new Array(prepared.length), positions: number[] = new Array(prepared.length);
      for (let i = 0; i < prepared.length; i++) { versions[i] = firstVersion + i; positions[i] = firstPosition + i; }
      await durable;
      return { streamVersion: firstVersion + prepared.length - 1, versions, positions };
    },

    async readStream(stream: string, opts: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      guard();
      assertStreamName(stream);
      checkOptionalInt(opts.fromVersion, 'fromVersion', 0);
      checkOptionalInt(opts.maxCount, 'maxCount', 0);
      const entry = index.streams.get(stream);
      if (!entry) return [];
      const { positions } = entry;
      const from = Math.max(1, opts.fromVersion ?? 1) - 1;
      const to = Math.min(positions.length, from + (opts.maxCount ?? Infinity));
      if (to <= from) return [];
      return tracked((async () => {
        await index.readyStream(entry, from, to);
        return readRecords(index, segments, { length: to - from, at: (i) => positions.at(from + i) }, stream);
      })());
    },

    async readAll(opts: ReadAllOptions = {}): Promise<StoredEvent[]> {
      guard();
      checkOptionalInt(opts.fromPosition, 'fromPosition', 0);
      checkOptionalInt(opts.maxCount, 'maxCount', 0);
      const from = Math.max(1, opts.fromPosition ?? 1);
      const to = Math.min(index.count, from - 1 + (opts.maxCount ?? Infinity));
      if (to < from) return [];
      return tracked((async () => {
        await index.readyPositions(from, to);
        return readRecords(index, segments, { length: to - from + 1, at: (i) => from + i });
      })());
    },

    async streamVersion(stream: string): Promise<number> {
      guard();
      assertStreamName(stream);
      return index.version(stream);
    },

    async saveSnapshot(stream: string, version: number, state: unknown): Promise<void> {
      guard();
      assertStreamName(stream);
      checkSnapshotVersion(stream, version, index.version(stream));
      const { encoding, text } = encodeChecked(state, `the snapshot of "${stream}"`);
      await tracked(snapshots.save({ stream, version, encoding, savedAtMs: deps.clock.now(), text }));
    },

    async loadSnapshot(stream: string): Promise<Snapshot | undefined> {
      guard();
      assertStreamName(stream);
      const rec = await tracked(snapshots.load(stream));
      return rec && { stream, version: rec.version, state: decodePayload(rec.encoding, rec.text), savedAtMs: rec.savedAtMs };
    },

    close(): Promise<void> {
      closing ??= (async () => {
        closed ??= journalClosed();
        await commit.drain();
        await Promise.allSettled([...reads, checkpointing]);
        if (checkpoints && commit.failure === undefined) await checkpointSegment(index, segments.last, index.count, segments.last.lastFlushSeq).catch(() => undefined);
        if (commit.failure === undefined) {
          const last = segments.last;
          await head.recordDurably({ flushSeq: last.lastFlushSeq, lastPosition: index.count, segment: last.firstPosition, segmentBytes: last.size }).catch(() => undefined);
        }
        await segments.close();
        await head.close().catch(() => undefined);
        await unlock();
      })();
      return closing;
    },

    observeFlushes: (observer) => { commit.flushObserver = observer; },

    stats: () => ({
      flushes: commit.flushes, bytesWritten: commit.bytesWritten, segments: segments.count,
      lastPosition: index.count, recoveredTornBytes: opened.tornBytes, recovery,
    }),
  };
}
