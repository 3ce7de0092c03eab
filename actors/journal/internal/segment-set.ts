// The file journal's segment files: recovery of all of them on open, positional writes to the
// active one (rolled at a size limit), positional reads from any, fsync of files and directory.

import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '../../../runtime/errors.ts';
import type { FlushSink } from './group-commit.ts';
import { scanSegment } from './segment-scan.ts';
import { parseSegmentName, SEGMENT_HEADER_BYTES, segmentHeader, segmentName } from './segment-format.ts';

interface Segment { readonly file: string; readonly firstPosition: number; readonly fh: FileHandle; size: number }

/** What recovery found. */
export interface RecoveryReport {
  readonly segments: number;
  /** Bytes cut from a torn tail (0 when the last shutdown was clean). */
  readonly tornBytes: number;
  readonly lastFlushSeq: number;
}

/** Receives each durable record found during recovery, in position order. */
export type OnRecovered = (stream: string, version: number, position: number, segment: number, offset: number, length: number) => void;

/** Writes `buf` fully at `position` of `fh`. */
async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
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

/** The segment files of one journal directory. Segment numbers are indexes in position order. */
export class SegmentSet implements FlushSink {
  private readonly segments: Segment[] = [];

  private constructor(private readonly dir: string, private readonly segmentBytes: number, private readonly fsync: boolean) {}

  /**
   * Opens every segment in `dir`, verifies it and replays its records into `onRecord`, cutting a
   * torn tail off the last one (see segment-scan.ts); creates the first segment of a new journal.
   */
  static async open(dir: string, segmentBytes: number, fsync: boolean, versionOf: (stream: string) => number, onRecord: OnRecovered): Promise<{ set: SegmentSet; report: RecoveryReport }> {
    const set = new SegmentSet(dir, segmentBytes, fsync);
    const names = (await readdir(dir)).filter((n) => parseSegmentName(n) !== undefined).sort();
    let lastFlushSeq = 0;
    let tornBytes = 0;
    let nextPosition = 1;
    try {
      for (let i = 0; i < names.length; i++) {
        const file = join(dir, names[i]);
        const firstPosition = parseSegmentName(names[i]) as number;
        const isLast = i === names.length - 1;
        if (firstPosition !== nextPosition) {
          throw new TroupeError('corrupt-record', `Journal segment ${file} starts at position ${firstPosition} but ${nextPosition} was expected: a segment file is missing or extra. Restore the directory from a backup.`, { file });
        }
        const fh = await open(file, isLast ? 'r+' : 'r');
        const seg: Segment = { file, firstPosition, fh, size: 0 };
        set.segments.push(seg);
        const size = (await fh.stat()).size;
        const buf = Buffer.allocUnsafe(size);
        await readFully(fh, buf, 0, size, 0, file);
        const segNo = i;
        const r = scanSegment(buf, size, {
          file, firstPosition, isLast, lastFlushSeq, versionOf,
          onRecord: (stream, version, position, offset, length) => { nextPosition = position + 1; onRecord(stream, version, position, segNo, offset, length); },
        });
        lastFlushSeq = r.lastFlushSeq;
        seg.size = r.keepBytes;
        if (r.keepBytes < size) {
          tornBytes += size - r.keepBytes;
          await fh.truncate(r.keepBytes);
          if (r.keepBytes === 0) { await writeAll(fh, segmentHeader(), 0); seg.size = SEGMENT_HEADER_BYTES; }
          await fh.sync();
        }
      }
      if (set.segments.length === 0) await set.create(1);
    } catch (e) {
      await set.close();
      throw e;
    }
    return { set, report: { segments: set.segments.length, tornBytes, lastFlushSeq } };
  }

  /** Number of segment files. */
  get count(): number { return this.segments.length; }

  /** Appends `bytes` to the active segment (rolling first if it would pass `segmentBytes`), then fsyncs per policy. */
  async write(bytes: Buffer, firstPosition: number): Promise<{ segment: number; offset: number }> {
    let seg = this.segments[this.segments.length - 1];
    if (seg.size > SEGMENT_HEADER_BYTES && seg.size + bytes.length > this.segmentBytes) seg = await this.create(firstPosition);
    const offset = seg.size;
    await writeAll(seg.fh, bytes, offset);
    if (this.fsync) await seg.fh.datasync();
    seg.size = offset + bytes.length;
    return { segment: this.segments.length - 1, offset };
  }

  /** Reads `length` bytes at `offset` of segment `segment` into `buf` (from 0). */
  async read(segment: number, offset: number, length: number, buf: Buffer): Promise<void> {
    const seg = this.segments[segment];
    await readFully(seg.fh, buf, 0, length, offset, seg.file);
  }

  /** A file name for messages. */
  fileOf(segment: number): string { return this.segments[segment].file; }

  /** Closes every file handle. */
  async close(): Promise<void> {
    await Promise.allSettled(this.segments.map((s) => s.fh.close()));
  }

  private async create(firstPosition: number): Promise<Segment> {
    const file = join(this.dir, segmentName(firstPosition));
    const fh = await open(file, 'wx+');
    const seg: Segment = { file, firstPosition, fh, size: 0 };
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

async function readFully(fh: FileHandle, buf: Buffer, at: number, length: number, position: number, file: string): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, at + done, length - done, position + done);
    if (bytesRead === 0) {
      throw new TroupeError('corrupt-record', `Journal segment ${file} ended at byte ${position + done}, before the records the index expects: it was truncated outside the journal. Restore it from a backup.`, { file, offset: position + done });
    }
    done += bytesRead;
  }
}
