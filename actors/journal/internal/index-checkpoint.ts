// Index checkpoints: beside each segment, `<segment>.idx` holds the index of its first
// `coveredBytes` bytes (offset, length and stream of each record), written when the segment is
// sealed and, for the active segment, every 8 MiB it grows and at close. Open reads only a
// checkpoint's header and summary (each stream's event count in the segment), so its cost does not
// grow with the log; the rest (8 bytes per event) is read when a read first touches the segment.
// Records lie back to back from the segment header on, so a record's length is the distance to the
// next one's offset (the last one's: to `coveredBytes`) and is not stored.
//
//   header (80 bytes): "TRPJIDX\n" | u32 format 2 | u32 records | f64 first position |
//     f64 coveredBytes | u32 last flush seq | u32 streams | u32 name bytes | u32 last record length |
//     u32 last record's stream id | u32 crc of S | u32 crc of offsets | u32 0 |
//     u32 crc of positions | u32 crc of stream ids | u32 0 | u32 crc32 of the first 76 bytes
//   S: u32 counts[streams] | names, '\n'-joined                (read at open: the summary)
//   A: u32 offsets[records]                                    (read on first access)
//   B: u32 positions[records], grouped by stream id             (read on first access)
//   C: u32 stream ids[records]                                  (read only for the active segment)
//
// A checkpoint is only an accelerator: one that is missing, damaged, or does not match its segment
// (size, last record) is ignored and the segment is scanned — at open, or on first access when only
// its body is damaged. Written without fsync for that reason.

import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { crc32 } from './crc32.ts';
import { checkFrame, FRAME_BYTES, MIN_PAYLOAD_BYTES, readHead } from './record-format.ts';
import { SEGMENT_HEADER_BYTES } from './segment-format.ts';
import { StringCache } from './string-cache.ts';

const MAGIC = Buffer.from('TRPJIDX\n', 'latin1');
const HEADER = 80;
const VERSION = 2;

/** The checkpoint file of segment file `segmentFile`. */
export const checkpointFile = (segmentFile: string): string => segmentFile.replace(/\.seg$/, '.idx');

/** A checkpoint's header and summary, verified against its segment; the body is read by {@link loadBody}. */
export interface CheckpointSummary {
  readonly file: string;
  readonly records: number;
  readonly firstPosition: number;
  readonly coveredBytes: number;
  readonly lastFlushSeq: number;
  /** Events of each stream in the segment, streams in id order. */
  readonly counts: Uint32Array;
  readonly names: readonly string[];
  /** Framed length of the last record. */
  readonly lastLength: number;
  /** File offset of section A; CRCs of the body sections, as the header recorded them. */
  readonly bodyAt: number;
  readonly crcs: { readonly off: number; readonly pos: number; readonly sid: number };
}

/** A checkpoint's body: offsets and lengths by record, positions grouped by stream, stream ids when asked for. */
export interface CheckpointBody {
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  /** Each stream's positions: `byStream[start_k, start_k + counts[k])`, streams in id order. */
  readonly byStream: Uint32Array;
  readonly sid: Uint32Array | undefined;
}

/** What to write: the index of the segment's first `coveredBytes` bytes. */
export interface CheckpointData {
  readonly firstPosition: number;
  readonly coveredBytes: number;
  readonly lastFlushSeq: number;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  /** Local stream id of each record (an index in `names`). */
  readonly sid: Uint32Array;
  readonly names: readonly string[];
}

