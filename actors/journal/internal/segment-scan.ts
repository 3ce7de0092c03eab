// Recovery of one segment on open: verify every record, feed the committed ones to the index, and
// decide whether a bad record is a torn tail (truncate) or corruption (refuse to open).
//
// Rules. In a sealed (not last) segment any bad record, or records after the last commit point,
// is `corrupt-record`. In the last segment, a bad record X is a torn write of the final flush
// unless a valid record of a LATER flush follows it (found by scanning forward byte by byte): a
// later flush is only written after X's flush was fsynced, so X was durable and is now damaged.
// A torn tail is cut back to the last commit point (end of the last whole append), so a partly
// written append never becomes visible.

import { TroupeError } from '../../../runtime/errors.ts';
import { checkFrame, FLAG_END_OF_APPEND, FLAG_END_OF_FLUSH, FRAME_BYTES, readHead, type RecordHead } from './record-format.ts';
import { StringCache } from './string-cache.ts';
import { checkSegmentHeader, SEGMENT_HEADER_BYTES } from './segment-format.ts';

/** What {@link scanSegment} needs to know about the segment and the journal so far. */
export interface ScanContext {
  /** File path, for messages. */
  readonly file: string;
  /** Global position of the segment's first record (from its name). */
  readonly firstPosition: number;
  readonly isLast: boolean;
  /** Highest flush sequence number seen in earlier segments (0 if none). */
  readonly lastFlushSeq: number;
  /** Durable version of a stream so far. */
  readonly versionOf: (stream: string) => number;
  /** Called for each record of each whole append, in order. */
  readonly onRecord: (stream: string, version: number, position: number, offset: number, length: number) => void;
}

/** Outcome of a scan: bytes to keep (0 = rewrite the header), whether a torn tail was cut. */
export interface ScanResult {
  readonly keepBytes: number;
  readonly torn: boolean;
  readonly lastFlushSeq: number;
}

const corrupt = (file: string, offset: number, why: string): TroupeError => new TroupeError('corrupt-record',
  `Journal segment ${file} has a corrupt record at byte ${offset} (${why}); events after it cannot be trusted. ` +
  `Restore the journal directory from a backup, or truncate the file at byte ${offset} to keep the events before it.`,
  { file, offset });

/** Scans `buf[0, size)`, the whole content of one segment file. */
export function scanSegment(buf: Buffer, size: number, ctx: ScanContext): ScanResult {
  const header = checkSegmentHeader(buf, size);
  if (header === 'unsupported-version') {
    throw new TroupeError('unsupported-version', `Journal segment ${ctx.file} was written by another format version (${buf.readUInt32LE(8)}); open it with a Troupe version that supports it.`, { file: ctx.file });
  }
  if (header === 'bad') {
    // Only a crash while creating the last segment leaves a bad header, and then nothing follows it.
    if (ctx.isLast && size <= SEGMENT_HEADER_BYTES) return { keepBytes: 0, torn: size > 0, lastFlushSeq: ctx.lastFlushSeq };
    throw corrupt(ctx.file, 0, 'bad segment header');
  }
  let off = SEGMENT_HEADER_BYTES;
  let commitEnd = off;
  let position = ctx.firstPosition;
  let flushSeq = ctx.lastFlushSeq;
  let last: RecordHead | undefined;
  const pending: { head: RecordHead; offset: number; length: number }[] = [];
  let bad: string | undefined;
  const cache = new StringCache();
  while (off < size) {
    const len = checkFrame(buf, off, size);
    if (len < 0) { bad = 'bad length or CRC'; break; }
    const head = readHead(buf, off, cache);
    const prev = pending.length > 0 ? pending[pending.length - 1].head : undefined;
    const expectedVersion = prev ? prev.version + 1 : ctx.versionOf(head.stream) + 1;
    if (head.position !== position || head.version !== expectedVersion || (prev && prev.stream !== head.stream) || head.flushSeq < flushSeq) {
      throw corrupt(ctx.file, off, `expected position ${position} version ${expectedVersion}, found position ${head.position} version ${head.version}`);
    }
    const length = FRAME_BYTES + len;
    pending.push({ head, offset: off, length });
    last = head;
    flushSeq = head.flushSeq;
    off += length;
    position++;
    if (head.flags & FLAG_END_OF_APPEND) {
      for (const r of pending) ctx.onRecord(r.head.stream, r.head.version, r.head.position, r.offset, r.length);
      pending.length = 0;
      commitEnd = off;
    }
  }
  if (bad === undefined && commitEnd === size) return { keepBytes: size, torn: false, lastFlushSeq: flushSeq };
  if (!ctx.isLast) throw corrupt(ctx.file, bad === undefined ? commitEnd : off, bad ?? 'a partial append at the end of a sealed segment');
  if (bad !== undefined) {
    const badFlush = last === undefined ? ctx.lastFlushSeq + 1 : last.flags & FLAG_END_OF_FLUSH ? last.flushSeq + 1 : last.flushSeq;
    for (let y = off + 1; y < size; y++) {
      if (checkFrame(buf, y, size) >= 0 && readHead(buf, y, cache).flushSeq > badFlush) throw corrupt(ctx.file, off, `${bad}, with later flushes after it`);
    }
  }
  // Cut records keep their flush numbers reserved: the next flush is numbered above all of them.
  return { keepBytes: commitEnd, torn: true, lastFlushSeq: flushSeq };
}
