// Group commit: appends are encoded into a staging chunk; one flush writes a whole chunk and
// fsyncs it once, and every append staged while a flush is in flight goes into the next one.
// No timers: batching is "whatever queued while the previous flush was running".

import type { Clock } from '../../../runtime/clock.ts';
import { TroupeError } from '../../../runtime/errors.ts';
import { addRecordFlag, FLAG_END_OF_APPEND, FLAG_END_OF_FLUSH, recordBound, recordSize, writeRecord } from './record-format.ts';
import type { PreparedEvent } from './prepare-events.ts';

/** Where flushed chunks go: durable (per its fsync policy) when the promise resolves. */
export interface FlushSink {
  /**
   * Writes `bytes` (whole appends holding positions `firstPosition..lastPosition`, flush number
   * `flushSeq`); resolves with where they landed.
   */
  write(bytes: Buffer, firstPosition: number, lastPosition: number, flushSeq: number): Promise<{ segment: number; offset: number }>;
}

/** One staged append: its records are `recOff/recLen[first, first + count)` of its chunk. */
interface StagedAppend {
  readonly stream: string;
  readonly firstVersion: number;
  readonly firstPosition: number;
  readonly first: number;
  readonly count: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface Chunk {
  buf: Buffer;
  used: number;
  readonly flushSeq: number;
  readonly firstPosition: number;
  lastRecord: number;
  readonly recOff: number[];
  readonly recLen: number[];
  readonly appends: StagedAppend[];
}

/** Times flushes: `flushed(ms, bytes)` after each, `ms` on `clock`. */
export interface FlushObserver {
  readonly clock: Clock;
  flushed(ms: number, bytes: number): void;
}

/** Called for each record once it is durable, in position order. */
export type OnDurable = (stream: string, version: number, position: number, segment: number, offset: number, length: number) => void;

const MIN_CHUNK_BYTES = 64 * 1024;

/** Stages appends and flushes them in batches through a {@link FlushSink}. */
export class GroupCommit {
  private readonly chunks: Chunk[] = [];
  private open: Chunk | undefined;
  private spare: Buffer | undefined;
  private running = false;
  private idle: (() => void)[] = [];
  private nextFlushSeq: number;
  /** The write error that stopped this log, if any; every later stage rejects with it. */
  failure: unknown;
  /** Flushes completed. */
  flushes = 0;
  /** Bytes written by completed flushes. */
  bytesWritten = 0;
  /** Told the duration (on its clock) and size of each completed flush (metrics); null: not timed. */
  flushObserver: FlushObserver | null = null;

  constructor(private readonly sink: FlushSink, private readonly maxFlushBytes: number,
    lastFlushSeq: number, private readonly onDurable: OnDurable, private readonly onFailure: (e: unknown) => unknown) {
    this.nextFlushSeq = lastFlushSeq + 1;
  }

  /**
   * Encodes one append (versions from `firstVersion`, positions from `firstPosition`) and
   * resolves when it is durable. Throws synchronously, staging nothing, if it exceeds
   * `maxFlushBytes`.
   */
  stage(stream: string, events: readonly PreparedEvent[], firstVersion: number, firstPosition: number): Promise<void> {
    let need = 0;
    for (const e of events) need += recordBound(stream, e);
    let c = this.open;
    if (need > this.maxFlushBytes || (c && c.used + need > this.maxFlushBytes)) {
      let exact = 0;
      for (const e of events) exact += recordSize(stream, e);
      if (exact > this.maxFlushBytes) {
        throw new TroupeError('invalid-argument',
          `An append of ${exact} bytes to "${stream}" exceeds maxFlushBytes (${this.maxFlushBytes}): split it into smaller appends or open the journal with a larger maxFlushBytes.`,
          { stream, bytes: exact, maxFlushBytes: this.maxFlushBytes });
      }
      if (c && c.used + exact > this.maxFlushBytes) c = this.open = undefined;
    }
    if (!c) c = this.open = this.newChunk(firstPosition, need);
    if (c.used + need > c.buf.length) {
      const b = Buffer.allocUnsafe(Math.max(c.buf.length * 2, c.used + need));
      c.buf.copy(b, 0, 0, c.used);
      c.buf = b;
    }
    const first = c.recOff.length;
    for (let i = 0; i < events.length; i++) {
      const flags = i === events.length - 1 ? FLAG_END_OF_APPEND : 0;
      const n = writeRecord(c.buf, c.used, stream, events[i], firstPosition + i, firstVersion + i, c.flushSeq, flags);
      c.recOff.push(c.used);
      c.recLen.push(n);
      c.lastRecord = c.used;
      c.used += n;
    }
    const done = new Promise<void>((resolve, reject) => {
      c.appends.push({ stream, firstVersion, firstPosition, first, count: events.length, resolve, reject });
    });
    if (!this.running) { this.running = true; queueMicrotask(() => void this.run()); }
    return done;
  }

  /** Resolves when nothing is staged or being flushed. */
  drain(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private newChunk(firstPosition: number, need: number): Chunk {
    let buf = this.spare;
    this.spare = undefined;
    if (!buf || buf.length < need) buf = Buffer.allocUnsafe(Math.max(MIN_CHUNK_BYTES, need));
    const c: Chunk = { buf, used: 0, flushSeq: this.nextFlushSeq++, firstPosition, lastRecord: 0, recOff: [], recLen: [], appends: [] };
    this.chunks.push(c);
    return c;
  }

  private async run(): Promise<void> {
    for (let c = this.chunks.shift(); c; c = this.chunks.shift()) {
      if (c === this.open) this.open = undefined;
      addRecordFlag(c.buf, c.lastRecord, FLAG_END_OF_FLUSH);
      let at: { segment: number; offset: number };
      const obs = this.flushObserver;
      const t0 = obs === null ? 0 : obs.clock.now();
      try {
        at = await this.sink.write(c.buf.subarray(0, c.used), c.firstPosition, c.firstPosition + c.recOff.length - 1, c.flushSeq);
      } catch (e) {
        this.fail(e, c);
        break;
      }
      this.flushes++;
      this.bytesWritten += c.used;
      if (obs !== null) obs.flushed(obs.clock.now() - t0, c.used);
      for (const a of c.appends) {
        for (let i = 0; i < a.count; i++) {
          const r = a.first + i;
          this.onDurable(a.stream, a.firstVersion + i, a.firstPosition + i, at.segment, at.offset + c.recOff[r], c.recLen[r]);
        }
      }
      for (const a of c.appends) a.resolve();
      if (!this.spare || this.spare.length < c.buf.length) this.spare = c.buf;
    }
    this.running = false;
    for (const f of this.idle.splice(0)) f();
  }

  private fail(e: unknown, current: Chunk): void {
    this.failure = e;
    const err = this.onFailure(e);
    for (const c of [current, ...this.chunks.splice(0)]) for (const a of c.appends) a.reject(err);
    this.open = undefined;
  }
}