const bytesOf = (a: Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Writes the checkpoint of `segmentFile` (replacing any). */
export async function writeCheckpoint(segmentFile: string, d: CheckpointData): Promise<void> {
  const n = d.len.length;
  const k = d.names.length;
  const counts = new Uint32Array(k);
  for (let i = 0; i < n; i++) counts[d.sid[i]]++;
  const start = new Uint32Array(k);
  for (let j = 1; j < k; j++) start[j] = start[j - 1] + counts[j - 1];
  const byStream = new Uint32Array(n);
  for (let i = 0; i < n; i++) byStream[start[d.sid[i]]++] = d.firstPosition + i;
  const names = Buffer.from(d.names.join('\n'), 'latin1');
  const s = Buffer.concat([bytesOf(counts), names]);
  const h = Buffer.alloc(HEADER);
  MAGIC.copy(h, 0);
  h.writeUInt32LE(VERSION, 8);
  h.writeUInt32LE(n, 12);
  h.writeDoubleLE(d.firstPosition, 16);
  h.writeDoubleLE(d.coveredBytes, 24);
  h.writeUInt32LE(d.lastFlushSeq >>> 0, 32);
  h.writeUInt32LE(k, 36);
  h.writeUInt32LE(names.length, 40);
  h.writeUInt32LE(n > 0 ? d.len[n - 1] : 0, 44);
  h.writeUInt32LE(n > 0 ? d.sid[n - 1] : 0, 48);
  h.writeUInt32LE(crc32(s, 0, s.length), 52);
  h.writeUInt32LE(crc32(bytesOf(d.off)), 56);
  h.writeUInt32LE(crc32(bytesOf(byStream)), 64);
  h.writeUInt32LE(crc32(bytesOf(d.sid)), 68);
  h.writeUInt32LE(crc32(h, 0, 76), 76);
  const file = checkpointFile(segmentFile);
  await writeFile(`${file}.tmp`, Buffer.concat([h, s, bytesOf(d.off), bytesOf(byStream), bytesOf(d.sid)]));
  await rename(`${file}.tmp`, file); // a reader sees the old checkpoint or the new one, never half of one
}

/** Removes the checkpoint of `segmentFile`, if any. */
export async function removeCheckpoint(segmentFile: string): Promise<void> {
  await unlink(checkpointFile(segmentFile)).catch(() => undefined);
}

/** Reads exactly `dst.byteLength` bytes at `position` into `dst`; false if the file ends first. */
async function readInto(fh: FileHandle, dst: Uint8Array, position: number): Promise<boolean> {
  for (let done = 0; done < dst.length;) {
    const { bytesRead } = await fh.read(dst, done, dst.length - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

const u8 = (a: Uint32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Loads the header and summary of `segmentFile`'s checkpoint (whose first record is
 * `firstPosition` and which is `segmentSize` bytes long): `undefined` when there is none, a string
 * saying why when it cannot be used. The last record it names is read back from the segment and
 * checked. Reads O(streams in the segment) bytes, not O(records).
 */
export async function loadSummary(segmentFile: string, firstPosition: number, segmentSize: number,
  readSegment: (offset: number, length: number) => Promise<Buffer>): Promise<CheckpointSummary | string | undefined> {
  const file = checkpointFile(segmentFile);
  let fh: FileHandle;
  try { fh = await open(file, 'r'); } catch { return undefined; }
  try {
    const size = (await fh.stat()).size;
    const h = Buffer.alloc(HEADER);
    if (size < HEADER || !(await readInto(fh, h, 0))) return 'shorter than its header';
    if (!h.subarray(0, 8).equals(MAGIC)) return 'bad header';
    if (h.readUInt32LE(8) !== VERSION) return `format version ${h.readUInt32LE(8)}`;
    if (crc32(h, 0, 76) !== h.readUInt32LE(76)) return 'bad header';
    const n = h.readUInt32LE(12);
    const coveredBytes = h.readDoubleLE(24);
    const streams = h.readUInt32LE(36);
    const nameBytes = h.readUInt32LE(40);
    const lastLength = h.readUInt32LE(44);
    const lastSid = h.readUInt32LE(48);
    if (h.readDoubleLE(16) !== firstPosition) return 'it names another first position';
    if (size !== HEADER + 4 * streams + nameBytes + 12 * n) return 'wrong size';
    if (coveredBytes > segmentSize) return `it covers ${coveredBytes} bytes but the segment has ${segmentSize}`;
    if (n === 0) return 'it is empty';
    const s = Buffer.from(new ArrayBuffer(4 * streams + nameBytes)); // own, aligned memory
    if (!(await readInto(fh, s, HEADER))) return 'shorter than its header says';
    if (crc32(s, 0, s.length) !== h.readUInt32LE(52)) return 'bad CRC (summary)';
    const counts = new Uint32Array(s.buffer, 0, streams);
    const names = s.toString('latin1', 4 * streams).split('\n');
    let total = 0;
    for (let j = 0; j < streams; j++) total += counts[j];
    if (names.length !== streams || total !== n || lastSid >= streams || lastLength > coveredBytes - SEGMENT_HEADER_BYTES) return 'inconsistent';
    const last = await readSegment(coveredBytes - lastLength, lastLength);
    const head = checkFrame(last, 0, last.length) < 0 ? undefined : readHead(last, 0, new StringCache());
    if (!head || head.position !== firstPosition + n - 1 || head.stream !== names[lastSid]) return 'its last record does not match the segment';
    return {
      file, records: n, firstPosition, coveredBytes, lastFlushSeq: h.readUInt32LE(32), counts, names, lastLength,
      bodyAt: HEADER + s.length,
      crcs: { off: h.readUInt32LE(56), pos: h.readUInt32LE(64), sid: h.readUInt32LE(68) },
    };
  } finally {
    await fh.close();
  }
}

/** Each record's framed length: the distance to the next one's offset; undefined if one is too short. */
function lengthsOf(off: Uint32Array, lastLength: number): Uint32Array | undefined {
  const n = off.length;
  const len = new Uint32Array(n);
  const min = FRAME_BYTES + MIN_PAYLOAD_BYTES;
  let bad = 0;
  for (let i = 0; i < n - 1; i++) {
    const l = off[i + 1] - off[i];
    bad |= l < min ? 1 : 0;
    len[i] = l;
  }
  len[n - 1] = lastLength;
  return bad === 0 ? len : undefined;
}

/**
 * Loads the body of the checkpoint `s` describes (stream ids only when `withStreamIds`), checked
 * against the CRCs its header had when `s` was loaded: a string saying why when it cannot be used.
 */
export async function loadBody(s: CheckpointSummary, withStreamIds: boolean): Promise<CheckpointBody | string> {
  let fh: FileHandle;
  try { fh = await open(s.file, 'r'); } catch { return 'it is gone'; }
  try {
    const n = s.records;
    const short = 'shorter than its header says';
    // One read of offsets and positions, into memory the two views share.
    const body = new Uint32Array(2 * n);
    if (!(await readInto(fh, u8(body), s.bodyAt))) return short;
    const off = body.subarray(0, n), byStream = body.subarray(n);
    if (crc32(u8(off)) !== s.crcs.off) return 'bad CRC (offsets)';
    if (crc32(u8(byStream)) !== s.crcs.pos) return 'bad CRC (positions)';
    let sid: Uint32Array | undefined;
    if (withStreamIds) {
      sid = new Uint32Array(n);
      if (!(await readInto(fh, u8(sid), s.bodyAt + 8 * n))) return short;
      if (crc32(u8(sid)) !== s.crcs.sid) return 'bad CRC (stream ids)';
    }
    if (off[0] !== SEGMENT_HEADER_BYTES || off[n - 1] + s.lastLength !== s.coveredBytes) return 'inconsistent';
    const len = lengthsOf(off, s.lastLength);
    if (!len) return 'inconsistent';
    return { off, len, byStream, sid };
  } finally {
    await fh.close();
  }
}
