// The file journal, Troupe's embedded default: append-only segment files with CRC-framed records,
// group commit (one write + fsync per batch), an in-memory index rebuilt on open, and recovery
// that cuts a torn tail. On-disk format: internal/segment-format.ts and internal/record-format.ts.
//
//   <dir>/LOCK                        pid of the process that has the journal open
//   <dir>/<first position>.seg        segments, rolled at `segmentBytes`
//   <dir>/snapshots/<sha256>.snap     one snapshot per stream (internal/snapshot-files.ts)

import { mkdir } from 'node:fs/promises';
import { TroupeError } from '../../runtime/errors.ts';
import { decodePayload } from '../../runtime/payload-codec.ts';
import type {
  AppendOptions, AppendResult, Journal, JournalDeps, NewEvent, ReadAllOptions, ReadStreamOptions, Snapshot, StoredEvent,
} from './journal.ts';
import { lockDir } from './internal/dir-lock.ts';
import { GroupCommit } from './internal/group-commit.ts';
import { checkOptionalInt, checkSnapshotVersion, concurrencyConflict, journalClosed } from './internal/guards.ts';
import { JournalIndex } from './internal/journal-index.ts';
import { encodeChecked, prepareAppend } from './internal/prepare-events.ts';
import { readRecords } from './internal/record-reader.ts';
import { SegmentSet } from './internal/segment-set.ts';
import { SnapshotFiles } from './internal/snapshot-files.ts';
import { assertStreamName } from './stream-name.ts';

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
}

/** A {@link Journal} on files, with its counters. */
export interface FileJournal extends Journal {
  readonly dir: string;
  stats(): FileJournalStats;
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
 * Opens (or creates) the journal in `options.dir`: scans every segment, verifies each record's
 * CRC, rebuilds the index, and cuts a torn tail left by a crash. Rejects with `corrupt-record` if a
 * record other than the final, unacknowledged flush is damaged, and `invalid-argument` if another
 * live process has the directory open.
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
  const unlock = await lockDir(dir);
  const index = new JournalIndex();
  let opened: Awaited<ReturnType<typeof SegmentSet.open>>;
  try {
    opened = await SegmentSet.open(dir, segmentBytes, fsync, (s) => index.version(s), (stream, version, position, segment, offset, length) => {
      index.add(stream, version, position, segment, offset, length);
    });
  } catch (e) {
    await unlock();
    throw e;
  }
  const { set: segments, report } = opened;
  const snapshots = new SnapshotFiles(dir, fsync);
  let closed: TroupeError | undefined;
  let closing: Promise<void> | undefined;
  let reserved = index.count;
  const commit = new GroupCommit(segments, maxFlushBytes, report.lastFlushSeq,
    (stream, version, position, segment, offset, length) => index.add(stream, version, position, segment, offset, length),
    (cause) => (closed = journalClosed(cause)));
  const reads = new Set<Promise<unknown>>();

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
      const positions = index.streams.get(stream)?.positions;
      if (!positions) return [];
      const from = Math.max(1, opts.fromVersion ?? 1) - 1;
      const to = Math.min(positions.length, from + (opts.maxCount ?? Infinity));
      if (to <= from) return [];
      return tracked(readRecords(index, segments, { length: to - from, at: (i) => positions[from + i] }, stream));
    },

    async readAll(opts: ReadAllOptions = {}): Promise<StoredEvent[]> {
      guard();
      checkOptionalInt(opts.fromPosition, 'fromPosition', 0);
      checkOptionalInt(opts.maxCount, 'maxCount', 0);
      const from = Math.max(1, opts.fromPosition ?? 1);
      const to = Math.min(index.count, from - 1 + (opts.maxCount ?? Infinity));
      if (to < from) return [];
      return tracked(readRecords(index, segments, { length: to - from + 1, at: (i) => from + i }));
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
        await Promise.allSettled([...reads]);
        await segments.close();
        await unlock();
      })();
      return closing;
    },

    stats: () => ({
      flushes: commit.flushes, bytesWritten: commit.bytesWritten, segments: segments.count,
      lastPosition: index.count, recoveredTornBytes: report.tornBytes,
    }),
  };
}
