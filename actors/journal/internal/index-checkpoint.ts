// Index checkpoints: beside each segment, `<segment>.idx` holds the index of its first
// `coveredBytes` bytes (offset, length and stream of each record), written when the segment is
// sealed and, for the active segment, every 8 MiB it grows and at close. Open loads them instead of scanning — 16 bytes per
// event copied into the index with no per-event JavaScript — and scans only the bytes after them.
//
//   header (56 bytes): "TRPJIDX\n" | u32 format 1 | u32 records | f64 first position |
//     f64 coveredBytes | u32 last flush seq | u32 streams | u32 name bytes | u32 crc32 of the body |
//     u32 0 | u32 crc32 of the first 52 bytes
//   body: u32 offsets[records] | u32 lengths[records] | u32 stream ids[records] |
//         u32 positions[records], grouped by stream id | u32 counts[streams] | names, '\n'-joined
//
// A checkpoint is only an accelerator: one that is missing, damaged, or does not match its segment
// (size, last record) is ignored and the segment is scanned. Written without fsync for that reason.

import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { crc32 } from './crc32.ts';
import { checkFrame, readHead } from './record-format.ts';
import { SEGMENT_HEADER_BYTES } from './segment-format.ts';
import { StringCache } from './string-cache.ts';

const MAGIC = Buffer.from('TRPJIDX\n', 'latin1');
const HEADER = 56;
const VERSION = 1;

/** The checkpoint file of segment file `segmentFile`. */
export const checkpointFile = (segmentFile: string): string => segmentFile.replace(/\.seg$/, '.idx');

/** A loaded checkpoint, verified against its segment. */
export interface Checkpoint {
  readonly records: number;
  readonly coveredBytes: number;
  readonly lastFlushSeq: number;
  readonly off: Uint32Array;
  readonly len: Uint32Array;
  readonly sid: Uint32Array;
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
  const body = Buffer.concat([bytesOf(d.off), bytesOf(d.len), bytesOf(d.sid), bytesOf(byStream), bytesOf(counts), names]);
  const h = Buffer.alloc(HEADER);
  MAGIC.copy(h, 0);
  h.writeUInt32LE(VERSION, 8);
  h.writeUInt32LE(n, 12);
  h.writeDoubleLE(d.firstPosition, 16);
  h.writeDoubleLE(d.coveredBytes, 24);
  h.writeUInt32LE(d.lastFlushSeq >>> 0, 32);
  h.writeUInt32LE(d.names.length, 36);
  h.writeUInt32LE(names.length, 40);
  h.writeUInt32LE(crc32(body, 0, body.length), 44);
  h.writeUInt32LE(crc32(h, 0, 52), 52);
  const file = checkpointFile(segmentFile);
  await writeFile(`${file}.tmp`, Buffer.concat([h, body]));
  await rename(`${file}.tmp`, file); // a reader sees the old checkpoint or the new one, never half of one
}

/** Removes the checkpoint of `segmentFile`, if any. */
export async function removeCheckpoint(segmentFile: string): Promise<void> {
  await unlink(checkpointFile(segmentFile)).catch(() => undefined);
}

/**
 * Loads the checkpoint of `segmentFile` (whose first record is `firstPosition` and which is
 * `segmentSize` bytes long): `undefined` when there is none, a string saying why when it cannot be
 * used. The last record it names is read back from the segment and checked.
 */
export async function loadCheckpoint(segmentFile: string, firstPosition: number, segmentSize: number,
  readSegment: (offset: number, length: number) => Promise<Buffer>): Promise<Checkpoint | string | undefined> {
  let fh;
  try { fh = await open(checkpointFile(segmentFile), 'r'); } catch { return undefined; }
  let buf: Buffer;
  try {
    const size = (await fh.stat()).size;
    if (size < HEADER) return 'shorter than its header';
    buf = Buffer.from(new ArrayBuffer(size)); // own, aligned memory: the body is viewed as Uint32Array
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(buf, done, size - done, done);
      if (bytesRead === 0) return 'shorter than its header says';
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
  if (!buf.subarray(0, 8).equals(MAGIC) || crc32(buf, 0, 52) !== buf.readUInt32LE(52)) return 'bad header';
  if (buf.readUInt32LE(8) !== VERSION) return `format version ${buf.readUInt32LE(8)}`;
  const n = buf.readUInt32LE(12);
  const coveredBytes = buf.readDoubleLE(24);
  const streams = buf.readUInt32LE(36);
  const nameBytes = buf.readUInt32LE(40);
  if (buf.readDoubleLE(16) !== firstPosition) return 'it names another first position';
  if (buf.length !== HEADER + 16 * n + 4 * streams + nameBytes) return 'wrong size';
  if (crc32(buf, HEADER, buf.length) !== buf.readUInt32LE(44)) return 'bad body CRC';
  if (coveredBytes > segmentSize) return `it covers ${coveredBytes} bytes but the segment has ${segmentSize}`;
  if (n === 0) return 'it is empty';
  const ab = buf.buffer as ArrayBuffer;
  const off = new Uint32Array(ab, HEADER, n);
  const len = new Uint32Array(ab, HEADER + 4 * n, n);
  const sid = new Uint32Array(ab, HEADER + 8 * n, n);
  const byStream = new Uint32Array(ab, HEADER + 12 * n, n);
  const counts = new Uint32Array(ab, HEADER + 16 * n, streams);
  const names = buf.toString('latin1', HEADER + 16 * n + 4 * streams).split('\n');
  let total = 0;
  for (let j = 0; j < streams; j++) total += counts[j];
  if (names.length !== streams || total !== n || off[0] !== SEGMENT_HEADER_BYTES || off[n - 1] + len[n - 1] !== coveredBytes || sid[n - 1] >= streams) return 'inconsistent';
  const last = await readSegment(off[n - 1], len[n - 1]);
  const head = checkFrame(last, 0, last.length) < 0 ? undefined : readHead(last, 0, new StringCache());
  if (!head || head.position !== firstPosition + n - 1 || head.stream !== names[sid[n - 1]]) {
    return 'its last record does not match the segment';
  }
  return { records: n, coveredBytes, lastFlushSeq: buf.readUInt32LE(32), off, len, sid, byStream, counts, names };
}
