// The raw fs baseline for appends: a hand-written log on one FileHandle that frames each event as
// the file journal does (same byte count) and batches whatever accumulates while a write + fsync
// is in flight — the least a durable group-committing log must do.

import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FsyncPolicy } from '../../actors/journal/file-journal.ts';

/** Frame (length + CRC) plus the fixed header of a journal record (internal/record-format.ts). */
const HEADER_BYTES = 8 + 40;
/** Length of the journal's generated event ids (21-character nanoids). */
const ID = 'raw-baseline-id-00000';

/**
 * One event framed with the file journal record's byte count: an 8-byte frame and 40-byte header
 * (only the length and the string lengths filled in, no CRC), stream, type, a 21-byte id, JSON data.
 */
export function rawRecord(stream: string, type: string, data: unknown): Buffer {
  const json = JSON.stringify(data);
  const size = HEADER_BYTES + stream.length + type.length + ID.length + Buffer.byteLength(json);
  const b = Buffer.alloc(size);
  b.writeUInt32LE(size - 8, 0);
  b.writeUInt16LE(stream.length, 10);
  b.writeUInt16LE(type.length, 40);
  b.writeUInt16LE(ID.length, 42);
  let q = HEADER_BYTES;
  q += b.write(stream, q, 'latin1');
  q += b.write(type, q, 'latin1');
  q += b.write(ID, q, 'latin1');
  b.write(json, q, 'utf8');
  return b;
}

/** An append-only file with group commit: every record staged while a flush runs joins the next one. */
export class RawLog {
  private staged: Buffer[] = [];
  private waiting: (() => void)[] = [];
  private flushing = false;
  private size = 0;
  /** Write (+ fsync) rounds done. */
  flushes = 0;
  /** Bytes written. */
  bytesWritten = 0;

  private constructor(private readonly fh: FileHandle, private readonly fsync: boolean) {}

  /** Creates `<dir>/raw.log`. */
  static async create(dir: string, fsync: FsyncPolicy): Promise<RawLog> {
    return new RawLog(await open(join(dir, 'raw.log'), 'wx+'), fsync === 'always');
  }

  /** Stages `record`; resolves once it is written (and fsynced under `'always'`). */
  append(record: Buffer): Promise<void> {
    const done = new Promise<void>((resolve) => { this.staged.push(record); this.waiting.push(resolve); });
    if (!this.flushing) void this.flush();
    return done;
  }

  /** Closes the file (after pending appends have been flushed by their awaiting callers). */
  close(): Promise<void> { return this.fh.close(); }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.staged.length > 0) {
      const bytes = this.staged.length === 1 ? this.staged[0] : Buffer.concat(this.staged);
      const resolvers = this.waiting;
      this.staged = [];
      this.waiting = [];
      for (let done = 0; done < bytes.length;) {
        done += (await this.fh.write(bytes, done, bytes.length - done, this.size + done)).bytesWritten;
      }
      if (this.fsync) await this.fh.datasync();
      this.size += bytes.length;
      this.flushes++;
      this.bytesWritten += bytes.length;
      for (const r of resolvers) r();
    }
    this.flushing = false;
  }
}
