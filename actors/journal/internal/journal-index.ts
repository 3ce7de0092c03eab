// The file journal's in-memory index: where each durable record lives (segment, offset, length by
// global position) and, per stream, the positions of its events and the version reserved so far.
// Filled record by record (scan, appends) or a segment at a time from an index checkpoint.

/** Global positions of one stream's events, in version order, in a growable Uint32Array (no GC churn). */
export class PositionList {
  private a = new Uint32Array(4);
  length = 0;
  /** The position of version `i + 1`. */
  at(i: number): number { return this.a[i]; }
  push(position: number): void {
    if (this.length === this.a.length) this.reserve(this.length + 1);
    this.a[this.length++] = position;
  }
  /** Appends `positions` (ascending, after the last one). */
  append(positions: Uint32Array): void {
    this.reserve(this.length + positions.length);
    this.a.set(positions, this.length);
    this.length += positions.length;
  }
  /** Makes room for `n` positions in total. */
  reserve(n: number): void {
    if (n <= this.a.length) return;
    const b = new Uint32Array(Math.max(n, this.a.length * 2));
    b.set(this.a.subarray(0, this.length));
    this.a = b;
  }
}

/** Per-stream index entry. `positions.at(v - 1)` is the global position of version `v`. */
export interface StreamEntry {
  /** Dense id of the stream within this index (order of first appearance). */
  readonly id: number;
  readonly positions: PositionList;
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
  private sid: Uint32Array<ArrayBuffer> = new Uint32Array(1024);
  /** The last durable global position (0 when empty). */
  count = 0;
  readonly streams = new Map<string, StreamEntry>();
  /** Stream names by {@link StreamEntry.id}. */
  readonly names: string[] = [];
  /** Segments loaded without their records' stream ids (sealed segments, never checkpointed again). */
  private readonly withoutStreamIds = new Set<number>();

  /** Records that `position` (must be `count + 1`) is version `version` of `stream`, stored at `segment`/`offset`. */
  add(stream: string, version: number, position: number, segment: number, offset: number, length: number): void {
    if (position !== this.count + 1) throw new Error(`journal index: position ${position} after ${this.count}`);
    const i = position - 1;
    this.ensure(i + 1);
    const s = this.entry(stream);
    this.seg[i] = segment; this.off[i] = offset; this.len[i] = length; this.sid[i] = s.id;
    this.count = position;
    s.positions.push(position);
    if (s.reserved < s.positions.length) s.reserved = s.positions.length;
  }

  /**
   * Room for `n` records after the last one: the views an index checkpoint's offsets and lengths
   * are read into before {@link addBulk} commits them.
   */
  bulkTarget(n: number): { off: Uint32Array; len: Uint32Array } {
    this.ensure(this.count + n);
    return { off: this.off.subarray(this.count, this.count + n), len: this.len.subarray(this.count, this.count + n) };
  }

  /**
   * Commits `n` records from `count + 1` on, all in `segment`, whose offsets and lengths were read
   * into {@link bulkTarget}: stream k's positions are `byStream[start_k, start_k + counts[k])`.
   * Per-record stream ids are kept only when `sid` is given (needed only for a segment that may be
   * checkpointed again, i.e. the last one; see {@link slice}).
   */
  addBulk(segment: number, n: number, cp: { sid: Uint32Array | undefined; byStream: Uint32Array; counts: Uint32Array; names: readonly string[] }): void {
    const from = this.count;
    this.ensure(from + n);
    this.seg.fill(segment, from, from + n);
    const local = cp.names.map((name) => this.entry(name));
    for (let k = 0, at = 0; k < local.length; k++) {
      const c = cp.counts[k];
      local[k].positions.append(cp.byStream.subarray(at, at + c));
      at += c;
      if (local[k].reserved < local[k].positions.length) local[k].reserved = local[k].positions.length;
    }
    if (cp.sid) {
      const ids = new Uint32Array(local.length);
      for (let k = 0; k < local.length; k++) ids[k] = local[k].id;
      const gsid = this.sid, sid = cp.sid;
      for (let i = 0; i < n; i++) gsid[from + i] = ids[sid[i]];
    } else {
      this.withoutStreamIds.add(segment);
    }
    this.count = from + n;
  }

  /**
   * The records of positions `[first, last]` as checkpoint arrays: lengths, local stream ids and
   * the names they stand for.
   */
  slice(first: number, last: number): { off: Uint32Array; len: Uint32Array; sid: Uint32Array; names: string[] } {
    if (this.withoutStreamIds.has(this.seg[first - 1])) throw new Error(`journal index: segment ${this.seg[first - 1]} was loaded without stream ids`);
    const off = this.off.slice(first - 1, last);
    const len = this.len.slice(first - 1, last);
    const sid = new Uint32Array(len.length);
    const localOf = new Map<number, number>();
    const names: string[] = [];
    for (let i = 0; i < sid.length; i++) {
      const g = this.sid[first - 1 + i];
      let k = localOf.get(g);
      if (k === undefined) { k = names.length; localOf.set(g, k); names.push(this.names[g]); }
      sid[i] = k;
    }
    return { off, len, sid, names };
  }

  /** Makes room for `n` records (a hint; the index grows as needed anyway). */
  ensure(n: number): void {
    if (n <= this.seg.length) return;
    this.seg = grow(this.seg, n); this.off = grow(this.off, n); this.len = grow(this.len, n); this.sid = grow(this.sid, n);
  }

  /** The entry of `stream`, created empty if missing. */
  entry(stream: string): StreamEntry {
    let s = this.streams.get(stream);
    if (!s) { s = { id: this.names.length, positions: new PositionList(), reserved: 0 }; this.streams.set(stream, s); this.names.push(stream); }
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
