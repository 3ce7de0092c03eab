// The file journal's in-memory index: where each durable record lives (segment, offset, length by
// global position) and, per stream, the positions of its events and the version reserved so far.
// Filled record by record (scan, appends), a segment at a time from an index checkpoint, or lazily:
// a sealed segment known only by its checkpoint's summary counts its events per stream (so versions
// are exact at open) and has its records loaded by `loader` on the first read that touches it.

/** Global positions of one stream's events, in version order, in a growable Uint32Array (no GC churn). */
export class PositionList {
  private a = new Uint32Array(4);
  length = 0;
  /** The position of version `i + 1` (0 while its segment is not loaded). */
  at(i: number): number { return this.a[i] ?? 0; }
  push(position: number): void {
    if (this.length >= this.a.length) this.reserve(this.length + 1);
    this.a[this.length++] = position;
  }
  /** Appends `positions` (ascending, after the last one). */
  append(positions: Uint32Array): void {
    this.reserve(this.length + positions.length);
    this.a.set(positions, this.length);
    this.length += positions.length;
  }
  /** Appends `n` positions not known yet; memory is taken only when some are {@link set}. */
  skip(n: number): void { this.length += n; }
  /** Sets the positions of versions `from + 1` on (skipped ones). */
  set(from: number, positions: Uint32Array): void {
    this.reserve(this.length);
    this.a.set(positions, from);
  }
  /** Makes room for `n` positions in total. */
  reserve(n: number): void {
    if (n <= this.a.length) return;
    const b = new Uint32Array(Math.max(n, this.a.length * 2));
    b.set(this.a);
    this.a = b;
  }
}

/** Versions `[from + 1, from + count]` of a stream, in a segment whose records are not loaded yet. */
interface LazyRun { readonly segment: number; readonly from: number; readonly count: number }

/** Per-stream index entry. `positions.at(v - 1)` is the global position of version `v`. */
export interface StreamEntry {
  /** Dense id of the stream within this index (order of first appearance). */
  readonly id: number;
  readonly positions: PositionList;
  /** Version including appends queued but not yet durable (used for the concurrency check). */
  reserved: number;
  /** Runs of versions whose positions are in segments not loaded yet, ascending. */
  lazy: LazyRun[] | undefined;
}

/** The records of one segment: `off[i]`, `len[i]` (and `sid[i]`) are those of position `first + i`. */
interface SegmentRecords {
  readonly segment: number;
  readonly first: number;
  count: number;
  off: Uint32Array;
  len: Uint32Array;
  /** Global stream ids; undefined for a segment loaded without them (sealed, never checkpointed again). */
  sid: Uint32Array | undefined;
  /** False until a lazily known segment's records are loaded. */
  loaded: boolean;
}

const grow = (a: Uint32Array, need: number): Uint32Array => {
  if (need <= a.length) return a;
  const b = new Uint32Array(Math.max(need, a.length * 2, 1024));
  b.set(a);
  return b;
};

/** Durable records by position (contiguous from 1) and streams by name. */
export class JournalIndex {
  /** Segments with records, in position order. */
  private readonly segs: SegmentRecords[] = [];
  private hit: SegmentRecords | undefined;
  private readonly loading = new Map<number, Promise<void>>();
  /** The last durable global position (0 when empty). */
  count = 0;
  readonly streams = new Map<string, StreamEntry>();
  /** Stream names by {@link StreamEntry.id}. */
  readonly names: string[] = [];
  /** Loads the records of a lazily known segment and hands them to {@link fillLazy}; set by recovery. */
  loader: (segment: number) => Promise<void> = (segment) => Promise.reject(new Error(`journal index: no loader for segment ${segment}`));

  private last(segment: number, first: number): SegmentRecords {
    const top = this.segs[this.segs.length - 1];
    if (top?.segment === segment) return top;
    if (top && top.segment > segment) throw new Error(`journal index: segment ${segment} after ${top.segment}`);
    const r: SegmentRecords = { segment, first, count: 0, off: new Uint32Array(0), len: new Uint32Array(0), sid: new Uint32Array(0), loaded: true };
    this.segs.push(r);
    return r;
  }

