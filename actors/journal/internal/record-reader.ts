// Batched reads for the file journal: records that lie close together in one segment are read
// with one positional read (up to READ_WINDOW_BYTES) and decoded from that buffer.

import type { StoredEvent } from '../journal.ts';
import type { JournalIndex } from './journal-index.ts';
import { decodeRecord } from './record-format.ts';
import { StringCache } from './string-cache.ts';
import type { SegmentSet } from './segment-set.ts';

/** Largest single read, in bytes (a bigger record is read alone). */
export const READ_WINDOW_BYTES = 1 << 20;
/** Largest gap of unwanted bytes a read may span to reach the next wanted record. */
const MAX_GAP_BYTES = 64 * 1024;

/** The positions to read, ascending: `at(i)` for `i` in `[0, length)`. */
export interface PositionList { readonly length: number; at(i: number): number }

/**
 * Reads and decodes the records at `list`'s positions, verifying each one's CRC and position
 * (`corrupt-record` otherwise). `stream`, when all records belong to it, skips decoding its name.
 */
export async function readRecords(index: JournalIndex, segments: SegmentSet, list: PositionList, stream?: string): Promise<StoredEvent[]> {
  const n = list.length;
  const out: StoredEvent[] = new Array(n);
  let scratch: Buffer | undefined;
  const cache = new StringCache();
  let i = 0;
  while (i < n) {
    const p = list.at(i);
    const seg = index.segmentOf(p);
    const start = index.offsetOf(p);
    let end = start + index.lengthOf(p);
    let j = i + 1;
    for (; j < n; j++) {
      const q = list.at(j);
      const qs = index.offsetOf(q);
      const qe = qs + index.lengthOf(q);
      if (index.segmentOf(q) !== seg || qs - end > MAX_GAP_BYTES || qe - start > READ_WINDOW_BYTES) break;
      end = qe;
    }
    const size = end - start;
    if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, Math.min(READ_WINDOW_BYTES, size * 2)));
    await segments.read(seg, start, size, scratch);
    const where = segments.fileOf(seg);
    for (let k = i; k < j; k++) {
      const q = list.at(k);
      out[k] = decodeRecord(scratch, index.offsetOf(q) - start, size, q, where, cache, stream);
    }
    i = j;
  }
  return out;
}
