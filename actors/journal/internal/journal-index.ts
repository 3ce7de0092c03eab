// The file journal's in-memory index: where each durable record lives (segment, offset, length by
// global position) and, per stream, the positions of its events and the version reserved so far.

/** Per-stream index entry. `positions[v - 1]` is the global position of version `v`. */
export interface StreamEntry {
  readonly positions: number[];
  /** Version including appends queued but not yet durable (used for the concurrency check). */
  reserved: number;
}

const grow = (a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> => {
  if (need <= a.length) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
};

/** Durable records by position (contiguous from 1) and streams by name. */
export class JournalIndex {
  private seg: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  private off: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  private len: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  /** The last durable global position (0 when empty). */
  count = 0;
  readonly streams = new Map<string, StreamEntry>();

  /** Records that `position` (must be `count + 1`) is version `version` of `stream`, stored at `segment`/`offset`. */
  add(stream: string, version: number, position: number, segment: number, offset: number, length: number): void {
    if (position !== this.count + 1) throw new Error(`journal index: position ${position} after ${this.count}`);
    const i = position - 1;
    if (i >= this.seg.length) {
      this.seg = grow(this.seg, i + 1); this.off = grow(this.off, i + 1); this.len = grow(this.len, i + 1);
    }
    this.seg[i] = segment; this.off[i] = offset; this.len[i] = length;
    this.count = position;
    const s = this.entry(stream);
    s.positions.push(position);
    if (s.reserved < s.positions.length) s.reserved = s.positions.length;
  }

  /** The entry of `stream`, created empty if missing. */
  entry(stream: string): StreamEntry {
    let s = this.streams.get(stream);
    if (!s) { s = { positions: [], reserved: 0 }; this.streams.set(stream, s); }
    return s;
  }

  /** Durable version of `stream`. */
  version(stream: string): number { return this.streams.get(stream)?.positions.length ?? 0; }

  /** Segment number of durable `position`. */
  segmentOf(position: number): number { return this.seg[position - 1]; }
  /** Byte offset of durable `position`'s record within its segment. */
  offsetOf(position: number): number { return this.off[position - 1]; }
  /** Framed length of durable `position`'s record, in bytes. */
  lengthOf(position: number): number { return this.len[position - 1]; }
}
