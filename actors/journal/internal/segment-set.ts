// The file journal's segment files once recovered (internal/recover.ts): positional writes to the
// active one (rolled at a size limit, HEAD marker updated per flush), positional reads from any.

import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '../../../runtime/errors.ts';
import type { FlushSink } from './group-commit.ts';
import type { HeadMarker } from './head-marker.ts';
import { SEGMENT_HEADER_BYTES, segmentHeader, segmentName } from './segment-format.ts';

/** Writes `buf` fully at `position` of `fh`. */
export async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}

/** fsyncs a directory, so file creations and renames in it are durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

/** A segment file: its first position, its open handle, its durable size and last flush number. */
export interface Segment {
  readonly file: string; readonly firstPosition: number; fh: FileHandle; size: number; lastFlushSeq: number;
  /** Size when its index was last checkpointed by the writer. */
  checkpointedBytes?: number;
}

/** Called with a segment, the last position in it whose index should be checkpointed, and that record's flush number. */
export type OnCheckpoint = (seg: Segment, lastPosition: number, lastFlushSeq: number) => void;

/** The active segment's index is checkpointed each time it grows by this much (bounds the scan after a crash). */
export const ACTIVE_CHECKPOINT_BYTES = 8 * 1024 * 1024;

/** The segment files of one journal directory. Segment numbers are indexes in position order. */
export class SegmentSet implements FlushSink {
  /** Called when a roll seals a segment, and as the active one grows; set by the journal. */
  onCheckpoint: OnCheckpoint = () => undefined;

  /** Adopts the segments recovery opened (the last one writable); `head` is updated per flush. */
  constructor(private readonly dir: string, private readonly segmentBytes: number, private readonly fsync: boolean,
    private readonly segments: Segment[], private readonly head: HeadMarker) {}

  /** The last segment. */
  get last(): Segment { return this.segments[this.segments.length - 1]; }

  /** Number of segment files. */
  get count(): number { return this.segments.length; }

  /** Appends `bytes` to the active segment (rolling first if it would pass `segmentBytes`), then fsyncs per policy. */
  async write(bytes: Buffer, firstPosition: number, lastPosition: number, flushSeq: number): Promise<{ segment: number; offset: number }> {
    let seg = this.last;
    if (seg.size > SEGMENT_HEADER_BYTES && seg.size + bytes.length > this.segmentBytes) {
      const sealed = seg;
      seg = await this.create(firstPosition);
      await this.head.recordDurably({ flushSeq: sealed.lastFlushSeq, lastPosition: firstPosition - 1, segment: firstPosition, segmentBytes: seg.size });
      this.onCheckpoint(sealed, firstPosition - 1, sealed.lastFlushSeq);
    } else if (seg.size - (seg.checkpointedBytes ?? 0) >= ACTIVE_CHECKPOINT_BYTES) {
      seg.checkpointedBytes = seg.size;
      this.onCheckpoint(seg, firstPosition - 1, seg.lastFlushSeq); // the records before this flush, all in the index
    }
    const offset = seg.size;
    await writeAll(seg.fh, bytes, offset);
    if (this.fsync) await seg.fh.datasync();
    seg.size = offset + bytes.length;
    seg.lastFlushSeq = flushSeq;
    this.head.record({ flushSeq, lastPosition, segment: seg.firstPosition, segmentBytes: seg.size });
    return { segment: this.segments.length - 1, offset };
  }

  /** Reads `length` bytes at `offset` of segment `segment` into `buf` (from 0). */
  async read(segment: number, offset: number, length: number, buf: Buffer): Promise<void> {
    const seg = this.segments[segment];
    await readFully(seg.fh, buf, 0, length, offset, seg.file);
  }

  /** A file name for messages. */
  fileOf(segment: number): string { return this.segments[segment].file; }

  /** Closes every file handle (the HEAD marker is the caller's). */
  async close(): Promise<void> {
    await Promise.allSettled(this.segments.map((s) => s.fh.close()));
  }

  /** Creates the segment starting at `firstPosition` and makes it the active one. */
  async create(firstPosition: number): Promise<Segment> {
    const file = join(this.dir, segmentName(firstPosition));
    const fh = await open(file, 'wx+');
    const seg: Segment = { file, firstPosition, fh, size: 0, lastFlushSeq: this.segments.length > 0 ? this.last.lastFlushSeq : 0 };
    try {
      await writeAll(fh, segmentHeader(), 0);
      if (this.fsync) { await fh.sync(); await syncDir(this.dir); }
    } catch (e) {
      await fh.close();
      throw e;
    }
    seg.size = SEGMENT_HEADER_BYTES;
    this.segments.push(seg);
    return seg;
  }
}

export async function readFully(fh: FileHandle, buf: Buffer, at: number, length: number, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, at + done, length - done, position + done);
    if (bytesRead === 0) {
      throw new TroupeError('corrupt-record', `Journal segment ${file} ended at byte ${position + done}, before the records the index expects: it was truncated outside the journal. Restore it from a backup.`, { file, offset: position + done });
    }
    done += bytesRead;
  }
}