  /** Records that `position` (must be `count + 1`) is version `version` of `stream`, stored at `segment`/`offset`. */
  add(stream: string, version: number, position: number, segment: number, offset: number, length: number): void {
    if (position !== this.count + 1) throw new Error(`journal index: position ${position} after ${this.count}`);
    const r = this.last(segment, position);
    if (!r.loaded || !r.sid) throw new Error(`journal index: segment ${segment} cannot take records`);
    const i = r.count;
    if (i === r.off.length) { r.off = grow(r.off, i + 1); r.len = grow(r.len, i + 1); r.sid = grow(r.sid, i + 1); }
    const s = this.entry(stream);
    r.off[i] = offset; r.len[i] = length; r.sid[i] = s.id;
    r.count = i + 1;
    this.count = position;
    s.positions.push(position);
    if (s.reserved < s.positions.length) s.reserved = s.positions.length;
  }

  /**
   * Adds the `records` records of `segment` from `count + 1` on, loaded from its checkpoint: stream
   * k's positions are `byStream[start_k, start_k + counts[k])`. Per-record stream ids are kept only
   * when `sid` is given (needed only for a segment that may be checkpointed again, the last one).
   */
  addBulk(segment: number, records: number, cp: { off: Uint32Array; len: Uint32Array; sid: Uint32Array | undefined; byStream: Uint32Array; counts: Uint32Array; names: readonly string[] }): void {
    const r = this.last(segment, this.count + 1);
    if (r.count !== 0) throw new Error(`journal index: segment ${segment} already has records`);
    const local = cp.names.map((name) => this.entry(name));
    for (let k = 0, at = 0; k < local.length; k++) {
      const c = cp.counts[k];
      local[k].positions.append(cp.byStream.subarray(at, at + c));
      at += c;
      if (local[k].reserved < local[k].positions.length) local[k].reserved = local[k].positions.length;
    }
    r.off = cp.off; r.len = cp.len; r.count = records;
    if (cp.sid) {
      const ids = new Uint32Array(local.length);
      for (let k = 0; k < local.length; k++) ids[k] = local[k].id;
      const sid = new Uint32Array(records);
      for (let i = 0; i < records; i++) sid[i] = ids[cp.sid[i]];
      r.sid = sid;
    } else {
      r.sid = undefined;
    }
    this.count += records;
  }

  /**
   * Adds the `records` records of sealed `segment` from `count + 1` on, known only by how many
   * events of each stream (`counts`, `names`) it holds: versions are exact at once, positions and
   * offsets come from {@link loader} when a read needs them.
   */
  addLazy(segment: number, records: number, counts: Uint32Array, names: readonly string[]): void {
    const r = this.last(segment, this.count + 1);
    if (r.count !== 0) throw new Error(`journal index: segment ${segment} already has records`);
    r.count = records; r.loaded = false; r.sid = undefined;
    for (let k = 0; k < names.length; k++) {
      const c = counts[k];
      if (c === 0) continue;
      const e = this.entry(names[k]);
      (e.lazy ??= []).push({ segment, from: e.positions.length, count: c });
      e.positions.skip(c);
      if (e.reserved < e.positions.length) e.reserved = e.positions.length;
    }
    this.count += records;
  }

  /** The version before `segment`'s first event of `stream`, if `segment` is lazy and holds some. */
  lazyFrom(stream: string, segment: number): number | undefined {
    return this.streams.get(stream)?.lazy?.find((l) => l.segment === segment)?.from;
  }

  /** Fills lazily known `segment` with what {@link loader} read (same layout as {@link addBulk}, no stream ids). */
  fillLazy(segment: number, cp: { off: Uint32Array; len: Uint32Array; byStream: Uint32Array; counts: Uint32Array; names: readonly string[] }): void {
    const r = this.records(segment);
    if (r.loaded) return;
    for (let k = 0, at = 0; k < cp.names.length; k++) {
      const c = cp.counts[k];
      if (c === 0) continue;
      const e = this.streams.get(cp.names[k]);
      const run = e?.lazy?.findIndex((l) => l.segment === segment) ?? -1;
      if (!e?.lazy || run < 0 || e.lazy[run].count !== c) throw new Error(`journal index: segment ${segment} does not match its summary`);
      e.positions.set(e.lazy[run].from, cp.byStream.subarray(at, at + c));
      e.lazy.splice(run, 1);
      if (e.lazy.length === 0) e.lazy = undefined;
      at += c;
    }
    r.off = cp.off; r.len = cp.len; r.loaded = true;
  }

