// Opening a journal directory: load index checkpoints (of sealed segments only their summaries; see
// lazy-load.ts), scan what they do not cover, classify damage
// (segment-scan.ts), compare the result with the HEAD marker, and only then change anything on
// disk — every byte cut is first copied to a quarantine file beside its segment and reported.

import { open, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '../../../runtime/errors.ts';
import { HeadMarker } from './head-marker.ts';
import { checkpointFile, loadBody, loadSummary, removeCheckpoint, writeCheckpoint } from './index-checkpoint.ts';
import type { JournalIndex } from './journal-index.ts';
import { lazyLoader, type LazySegment } from './lazy-load.ts';
import { parseSegmentName, SEGMENT_HEADER_BYTES, segmentHeader, segmentName } from './segment-format.ts';
import { scanSegment, type ScanDamage } from './segment-scan.ts';
import { readFully, type Segment, SegmentSet, syncDir, writeAll } from './segment-set.ts';

/**
 * Something open found and reported. `truncated`: bytes cut from a segment (after being copied
 * to `quarantine`) — a torn tail, or corruption the caller chose to quarantine; a whole segment
 * moved aside has `offset` 0. `data-lost`: the log ends before the position the HEAD marker
 * recorded as durable (a segment deleted or shortened outside the journal).
 * `checkpoint-ignored`: an index checkpoint was unusable, so its segment was scanned instead — at
 * open, or on the first read of a sealed segment whose summary open used but whose body is damaged.
 */
export type RecoveryEvent =
  | { readonly type: 'truncated'; readonly reason: 'torn-tail' | 'corruption'; readonly file: string; readonly offset: number;
      readonly bytes: number; readonly quarantine: string; readonly damageOffset: number; readonly why: string }
  | { readonly type: 'data-lost'; readonly reason: 'segment-missing' | 'segment-short'; readonly file: string;
      readonly expectedLastPosition: number; readonly foundLastPosition: number }
  | { readonly type: 'checkpoint-ignored'; readonly file: string; readonly why: string };

/** What open does with damage that is not a torn tail, and with a log shorter than HEAD. */
export type DamagePolicy = 'fail' | 'quarantine';

export interface RecoverOptions {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly fsync: boolean;
  readonly index: JournalIndex;
  readonly onDamage: DamagePolicy;
  readonly checkpoints: boolean;
  /** Receives each event as it is decided (before the open completes or fails). */
  readonly report: (e: RecoveryEvent) => void;
}

export interface Recovered {
  readonly set: SegmentSet;
  readonly head: HeadMarker;
  readonly tornBytes: number;
  readonly lastFlushSeq: number;
}

const corrupt = (file: string, offset: number, why: string): TroupeError => new TroupeError('corrupt-record',
  `Journal segment ${file} has a corrupt record at byte ${offset} (${why}); events from there on cannot be trusted. ` +
  `Restore the journal directory from a backup, or open it with onDamage: 'quarantine' to keep the events before byte ${offset} ` +
  `(the rest is copied to a .quarantine file beside the segment and reported).`, { file, offset });

async function readAt(fh: import('node:fs/promises').FileHandle, offset: number, length: number, file: string): Promise<Buffer> {
  const b = Buffer.allocUnsafe(length);
  await readFully(fh, b, 0, length, offset, file);
  return b;
}

/** `<file>.<offset>.quarantine`, or with `-n` added if taken by an earlier recovery. */
async function quarantineName(file: string, offset: number): Promise<string> {
  for (let n = 0; ; n++) {
    const name = `${file}.${offset}${n === 0 ? '' : `-${n}`}.quarantine`;
    if (!(await stat(name).then(() => true, () => false))) return name;
  }
}

/** Opens and recovers the journal in `o.dir`, filling `o.index`. */
export async function recover(o: RecoverOptions): Promise<Recovered> {
  const { dir, index } = o;
  let names = (await readdir(dir)).filter((n) => parseSegmentName(n) !== undefined).sort();
  const { head, recorded } = await HeadMarker.open(dir, o.fsync);
  const segments: Segment[] = [];
  const ignored: string[] = [];
  const toCheckpoint: { seg: Segment; last: number }[] = [];
  let cut: { seg: Segment; keepBytes: number; size: number; damage: ScanDamage } | undefined;
  let moveAside: string[] = [];
  let nextPosition = 1;
  let lastFlushSeq = 0;
  let tornBytes = 0;
  const lazy = new Map<number, LazySegment>();
  const fail = async (e: unknown): Promise<never> => {
    await Promise.allSettled([...segments.map((s) => s.fh.close()), head.close()]);
    throw e;
  };
  try {
    for (let i = 0; i < names.length; i++) {
      const file = join(dir, names[i]);
      const firstPosition = parseSegmentName(names[i]) as number;
      const isLast = i === names.length - 1;
      if (firstPosition !== nextPosition) {
        throw new TroupeError('corrupt-record', `Journal segment ${file} starts at position ${firstPosition} but ${nextPosition} was expected: a segment file is missing or extra. Restore the directory from a backup.`, { file, offset: 0 });
      }
      const fh = await open(file, isLast ? 'r+' : 'r');
      const size = (await fh.stat()).size;
      const seg: Segment = { file, firstPosition, fh, size, lastFlushSeq };
      segments.push(seg);
      let start = 0;
      if (o.checkpoints) {
        const readSeg = (off: number, len: number): Promise<Buffer> => readAt(fh, off, len, file);
        let cp = await loadSummary(file, firstPosition, size, readSeg);
        if (cp && typeof cp !== 'string' && !isLast && cp.coveredBytes === size) {
          // A sealed segment it covers whole: only the summary now, the rest on first read.
          index.addLazy(i, cp.records, cp.counts, cp.names);
          lazy.set(i, { seg, summary: cp });
          lastFlushSeq = seg.lastFlushSeq = cp.lastFlushSeq;
          nextPosition = index.count + 1;
          continue;
        }
        if (cp && typeof cp !== 'string') {
          // The last segment (which takes appends and checkpoints again), or one with records after its checkpoint.
          const summary = cp;
          const body = await loadBody(summary, true);
          if (typeof body === 'string') cp = body;
          else {
            index.addBulk(i, summary.records, { ...body, counts: summary.counts, names: summary.names });
            start = summary.coveredBytes;
            lastFlushSeq = seg.lastFlushSeq = summary.lastFlushSeq;
            nextPosition = index.count + 1;
          }
        }
        if (typeof cp === 'string') {
          ignored.push(file);
          o.report({ type: 'checkpoint-ignored', file: checkpointFile(file), why: cp });
        }
      }
      if (start === size) continue;
      const r = scanSegment(await readAt(fh, start, size - start, file), size - start, {
        firstPosition: nextPosition, base: start, lastFlushSeq, versionOf: (s) => index.version(s),
        onRecord: (stream, version, position, offset, length) => index.add(stream, version, position, i, offset, length),
      });
      nextPosition = index.count + 1;
      lastFlushSeq = seg.lastFlushSeq = r.lastFlushSeq;
      if (!r.damage) {
        if (!isLast && o.checkpoints && r.records > 0) toCheckpoint.push({ seg, last: index.count });
        continue;
      }
      if (r.damage.kind === 'unsupported-version') {
        throw new TroupeError('unsupported-version', `Journal segment ${file} was written by another format version (${r.damage.why}); open it with a Troupe version that supports it.`, { file });
      }
      const damage: ScanDamage = isLast || r.damage.kind === 'corruption' ? r.damage
        : { kind: 'corruption', offset: r.damage.offset, why: `${r.damage.why}, in a sealed segment` };
      if (damage.kind === 'corruption' && o.onDamage === 'fail') throw corrupt(file, damage.offset, damage.why);
      cut = { seg, keepBytes: r.keepBytes, size, damage };
      if (!isLast) {
        // Quarantining corruption in a sealed segment: it becomes the last; later ones are moved aside.
        moveAside = names.slice(i + 1).map((n) => join(dir, n));
        names = names.slice(0, i + 1);
        await fh.close();
        seg.fh = await open(file, 'r+');
      }
      break;
    }

    if (recorded && recorded.lastPosition > index.count) {
      const file = join(dir, segmentName(recorded.segment));
      const e: RecoveryEvent = {
        type: 'data-lost', reason: names.includes(segmentName(recorded.segment)) ? 'segment-short' : 'segment-missing',
        file, expectedLastPosition: recorded.lastPosition, foundLastPosition: index.count,
      };
      if (o.onDamage === 'fail') {
        throw new TroupeError('journal-data-lost',
          `Journal ${dir} ends at position ${index.count}, but its HEAD marker records position ${recorded.lastPosition} as durable ` +
          `(${e.reason === 'segment-missing' ? `segment ${file} is missing` : `segment ${file} is shorter than the ${recorded.segmentBytes} bytes recorded`}${cut ? `; ${cut.damage.why} at byte ${cut.damage.offset}` : ''}): ` +
          `${recorded.lastPosition - index.count} acknowledged event(s) are gone. Restore the directory from a backup, or open it with ` +
          `onDamage: 'quarantine' to accept the loss (positions after ${index.count} will then be reused).`,
          { dir, file, reason: e.reason, expectedLastPosition: recorded.lastPosition, foundLastPosition: index.count });
      }
      o.report(e);
    }

    // Nothing has changed on disk so far. From here on: quarantine, then cut.
    for (const file of moveAside) {
      const q = await quarantineName(file, 0);
      const bytes = (await stat(file)).size;
      await rename(file, q);
      await removeCheckpoint(file);
      o.report({ type: 'truncated', reason: 'corruption', file, offset: 0, bytes, quarantine: q, damageOffset: cut?.damage.offset ?? 0, why: `follows the corrupt segment ${cut?.seg.file}` });
    }
    if (cut) {
      const { seg, keepBytes, size, damage } = cut;
      const q = await quarantineName(seg.file, keepBytes);
      await writeFile(q, await readAt(seg.fh, keepBytes, size - keepBytes, seg.file));
      if (o.fsync) { const qh = await open(q, 'r'); try { await qh.sync(); } finally { await qh.close(); } }
      await seg.fh.truncate(keepBytes);
      seg.size = keepBytes;
      if (keepBytes === 0) { await writeAll(seg.fh, segmentHeader(), 0); seg.size = SEGMENT_HEADER_BYTES; }
      if (o.fsync) { await seg.fh.sync(); await syncDir(dir); }
      if (damage.kind === 'torn-tail') tornBytes += size - keepBytes;
      o.report({ type: 'truncated', reason: damage.kind === 'torn-tail' ? 'torn-tail' : 'corruption', file: seg.file, offset: keepBytes, bytes: size - keepBytes, quarantine: q, damageOffset: damage.offset, why: damage.why });
    }
    for (const file of ignored) if (!toCheckpoint.some((c) => c.seg.file === file)) await removeCheckpoint(file);
  } catch (e) {
    return fail(e);
  }

  index.loader = lazyLoader(index, lazy, (file, why) => o.report({ type: 'checkpoint-ignored', file, why }));
  const set = new SegmentSet(dir, o.segmentBytes, o.fsync, segments, head);
  try {
    if (segments.length === 0) await set.create(1);
    for (const { seg, last } of toCheckpoint) await checkpointSegment(index, seg, last, seg.lastFlushSeq);
    const last = set.last;
    await head.recordDurably({ flushSeq: lastFlushSeq, lastPosition: index.count, segment: last.firstPosition, segmentBytes: last.size });
  } catch (e) {
    await set.close();
    return fail(e);
  }
  return { set, head, tornBytes, lastFlushSeq };
}

/** Writes the index checkpoint of `seg`, covering its records up to position `last` (of flush `lastFlushSeq`). */
export async function checkpointSegment(index: JournalIndex, seg: Segment, last: number, lastFlushSeq: number): Promise<void> {
  if (last < seg.firstPosition) return;
  const { off, len, sid, names } = index.slice(seg.firstPosition, last);
  await writeCheckpoint(seg.file, {
    firstPosition: seg.firstPosition, coveredBytes: index.offsetOf(last) + index.lengthOf(last), lastFlushSeq, off, len, sid, names,
  });
}
