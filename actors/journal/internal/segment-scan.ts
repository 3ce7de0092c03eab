// Recovery of one segment on open: verify every record, feed the committed ones to the index, and
// classify what stops the scan as a torn tail (safe to cut) or corruption (never cut silently).
//
// Rules. The scan keeps records up to the last commit point (end of the last whole append). What
// follows is a TORN TAIL only if it is what an interrupted write leaves: whole records of an
// unfinished append, then at most one partial record (its frame claims bytes past the end of the
// file, or its 8-byte frame header is itself cut), or bytes that are all zero (an extent the
// crash left unwritten) — and no valid record anywhere after it. Anything else is CORRUPTION: a
// complete-length record with a bad CRC or magic, a record out of sequence, damage with valid
// records after it, or any damage in a sealed (not last) segment.

import { checkFrame, FLAG_END_OF_APPEND, FRAME_BYTES, MIN_PAYLOAD_BYTES, readHead, type RecordHead } from './record-format.ts';
import { StringCache } from './string-cache.ts';
import { checkSegmentHeader, SEGMENT_HEADER_BYTES } from './segment-format.ts';

/** What {@link scanSegment} needs to know about the segment and the journal so far. */
export interface ScanContext {
  /** Global position of the first record at `start`. */
  readonly firstPosition: number;
  /** File offset of `buf[0]`; 0 = the buffer starts with the segment header. */
  readonly base: number;
  /** Highest flush sequence number seen before `start` (0 if none). */
  readonly lastFlushSeq: number;
  /** Durable version of a stream so far. */
  readonly versionOf: (stream: string) => number;
  /** Called for each record of each whole append, in order, with its file offset. */
  readonly onRecord: (stream: string, version: number, position: number, offset: number, length: number) => void;
}

/** Why a scan stopped before the end of the file. Offsets are file offsets. */
export interface ScanDamage {
  readonly kind: 'torn-tail' | 'corruption' | 'unsupported-version';
  /** Where the first bad or uncommitted byte is. */
  readonly offset: number;
  readonly why: string;
}

/** Outcome of a scan: the file offset to keep up to (0 = rewrite the header) and what follows it. */
export interface ScanResult {
  readonly keepBytes: number;
  readonly damage: ScanDamage | undefined;
  readonly lastFlushSeq: number;
  /** Records kept. */
  readonly records: number;
}

const allZero = (buf: Buffer, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
};

/** True when the bytes at `off` look like the start of a record the write did not finish. */
function partialRecord(buf: Buffer, off: number, size: number): boolean {
  if (size - off < FRAME_BYTES) return true;
  const len = buf.readUInt32LE(off);
  return len >= MIN_PAYLOAD_BYTES && off + FRAME_BYTES + len > size;
}

/** Scans `buf[0, size)`, the file bytes from `ctx.base` to the end of one segment file. */
export function scanSegment(buf: Buffer, size: number, ctx: ScanContext): ScanResult {
  const { base } = ctx;
  let off = 0;
  if (base === 0) {
    const header = checkSegmentHeader(buf, size);
    if (header === 'unsupported-version') {
      return { keepBytes: 0, records: 0, lastFlushSeq: ctx.lastFlushSeq, damage: { kind: 'unsupported-version', offset: 0, why: `format version ${buf.readUInt32LE(8)}` } };
    }
    if (header === 'bad') {
      // A crash while creating a segment leaves a short header and nothing after it.
      const torn = size < SEGMENT_HEADER_BYTES || allZero(buf, 0, size);
      return { keepBytes: 0, records: 0, lastFlushSeq: ctx.lastFlushSeq, damage: { kind: torn ? 'torn-tail' : 'corruption', offset: 0, why: 'bad segment header' } };
    }
    off = SEGMENT_HEADER_BYTES;
  }
  let commitEnd = off;
  let position = ctx.firstPosition;
  let flushSeq = ctx.lastFlushSeq;
  let records = 0;
  const pending: { head: RecordHead; offset: number; length: number }[] = [];
  let bad: string | undefined;
  const cache = new StringCache();
  while (off < size) {
    const len = checkFrame(buf, off, size);
    if (len < 0) { bad = 'bad length, magic or CRC'; break; }
    const head = readHead(buf, off, cache);
    const prev = pending.length > 0 ? pending[pending.length - 1].head : undefined;
    const expectedVersion = prev ? prev.version + 1 : ctx.versionOf(head.stream) + 1;
    if (head.position !== position || head.version !== expectedVersion || (prev && prev.stream !== head.stream) || head.flushSeq < flushSeq) {
      const why = `expected position ${position} version ${expectedVersion}, found position ${head.position} version ${head.version}`;
      return { keepBytes: base + commitEnd, records, lastFlushSeq: flushSeq, damage: { kind: 'corruption', offset: base + off, why } };
    }
    const length = FRAME_BYTES + len;
    pending.push({ head, offset: off, length });
    flushSeq = head.flushSeq;
    off += length;
    position++;
    if (head.flags & FLAG_END_OF_APPEND) {
      for (const r of pending) ctx.onRecord(r.head.stream, r.head.version, r.head.position, base + r.offset, r.length);
      records += pending.length;
      pending.length = 0;
      commitEnd = off;
    }
  }
  if (bad === undefined) {
    if (commitEnd === size) return { keepBytes: base + size, records, lastFlushSeq: flushSeq, damage: undefined };
    return { keepBytes: base + commitEnd, records, lastFlushSeq: flushSeq, damage: { kind: 'torn-tail', offset: base + commitEnd, why: 'an append cut off at a record boundary' } };
  }
  let torn = partialRecord(buf, off, size) || allZero(buf, off, size);
  let why = torn ? 'a partial record at the end of the file' : `a complete-length record with a ${bad}`;
  if (torn) {
    for (let y = off + 1; y < size; y++) {
      if (checkFrame(buf, y, size) >= 0) { torn = false; why = `${bad}, with valid records after it (at byte ${base + y})`; break; }
    }
  }
  // Cut records keep their flush numbers reserved: the next flush is numbered above all of them.
  return { keepBytes: base + commitEnd, records, lastFlushSeq: flushSeq, damage: { kind: torn ? 'torn-tail' : 'corruption', offset: base + off, why } };
}
