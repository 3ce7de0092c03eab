// Segment files of the file journal: names, and the 16-byte header each one starts with.
//
//   <dir>/<first global position, 20 digits>.seg
//   header: "TRPJSEG\n" (8 bytes) | u32 format version (1) | u32 crc32 of the first 12 bytes
//   then framed records (record-format.ts) back to back, each append's records contiguous and
//   never split across segments.

import { crc32 } from './crc32.ts';

/** Bytes of a segment header. */
export const SEGMENT_HEADER_BYTES = 16;
/** The on-disk format version this code writes and reads. */
export const SEGMENT_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('TRPJSEG\n', 'latin1');
const NAME = /^(\d{20})\.seg$/;

/** The file name of the segment whose first record has global position `firstPosition`. */
export function segmentName(firstPosition: number): string {
  return `${String(firstPosition).padStart(20, '0')}.seg`;
}

/** The first global position encoded in a segment file name, or undefined if `name` is not one. */
export function parseSegmentName(name: string): number | undefined {
  const m = NAME.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A fresh segment header. */
export function segmentHeader(): Buffer {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  MAGIC.copy(b, 0);
  b.writeUInt32LE(SEGMENT_FORMAT_VERSION, 8);
  b.writeUInt32LE(crc32(b, 0, 12), 12);
  return b;
}

/** What the first bytes of a segment hold: a valid header, a header of another version, or junk. */
export type HeaderCheck = 'ok' | 'unsupported-version' | 'bad';

/** Checks the header at the start of `buf` (which holds `size` bytes of the file). */
export function checkSegmentHeader(buf: Buffer, size: number): HeaderCheck {
  if (size < SEGMENT_HEADER_BYTES || !buf.subarray(0, 8).equals(MAGIC) || crc32(buf, 0, 12) !== buf.readUInt32LE(12)) return 'bad';
  return buf.readUInt32LE(8) === SEGMENT_FORMAT_VERSION ? 'ok' : 'unsupported-version';
}