  /** Loads the segments holding versions `[from + 1, to]` of `entry`'s stream that are not loaded yet. */
  async readyStream(entry: StreamEntry, from: number, to: number): Promise<void> {
    const runs = entry.lazy?.filter((l) => l.from < to && l.from + l.count > from);
    if (runs && runs.length > 0) await Promise.all(runs.map((l) => this.load(l.segment)));
  }

  /** Loads the segments holding positions `[from, to]` that are not loaded yet. */
  async readyPositions(from: number, to: number): Promise<void> {
    const need: Promise<void>[] = [];
    for (let k = this.find(from); k < this.segs.length && this.segs[k].first <= to; k++) {
      if (!this.segs[k].loaded) need.push(this.load(this.segs[k].segment));
    }
    await Promise.all(need);
  }

  private load(segment: number): Promise<void> {
    let p = this.loading.get(segment);
    if (!p) {
      p = this.loader(segment);
      this.loading.set(segment, p);
      const forget = (): void => { this.loading.delete(segment); };
      p.then(forget, forget); // a failed load is retried by the next read
    }
    return p;
  }

  /**
   * The records of positions `[first, last]` (all in one segment) as checkpoint arrays: offsets,
   * lengths, local stream ids and the names they stand for.
   */
  slice(first: number, last: number): { off: Uint32Array; len: Uint32Array; sid: Uint32Array; names: string[] } {
    const r = this.at(first);
    if (!r.loaded || !r.sid) throw new Error(`journal index: segment ${r.segment} was loaded without stream ids`);
    const a = first - r.first, b = last - r.first + 1;
    const off = r.off.slice(a, b);
    const len = r.len.slice(a, b);
    const sid = new Uint32Array(len.length);
    const localOf = new Map<number, number>();
    const names: string[] = [];
    for (let i = 0; i < sid.length; i++) {
      const g = r.sid[a + i];
      let k = localOf.get(g);
      if (k === undefined) { k = names.length; localOf.set(g, k); names.push(this.names[g]); }
      sid[i] = k;
    }
    return { off, len, sid, names };
  }

  /** The entry of `stream`, created empty if missing. */
  entry(stream: string): StreamEntry {
    let s = this.streams.get(stream);
    if (!s) { s = { id: this.names.length, positions: new PositionList(), reserved: 0, lazy: undefined }; this.streams.set(stream, s); this.names.push(stream); }
    return s;
  }

  /** Durable version of `stream`. */
  version(stream: string): number { return this.streams.get(stream)?.positions.length ?? 0; }

  /** Index in `segs` of the segment holding `position` (or of the first one after it). */
  private find(position: number): number {
    let lo = 0, hi = this.segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segs[mid].first <= position) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  private records(segment: number): SegmentRecords {
    const r = this.segs.find((s) => s.segment === segment);
    if (!r) throw new Error(`journal index: no records in segment ${segment}`);
    return r;
  }

  /** The (loaded) segment records of durable `position`. */
  private at(position: number): SegmentRecords {
    const h = this.hit;
    if (h && position >= h.first && position < h.first + h.count) return h;
    const r = this.segs[this.find(position)];
    if (!r.loaded) throw new Error(`journal index: position ${position} is in segment ${r.segment}, not loaded`);
    this.hit = r;
    return r;
  }

  /** Segment number of durable, loaded `position`. */
  segmentOf(position: number): number { return this.at(position).segment; }
  /** Byte offset of durable, loaded `position`'s record within its segment. */
  offsetOf(position: number): number { const r = this.at(position); return r.off[position - r.first]; }
  /** Framed length of durable, loaded `position`'s record, in bytes. */
  lengthOf(position: number): number { const r = this.at(position); return r.len[position - r.first]; }
}
