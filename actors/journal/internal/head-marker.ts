// The HEAD marker: a tiny file recording how far the log is known to be durable (last position, last
// segment and its length), so open can tell a deleted or shortened tail from a clean log.
//
//   <dir>/HEAD: two 48-byte slots, written alternately (slot = flushSeq & 1), each
//   "TRPJHEAD" | u32 format 1 | u32 flushSeq | f64 lastPosition | f64 segment first position |
//   f64 segment bytes | u32 0 | u32 crc32 of the first 44 bytes
//
// Cost: one 48-byte pwrite after each fsynced flush, without an fsync of its own (so it never claims
// more than is durable); HEAD is fsynced at open, at each segment roll and at close. After a
// process crash it is exact (the page cache survives); after a power loss it may lag, which can
// only hide a loss newer than the last synced marker, never report a false one.

import { writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from './crc32.ts';

const MAGIC = Buffer.from('TRPJHEAD', 'latin1');
const SLOT = 48;
const VERSION = 1;

/** What a HEAD slot records. */
export interface HeadState {
  readonly flushSeq: number;
  readonly lastPosition: number;
  /** First position of the last segment (its file name). */
  readonly segment: number;
  /** Bytes of the last segment that were durable. */
  readonly segmentBytes: number;
}

function decode(buf: Buffer, at: number): HeadState | undefined {
  if (buf.length < at + SLOT || !buf.subarray(at, at + 8).equals(MAGIC) || buf.readUInt32LE(at + 8) !== VERSION) return undefined;
  if (crc32(buf, at, at + 44) !== buf.readUInt32LE(at + 44)) return undefined;
  return {
    flushSeq: buf.readUInt32LE(at + 12), lastPosition: buf.readDoubleLE(at + 16),
    segment: buf.readDoubleLE(at + 24), segmentBytes: buf.readDoubleLE(at + 32),
  };
}

/** The open HEAD file of one journal directory. */
export class HeadMarker {
  private readonly buf = Buffer.alloc(SLOT);

  private constructor(private readonly fh: FileHandle, private readonly fsync: boolean) {}

  /** Opens (creating if missing) `dir/HEAD`; `recorded` is its newest valid slot, if any. */
  static async open(dir: string, fsync: boolean): Promise<{ head: HeadMarker; recorded: HeadState | undefined }> {
    const fh = await open(join(dir, 'HEAD'), 'a+').then(async (a) => { await a.close(); return open(join(dir, 'HEAD'), 'r+'); });
    try {
      const b = Buffer.alloc(2 * SLOT);
      const { bytesRead } = await fh.read(b, 0, b.length, 0);
      const slots = [decode(b.subarray(0, bytesRead), 0), decode(b.subarray(0, bytesRead), SLOT)].filter((s): s is HeadState => s !== undefined);
      slots.sort((x, y) => y.lastPosition - x.lastPosition || y.flushSeq - x.flushSeq);
      return { head: new HeadMarker(fh, fsync), recorded: slots[0] };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Records `s` in its slot (page cache only; see the file header). */
  record(s: HeadState, slot = s.flushSeq & 1): void {
    const b = this.buf;
    MAGIC.copy(b, 0);
    b.writeUInt32LE(VERSION, 8);
    b.writeUInt32LE(s.flushSeq >>> 0, 12);
    b.writeDoubleLE(s.lastPosition, 16);
    b.writeDoubleLE(s.segment, 24);
    b.writeDoubleLE(s.segmentBytes, 32);
    b.writeUInt32LE(0, 40);
    b.writeUInt32LE(crc32(b, 0, 44), 44);
    writeSync(this.fh.fd, b, 0, SLOT, slot * SLOT);
  }

  /** Records `s` in both slots and fsyncs (per policy): used at open, roll and close. */
  async recordDurably(s: HeadState): Promise<void> {
    this.record(s, 0);
    this.record(s, 1);
    if (this.fsync) await this.fh.datasync();
  }

  async close(): Promise<void> { await this.fh.close(); }
}
