// The on-disk record of the file journal: framing, binary header and payload, and the functions
// that write, verify and decode one record in a Buffer. Layout (all integers little-endian):
//
//   frame:   u32 payloadLength | u32 crc32(payload) | payload
//   payload: off size field
//              0  1  magic 0xE7
//              1  1  flags: 1 = last record of its append (commit point), 2 = last record of its
//                    flush (group-commit batch), 4 = data is superjson (else plain JSON),
//                    8 = a traceparent follows the causationId (u16 length, then its bytes)
//              2  2  stream name length in bytes (ASCII)
//              4  4  flush sequence number (increases by one per flush, across segments)
//              8  8  global position (float64; integers up to 2^53)
//             16  4  stream version
//             20  4  schemaVersion
//             24  8  timestampMs (float64)
//             32  2  type length (UTF-8 bytes)
//             34  2  id length
//             36  2  correlationId length, 0xFFFF = absent
//             38  2  causationId length, 0xFFFF = absent
//             40  …  stream | type | id | correlationId | causationId | [u16 n, traceparent] | data (UTF-8, to the end)

import { TroupeError } from '../../../runtime/errors.ts';
import { decodePayload } from '../../../runtime/payload-codec.ts';
import type { StoredEvent } from '../journal.ts';
import { crc32 } from './crc32.ts';
import { makeMeta, type PreparedEvent } from './prepare-events.ts';
import { utf8, type StringCache } from './string-cache.ts';

/** Bytes of the frame header (length + CRC). */
export const FRAME_BYTES = 8;
/** Bytes of the fixed part of a payload. */
export const FIXED_BYTES = 40;
/** Smallest possible payload: fixed part, 1-byte stream, type and id, 1-byte data. */
export const MIN_PAYLOAD_BYTES = FIXED_BYTES + 4;
/** First payload byte of every record. */
export const RECORD_MAGIC = 0xe7;
/** Flag: the last record of its append; recovery keeps records only up to such a commit point. */
export const FLAG_END_OF_APPEND = 1;
/** Flag: the last record of its flush; recovery uses it to tell a torn write from later damage. */
export const FLAG_END_OF_FLUSH = 2;
/** Flag: the data is superjson text (else plain JSON). */
export const FLAG_SUPERJSON = 4;
/** Flag: a traceparent (u16 length, then ASCII) sits between the causationId and the data. */
export const FLAG_TRACEPARENT = 8;
const ABSENT = 0xffff;

