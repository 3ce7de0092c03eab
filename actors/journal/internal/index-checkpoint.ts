// Index checkpoints: beside each segment, `<segment>.idx` holds the index of its first
// `coveredBytes` bytes (offset, length and stream of each record), written when the segment is
// sealed and, for the active segment, every 8 MiB it grows and at close. Open loads them instead of scanning — 16 bytes per
// event copied into the index with no per-event JavaScript — and scans only the bytes after them.
//
//   header (64 bytes): "TRPJIDX\n" | u32 format 1 | u32 records | f64 first position |
//     f64 coveredBytes | u32 last flush seq | u32 streams | u32 name bytes | u32 crc of offsets |
//     u32 crc of lengths | u32 crc of B | u32 crc of C | u32 crc32 of the first 60 bytes
//   A: u32 offsets[records] | u32 lengths[records]           (read straight into the index)
//   B: u32 positions[records], grouped by stream id | u32 counts[streams] | names, '\n'-joined
//   C: u32 stream ids[records]                               (read only for the active segment)
//
// A checkpoint is only an accelerator: one that is missing, damaged, or does not match its segment
// (size, last record) is ignored and the segment is scanned. Written without fsync for that reason.

import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { crc32 } from './crc32.ts';
import { checkFrame, readHead } from './record-format.ts';
import { SEGMENT_HEADER_BYTES } from './segment-format.ts';
import { StringCache } from './string-cache.ts';

const MAGIC = Buffer.from('TRPJIDX\n', 'latin1');
const HEADER = 64;
const VERSION = 1;

/** The checkpoint file of segment file `segmentFile`. */
export const checkpointFile = (segmentFile: string): string => segmentFile.replace(/\.seg$/, '.idx');

/** A loaded checkpoint, verified against its segment. */
export interface Checkpoint {
  readonly records: number;
  readonly coveredBytes: number;
  readonly lastFlushSeq: number;
  /** Views of where the offsets and lengths were read to (see {@link loadCheckpoint}'s `into`). */
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  /** Each record's stream id, when asked for. */
  readonly sid: Uint32Array | undefined;
  /** Each stream's positions: `byStream[start_k, start_k + counts[k])`, streams in id order. */
  readonly byStream: Uint32Array;
  readonly counts: Uint32Array;
  readonly names: readonly string[];
}

