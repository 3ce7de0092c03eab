// The collector's store: the newest spans in fixed columns (ids as 32-bit words, names, times, a
// shared attribute template per span), so a recorded span leaves no object of its own behind —
// the garbage collector then has almost nothing to copy or mark for the spans it holds. Spans
// (and their hex ids) are made into CollectedSpan objects only when a query reads them.

import { SpanStatusCode } from '@opentelemetry/api';
import type { CollectedSpan, SpanAttributeValue, SpanKindName, SpanStatusName } from '../span-collector.ts';
import type { RecordedSpan } from './recorded-span.ts';
import { hex128, hex64, spanWords, toWordContext } from './span-ids.ts';

type Attrs = Readonly<Record<string, SpanAttributeValue>>;
const NO_ATTRIBUTES: Attrs = Object.freeze({});
const STATUS: readonly SpanStatusName[] = ['unset', 'ok', 'error'];
const FIRST_CAPACITY = 256;

/** @internal A ring of `maxSpans` spans in columns; the oldest is overwritten (and counted) beyond it. */
export class SpanRing {
  private cap = 0;
  /** Slots in use (≤ maxSpans); once full, `head` is the oldest. */
  size = 0;
  private head = 0;
  dropped = 0;
  /** Trace id words (4 per slot), span id words (2), parent span id words (2). */
  private tw = new Int32Array(0);
  private sw = new Int32Array(0);
  private pw = new Int32Array(0);
  private names: string[] = [];
  private kinds: SpanKindName[] = [];
  /** Status (0 unset, 1 ok, 2 error) + 4 when the span has a parent. */
  private flags = new Uint8Array(0);
  private starts = new Float64Array(0);
  private ends = new Float64Array(0);
  /** Shared attribute templates (never changed once given). */
  private bases: Attrs[] = [];
  /** Attributes set on the span alone (`RecordedSpan.own`), or null. */
  private owns: (Readonly<Record<string, SpanAttributeValue>> | null)[] = [];
  /** One numeric attribute kept without an object (e.g. the mailbox wait), or null. */
  private numKeys: (string | null)[] = [];
  private nums = new Float64Array(0);
  /**
   * The span as an object, when it has more than the columns hold (links, events, a status
   * message) or came in as one (then its ids, which need not be hex, are read from it).
   */
  private objects: (CollectedSpan | RecordedSpan | undefined)[] = [];

  constructor(readonly maxSpans: number) {}

  /** Index of the slot the next span goes to, growing the columns while below `maxSpans`. */
  private slot(): number {
    if (this.size < this.maxSpans) {
      if (this.size === this.cap) this.grow();
      return this.size++;
    }
    const i = this.head;
    this.head = i + 1 === this.maxSpans ? 0 : i + 1;
    this.dropped++;
    return i;
  }