const u16 = (b: Buffer, o: number): number => b[o] | (b[o + 1] << 8);
const u32 = (b: Buffer, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;

/** An upper bound of the bytes {@link writeRecord} uses for `ev` on `stream` (frame included). */
export function recordBound(stream: string, ev: PreparedEvent): number {
  const m = ev.meta;
  return FRAME_BYTES + FIXED_BYTES + stream.length + 3 * (ev.type.length + m.id.length + ev.dataText.length +
    (m.correlationId?.length ?? 0) + (m.causationId?.length ?? 0) + (m.traceparent === undefined ? 0 : 1 + m.traceparent.length));
}

/** The exact bytes {@link writeRecord} uses for `ev` on `stream` (frame included). */
export function recordSize(stream: string, ev: PreparedEvent): number {
  const m = ev.meta;
  return FRAME_BYTES + FIXED_BYTES + stream.length + Buffer.byteLength(ev.type) + Buffer.byteLength(m.id) +
    Buffer.byteLength(ev.dataText) + (m.correlationId === undefined ? 0 : Buffer.byteLength(m.correlationId)) +
    (m.causationId === undefined ? 0 : Buffer.byteLength(m.causationId)) + (m.traceparent === undefined ? 0 : 2 + Buffer.byteLength(m.traceparent));
}

/**
 * Writes one framed record at `off` (the caller ensured {@link recordBound} bytes of room) and
 * returns the bytes written.
 */
export function writeRecord(buf: Buffer, off: number, stream: string, ev: PreparedEvent,
  position: number, version: number, flushSeq: number, flags: number): number {
  const p = off + FRAME_BYTES;
  const m = ev.meta;
  buf[p] = RECORD_MAGIC;
  buf[p + 1] = flags | (ev.encoding === 'superjson' ? FLAG_SUPERJSON : 0) | (m.traceparent === undefined ? 0 : FLAG_TRACEPARENT);
  buf.writeUInt16LE(stream.length, p + 2);
  buf.writeUInt32LE(flushSeq, p + 4);
  buf.writeDoubleLE(position, p + 8);
  buf.writeUInt32LE(version, p + 16);
  buf.writeUInt32LE(ev.schemaVersion, p + 20);
  buf.writeDoubleLE(m.timestampMs, p + 24);
  let q = p + FIXED_BYTES;
  q += buf.write(stream, q, 'latin1');
  let n = buf.write(ev.type, q, 'utf8'); buf.writeUInt16LE(n, p + 32); q += n;
  n = buf.write(m.id, q, 'utf8'); buf.writeUInt16LE(n, p + 34); q += n;
  if (m.correlationId === undefined) buf.writeUInt16LE(ABSENT, p + 36);
  else { n = buf.write(m.correlationId, q, 'utf8'); buf.writeUInt16LE(n, p + 36); q += n; }
  if (m.causationId === undefined) buf.writeUInt16LE(ABSENT, p + 38);
  else { n = buf.write(m.causationId, q, 'utf8'); buf.writeUInt16LE(n, p + 38); q += n; }
  if (m.traceparent !== undefined) { n = buf.write(m.traceparent, q + 2, 'utf8'); buf.writeUInt16LE(n, q); q += 2 + n; }
  q += buf.write(ev.dataText, q, 'utf8');
  const len = q - p;
  buf.writeUInt32LE(len, off);
  buf.writeUInt32LE(crc32(buf, p, q), off + 4);
  return q - off;
}

/** Sets `flag` on the record at `off` and updates its CRC. */
export function addRecordFlag(buf: Buffer, off: number, flag: number): void {
  const p = off + FRAME_BYTES;
  buf[p + 1] |= flag;
  buf.writeUInt32LE(crc32(buf, p, p + buf.readUInt32LE(off)), off + 4);
}

/**
 * The payload length of a well-framed record at `off` within `buf[…, end)`: enough bytes, a sane
 * length, the magic byte, and a matching CRC. Returns -1 when any check fails.
 */
export function checkFrame(buf: Buffer, off: number, end: number): number {
  if (end - off < FRAME_BYTES + MIN_PAYLOAD_BYTES) return -1;
  const len = u32(buf, off);
  const p = off + FRAME_BYTES;
  if (len < MIN_PAYLOAD_BYTES || len > end - p || buf[p] !== RECORD_MAGIC) return -1;
  return crc32(buf, p, p + len) === u32(buf, off + 4) ? len : -1;
}

/** Header fields of a checked record that recovery needs (see {@link checkFrame}). */
export interface RecordHead {
  readonly flags: number;
  readonly flushSeq: number;
  readonly position: number;
  readonly version: number;
  readonly stream: string;
}

/** Reads the header of the checked record at `off` (stream names interned through `cache`). */
export function readHead(buf: Buffer, off: number, cache: StringCache): RecordHead {
  const p = off + FRAME_BYTES;
  return {
    flags: buf[p + 1], flushSeq: u32(buf, p + 4), position: buf.readDoubleLE(p + 8),
    version: u32(buf, p + 16), stream: cache.get(buf, p + FIXED_BYTES, p + FIXED_BYTES + u16(buf, p + 2)),
  };
}

/**
 * Verifies and decodes the record at `off`, which must hold global `position` (else, or on a bad
 * frame, `corrupt-record` naming `where`). `stream`, when given, is reused instead of decoded;
 * `cache` interns the type and stream names.
 */
export function decodeRecord(buf: Buffer, off: number, end: number, position: number, where: string, cache: StringCache, stream?: string): StoredEvent {
  const len = checkFrame(buf, off, end);
  const p = off + FRAME_BYTES;
  if (len < 0 || buf.readDoubleLE(p + 8) !== position) {
    throw new TroupeError('corrupt-record',
      `The record of position ${position} in ${where} is corrupt (bad length, CRC or position): the file was damaged ` +
      `after it was written. Restore the journal directory from a backup or replica.`, { position, where });
  }
  const flags = buf[p + 1];
  const streamLen = u16(buf, p + 2);
  let q = p + FIXED_BYTES;
  const name = stream ?? cache.get(buf, q, q + streamLen);
  q += streamLen;
  let n = u16(buf, p + 32);
  const type = cache.get(buf, q, q + n); q += n;
  n = u16(buf, p + 34);
  const id = utf8(buf, q, q + n); q += n;
  let correlationId: string | undefined, causationId: string | undefined;
  n = u16(buf, p + 36);
  if (n !== ABSENT) { correlationId = utf8(buf, q, q + n); q += n; }
  n = u16(buf, p + 38);
  if (n !== ABSENT) { causationId = utf8(buf, q, q + n); q += n; }
  let traceparent: string | undefined;
  if ((flags & FLAG_TRACEPARENT) !== 0) { n = u16(buf, q); traceparent = utf8(buf, q + 2, q + 2 + n); q += 2 + n; }
  const text = utf8(buf, q, p + len);
  return {
    stream: name, version: u32(buf, p + 16), position, type, schemaVersion: u32(buf, p + 20),
    data: flags & FLAG_SUPERJSON ? decodePayload('superjson', text) : JSON.parse(text),
    meta: makeMeta(id, buf.readDoubleLE(p + 24), correlationId, causationId, traceparent),
  };
}
