// Snapshots of the file journal: one file per stream under <dir>/snapshots, named by the SHA-256
// of the stream name, replaced atomically (write temp file, fsync, rename, fsync directory).
// File: u32 payloadLength | u32 crc32(payload) | payload = JSON { stream, version, encoding, savedAtMs, text }.

import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '../../../runtime/errors.ts';
import type { PayloadEncoding } from '../../../runtime/payload-codec.ts';
import { crc32 } from './crc32.ts';
import { syncDir } from './segment-set.ts';

/** A snapshot as stored: the state still encoded. */
export interface SnapshotRecord {
  readonly stream: string;
  readonly version: number;
  readonly encoding: PayloadEncoding;
  readonly savedAtMs: number;
  readonly text: string;
}

/** The snapshot files of one journal; saves run one at a time. */
export class SnapshotFiles {
  private readonly dir: string;
  private chain: Promise<unknown> = Promise.resolve();
  private made = false;

  constructor(journalDir: string, private readonly fsync: boolean) {
    this.dir = join(journalDir, 'snapshots');
  }

  /** Stores `rec` unless a snapshot of a newer version is already stored. */
  save(rec: SnapshotRecord): Promise<void> {
    const next = this.chain.then(() => this.saveNow(rec));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The stored snapshot of `stream`, or undefined; a damaged file is `corrupt-record`. */
  async load(stream: string): Promise<SnapshotRecord | undefined> {
    await this.chain;
    return this.loadNow(stream);
  }

  private async loadNow(stream: string): Promise<SnapshotRecord | undefined> {
    const file = this.fileOf(stream);
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const len = buf.length >= 8 ? buf.readUInt32LE(0) : -1;
    let rec: SnapshotRecord | undefined;
    if (len === buf.length - 8 && crc32(buf, 8) === buf.readUInt32LE(4)) {
      rec = JSON.parse(buf.toString('utf8', 8)) as SnapshotRecord;
    }
    if (!rec || rec.stream !== stream) {
      throw new TroupeError('corrupt-record', `Snapshot file ${file} of "${stream}" is corrupt: delete it (the stream then replays from its events).`, { file, stream });
    }
    return rec;
  }

  private fileOf(stream: string): string {
    return join(this.dir, `${createHash('sha256').update(stream).digest('hex')}.snap`);
  }

  private async saveNow(rec: SnapshotRecord): Promise<void> {
    const prev = await this.loadNow(rec.stream).catch(() => undefined);
    if (prev && prev.version > rec.version) return;
    if (!this.made) { await mkdir(this.dir, { recursive: true }); this.made = true; }
    const payload = Buffer.from(JSON.stringify(rec), 'utf8');
    const buf = Buffer.allocUnsafe(8 + payload.length);
    buf.writeUInt32LE(payload.length, 0);
    buf.writeUInt32LE(crc32(payload), 4);
    payload.copy(buf, 8);
    const file = this.fileOf(rec.stream);
    const tmp = `${file}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(buf);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    if (this.fsync) await syncDir(this.dir);
  }
}