  private grow(): void {
    const cap = Math.min(this.maxSpans, Math.max(FIRST_CAPACITY, this.cap * 2));
    const f64 = (a: Float64Array): Float64Array<ArrayBuffer> => { const b = new Float64Array(cap); b.set(a); return b; };
    const i32 = (a: Int32Array, k: number): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap * k); b.set(a); return b; };
    this.tw = i32(this.tw, 4);
    this.sw = i32(this.sw, 2);
    this.pw = i32(this.pw, 2);
    this.flags = ((a) => { const b = new Uint8Array(cap); b.set(a); return b; })(this.flags);
    this.starts = f64(this.starts);
    this.ends = f64(this.ends);
    this.nums = f64(this.nums);
    this.cap = cap;
  }

  /** Records a finished span of this process. */
  push(s: RecordedSpan): void {
    const i = this.slot();
    const c = toWordContext(s.context); // itself, unless the span mirrors an SDK span
    const t = 4 * i, k = 2 * i;
    const tw = this.tw, sw = this.sw;
    tw[t] = c.t0; tw[t + 1] = c.t1; tw[t + 2] = c.t2; tw[t + 3] = c.t3;
    sw[k] = c.s0; sw[k + 1] = c.s1;
    const p = s.parent;
    if (p !== null) { const [p0, p1] = spanWords(p); this.pw[k] = p0; this.pw[k + 1] = p1; }
    this.names[i] = s.name;
    this.kinds[i] = s.kind;
    const code = s.status.code;
    this.flags[i] = (code === SpanStatusCode.ERROR ? 2 : code === SpanStatusCode.OK ? 1 : 0) | (p === null ? 0 : 4);
    this.starts[i] = s.startMs;
    this.ends[i] = s.endMs;
    this.bases[i] = s.base;
    this.numKeys[i] = s.numKey;
    this.nums[i] = s.num;
    this.owns[i] = s.own;
    this.objects[i] = s.links !== null || s.events !== null || code === SpanStatusCode.ERROR ? s : undefined;
  }

  /** Records a span given as data (kept as it is). */
  record(s: CollectedSpan): void {
    const i = this.slot();
    this.names[i] = s.name;
    this.kinds[i] = s.kind;
    this.flags[i] = (s.status === 'error' ? 2 : s.status === 'ok' ? 1 : 0) | (s.parentSpanId === undefined ? 0 : 4);
    this.starts[i] = s.startMs;
    this.ends[i] = s.endMs;
    this.bases[i] = s.attributes;
    this.numKeys[i] = null;
    this.nums[i] = 0;
    this.owns[i] = null;
    this.objects[i] = s;
  }

  clear(): void {
    this.size = this.head = this.dropped = 0;
    this.cap = 0;
    this.names = []; this.kinds = []; this.bases = []; this.numKeys = []; this.owns = []; this.objects = [];
    this.tw = new Int32Array(0); this.sw = new Int32Array(0); this.pw = new Int32Array(0);
    this.flags = new Uint8Array(0);
    this.starts = new Float64Array(0); this.ends = new Float64Array(0); this.nums = new Float64Array(0);
  }

  /** Slot indices, oldest first. */
  order(): number[] {
    const out = new Array<number>(this.size);
    const full = this.size === this.maxSpans;
    for (let k = 0; k < this.size; k++) out[k] = full ? (this.head + k) % this.maxSpans : k;
    return out;
  }

  /** A span recorded as data: its ids are read from it. */
  private given(i: number): CollectedSpan | undefined {
    const o = this.objects[i];
    return o === undefined || isRecorded(o) ? undefined : o;
  }

  traceIdAt(i: number): string {
    const g = this.given(i);
    if (g !== undefined) return g.traceId;
    const t = 4 * i, tw = this.tw;
    return hex128(tw[t], tw[t + 1], tw[t + 2], tw[t + 3]);
  }

  spanIdAt(i: number): string {
    const g = this.given(i);
    return g !== undefined ? g.spanId : hex64(this.sw[2 * i], this.sw[2 * i + 1]);
  }

  parentIdAt(i: number): string | undefined {
    const g = this.given(i);
    if (g !== undefined) return g.parentSpanId;
    return (this.flags[i] & 4) === 0 ? undefined : hex64(this.pw[2 * i], this.pw[2 * i + 1]);
  }

  nameAt(i: number): string { return this.names[i]; }
  startAt(i: number): number { return this.starts[i]; }
  endAt(i: number): number { return this.ends[i]; }
  isErrorAt(i: number): boolean { return (this.flags[i] & 3) === 2; }

  /** One attribute of the span in slot `i`, without building the span. */
  attributeAt(i: number, key: string): SpanAttributeValue | undefined {
    const o = this.objects[i];
    if (o !== undefined && !isRecorded(o)) return o.attributes[key];
    const own = this.owns[i];
    if (own !== null && own[key] !== undefined) return own[key];
    if (this.numKeys[i] === key) return this.nums[i];
    return this.bases[i][key];
  }

  /** The span in slot `i` as data. */
  spanAt(i: number): CollectedSpan {
    const o = this.objects[i];
    if (o !== undefined) {
      if (!isRecorded(o)) return o;
      const s = o.collected();
      this.objects[i] = s; // later reads give the same object
      return s;
    }
    const numKey = this.numKeys[i], own = this.owns[i];
    let attributes = this.bases[i];
    if (numKey !== null || own !== null) {
      const a: Record<string, SpanAttributeValue> = { ...attributes };
      if (numKey !== null) a[numKey] = this.nums[i];
      attributes = own === null ? a : Object.assign(a, own);
    }
    const start = this.starts[i], end = this.ends[i];
    const s: { -readonly [K in keyof CollectedSpan]: CollectedSpan[K] } = {
      traceId: this.traceIdAt(i), spanId: this.spanIdAt(i), name: this.names[i], kind: this.kinds[i], startMs: start, endMs: end,
      durationMs: end - start, status: STATUS[this.flags[i] & 3], attributes: attributes === undefined ? NO_ATTRIBUTES : attributes, links: [], events: [],
    };
    const parent = this.parentIdAt(i);
    if (parent !== undefined) s.parentSpanId = parent;
    this.objects[i] = s;
    return s;
  }
}

function isRecorded(o: CollectedSpan | RecordedSpan): o is RecordedSpan {
  return typeof (o as RecordedSpan).collected === 'function';
}