/** What to write: the index of the segment's first `coveredBytes` bytes. */
export interface CheckpointData {
  readonly firstPosition: number;
  readonly coveredBytes: number;
  readonly lastFlushSeq: number;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
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
  const a = Buffer.concat([bytesOf(d.off), bytesOf(d.len)]);
  const b = Buffer.concat([bytesOf(byStream), bytesOf(counts), names]);
  const c = bytesOf(d.sid);
  const h = Buffer.alloc(HEADER);
  MAGIC.copy(h, 0);
  h.writeUInt32LE(VERSION, 8);
  h.writeUInt32LE(n, 12);
  h.writeDoubleLE(d.firstPosition, 16);
  h.writeDoubleLE(d.coveredBytes, 24);
  h.writeUInt32LE(d.lastFlushSeq >>> 0, 32);
  h.writeUInt32LE(d.names.length, 36);
  h.writeUInt32LE(names.length, 40);
  h.writeUInt32LE(crc32(a, 0, 4 * n), 44);
  h.writeUInt32LE(crc32(a, 4 * n, 8 * n), 48);
  h.writeUInt32LE(crc32(b, 0, b.length), 52);
  h.writeUInt32LE(crc32(c, 0, c.length), 56);
  h.writeUInt32LE(crc32(h, 0, 60), 60);
  const file = checkpointFile(segmentFile);
  await writeFile(`${file}.tmp`, Buffer.concat([h, a, b, c]));
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
 * Loads the checkpoint of `segmentFile` (whose first record is `firstPosition` and which is
 * `segmentSize` bytes long): `undefined` when there is none, a string saying why when it cannot be
 * used. Offsets and lengths are read straight into the views `into(records)` returns (so a
 * rejected checkpoint may leave bytes there); stream ids only when `withStreamIds`. The last
 * record it names is read back from the segment and checked.
 */
export async function loadCheckpoint(segmentFile: string, firstPosition: number, segmentSize: number,
  readSegment: (offset: number, length: number) => Promise<Buffer>,
  into: (records: number) => { off: Uint32Array; len: Uint32Array }, withStreamIds: boolean): Promise<Checkpoint | string | undefined> {
  let fh: FileHandle;
  try { fh = await open(checkpointFile(segmentFile), 'r'); } catch { return undefined; }
  try {
    const size = (await fh.stat()).size;
    const h = Buffer.alloc(HEADER);
    if (size < HEADER || !(await readInto(fh, h, 0))) return 'shorter than its header';
    if (!h.subarray(0, 8).equals(MAGIC) || crc32(h, 0, 60) !== h.readUInt32LE(60)) return 'bad header';
    if (h.readUInt32LE(8) !== VERSION) return `format version ${h.readUInt32LE(8)}`;
    const n = h.readUInt32LE(12);
    const coveredBytes = h.readDoubleLE(24);
    const streams = h.readUInt32LE(36);
    const nameBytes = h.readUInt32LE(40);
    if (h.readDoubleLE(16) !== firstPosition) return 'it names another first position';
    if (size !== HEADER + 16 * n + 4 * streams + nameBytes) return 'wrong size';
    if (coveredBytes > segmentSize) return `it covers ${coveredBytes} bytes but the segment has ${segmentSize}`;
    if (n === 0) return 'it is empty';
    const { off, len } = into(n);
    if (!(await readInto(fh, u8(off), HEADER)) || !(await readInto(fh, u8(len), HEADER + 4 * n))) return 'shorter than its header says';
    if (crc32(u8(off)) !== h.readUInt32LE(44) || crc32(u8(len)) !== h.readUInt32LE(48)) return 'bad CRC (offsets)';
    const b = Buffer.from(new ArrayBuffer(4 * n + 4 * streams + nameBytes)); // own, aligned memory
    if (!(await readInto(fh, b, HEADER + 8 * n))) return 'shorter than its header says';
    if (crc32(b, 0, b.length) !== h.readUInt32LE(52)) return 'bad CRC (streams)';
    let sid: Uint32Array | undefined;
    if (withStreamIds) {
      sid = new Uint32Array(n);
      if (!(await readInto(fh, u8(sid), HEADER + 12 * n + 4 * streams + nameBytes))) return 'shorter than its header says';
      if (crc32(u8(sid)) !== h.readUInt32LE(56)) return 'bad CRC (stream ids)';
    }
    const byStream = new Uint32Array(b.buffer, 0, n);
    const counts = new Uint32Array(b.buffer, 4 * n, streams);
    const names = b.toString('latin1', 4 * n + 4 * streams).split('\n');
    let total = 0;
    for (let j = 0; j < streams; j++) total += counts[j];
    if (names.length !== streams || total !== n || off[0] !== SEGMENT_HEADER_BYTES || off[n - 1] + len[n - 1] !== coveredBytes) return 'inconsistent';
    const last = await readSegment(off[n - 1], len[n - 1]);
    const head = checkFrame(last, 0, last.length) < 0 ? undefined : readHead(last, 0, new StringCache());
    let lastStream: string | undefined;
    for (let k = 0, at = 0; k < streams; k++) { at += counts[k]; if (counts[k] > 0 && byStream[at - 1] === firstPosition + n - 1) lastStream = names[k]; }
    if (!head || head.position !== firstPosition + n - 1 || head.stream !== lastStream) return 'its last record does not match the segment';
    return { records: n, coveredBytes, lastFlushSeq: h.readUInt32LE(32), off, len, sid, byStream, counts, names };
  } finally {
    await fh.close();
  }
}
