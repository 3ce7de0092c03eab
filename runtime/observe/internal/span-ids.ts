// Trace and span ids from a seeded random stream, held as 32-bit words: W3C's lower-case hex
// strings are made only when something reads them (a remote hop, a log line, a query), so a span
// that stays in the process never builds one.

import type { SpanContext, TraceState } from '@opentelemetry/api';
import type { Random } from '../../random.ts';
import { anonymousClass } from './anonymous-class.ts';

/** @internal A span context of Troupe's: words `t0..t3` (trace id) and `s0, s1` (span id), as signed 32-bit integers. */
export interface WordContext extends SpanContext {
  readonly t0: number; readonly t1: number; readonly t2: number; readonly t3: number;
  readonly s0: number; readonly s1: number;
  /** The trace id's hex, once made (children of a context share it). */
  tid: string | undefined;
}

/**
 * @internal The context class: `traceId` and `spanId` are getters that format (once) on first read —
 * a spread (`{ ...ctx }`) does not copy them; `toJSON` gives the usual fields.
 */
export const WordContext: new (
  t0: number, t1: number, t2: number, t3: number, s0: number, s1: number, traceFlags: number, traceState: TraceState | undefined,
) => WordContext = anonymousClass(() => class {
  tid: string | undefined = undefined;
  private sid: string | undefined = undefined;
  constructor(
    readonly t0: number, readonly t1: number, readonly t2: number, readonly t3: number,
    readonly s0: number, readonly s1: number, readonly traceFlags: number, readonly traceState: TraceState | undefined,
  ) {}

  get traceId(): string { return this.tid ??= hex128(this.t0, this.t1, this.t2, this.t3); }
  get spanId(): string { return this.sid ??= hex64(this.s0, this.s1); }
  toJSON(): SpanContext {
    return this.traceState === undefined
      ? { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags }
      : { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags, traceState: this.traceState };
  }
});

/** @internal The words of a 16-digit hex id (`[hi, lo]`), of any context's span id. */
export function spanWords(c: SpanContext): readonly [number, number] {
  if (c instanceof WordContext) return [c.s0, c.s1];
  const s = c.spanId;
  return [word(s, 0), word(s, 8)];
}

/** @internal Any context as a WordContext (the same object when it is one already). */
export function toWordContext(c: SpanContext): WordContext {
  if (c instanceof WordContext) return c;
  const t = c.traceId, [s0, s1] = spanWords(c);
  return new WordContext(word(t, 0), word(t, 8), word(t, 16), word(t, 24), s0, s1, c.traceFlags, c.traceState);
}

/** The 32-bit word of the 8 hex digits at `k` of `hex` (either case), signed. */
function word(hex: string, k: number): number {
  let v = 0;
  for (let i = k; i < k + 8; i++) {
    const c = hex.charCodeAt(i);
    v = (v << 4) | (c <= 57 ? c - 48 : (c | 32) - 87);
  }
  return v;
}

/** @internal Ids of one system's spans (a stream of its own, derived from the system's seed). */
export class SpanIds {
  constructor(private readonly random: Random) {}

  /** The generator's next 32-bit output, exactly, as a signed integer. */
  word(): number {
    return (this.random.next() * 4294967296) | 0;
  }

  /** A root context: a new trace id, a new span id (neither all zero). */
  root(traceFlags: number): WordContext {
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    do { t0 = this.word(); t1 = this.word(); t2 = this.word(); t3 = this.word(); } while ((t0 | t1 | t2 | t3) === 0);
    let s0 = 0, s1 = 0;
    do { s0 = this.word(); s1 = this.word(); } while ((s0 | s1) === 0);
    return new WordContext(t0, t1, t2, t3, s0, s1, traceFlags, undefined);
  }

  /** A child of `parent`: its trace id and state, a new span id. */
  child(parent: SpanContext, traceFlags: number): WordContext {
    const p = toWordContext(parent);
    let s0 = 0, s1 = 0;
    do { s0 = this.word(); s1 = this.word(); } while ((s0 | s1) === 0);
    const c = new WordContext(p.t0, p.t1, p.t2, p.t3, s0, s1, traceFlags, parent.traceState);
    c.tid = p.tid;
    return c;
  }
}

/**
 * @internal A version-00 `traceparent` of exactly 55 characters (lower-case hex, ids not all
 * zero) as a context, without a regular expression; null for anything else (read it with
 * decodeTraceContext then, which says why).
 */
export function traceparentWords(tp: string): WordContext | null {
  if (tp.length !== 55 || tp.charCodeAt(0) !== 48 || tp.charCodeAt(1) !== 48 || tp.charCodeAt(2) !== 45 || tp.charCodeAt(35) !== 45 || tp.charCodeAt(52) !== 45) return null;
  for (let i = 3; i < 55; i++) {
    if (i === 35 || i === 52) continue;
    const c = tp.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return null;
  }
  const t0 = word(tp, 3), t1 = word(tp, 11), t2 = word(tp, 19), t3 = word(tp, 27), s0 = word(tp, 36), s1 = word(tp, 44);
  if ((t0 | t1 | t2 | t3) === 0 || (s0 | s1) === 0) return null;
  return new WordContext(t0, t1, t2, t3, s0, s1, parseInt(tp.slice(53, 55), 16), undefined);
}

const HEX: number[] = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/** @internal Two 32-bit words as 16 lower-case hex digits, built as one flat string. */
export function hex64(p: number, q: number): string {
  const h = HEX;
  return String.fromCharCode(
    h[p >>> 28], h[(p >>> 24) & 15], h[(p >>> 20) & 15], h[(p >>> 16) & 15], h[(p >>> 12) & 15], h[(p >>> 8) & 15], h[(p >>> 4) & 15], h[p & 15],
    h[q >>> 28], h[(q >>> 24) & 15], h[(q >>> 20) & 15], h[(q >>> 16) & 15], h[(q >>> 12) & 15], h[(q >>> 8) & 15], h[(q >>> 4) & 15], h[q & 15],
  );
}

/** @internal Four 32-bit words as 32 lower-case hex digits. */
export function hex128(a: number, b: number, c: number, d: number): string {
  const h = HEX;
  return String.fromCharCode(
    h[a >>> 28], h[(a >>> 24) & 15], h[(a >>> 20) & 15], h[(a >>> 16) & 15], h[(a >>> 12) & 15], h[(a >>> 8) & 15], h[(a >>> 4) & 15], h[a & 15],
    h[b >>> 28], h[(b >>> 24) & 15], h[(b >>> 20) & 15], h[(b >>> 16) & 15], h[(b >>> 12) & 15], h[(b >>> 8) & 15], h[(b >>> 4) & 15], h[b & 15],
    h[c >>> 28], h[(c >>> 24) & 15], h[(c >>> 20) & 15], h[(c >>> 16) & 15], h[(c >>> 12) & 15], h[(c >>> 8) & 15], h[(c >>> 4) & 15], h[c & 15],
    h[d >>> 28], h[(d >>> 24) & 15], h[(d >>> 20) & 15], h[(d >>> 16) & 15], h[(d >>> 12) & 15], h[(d >>> 8) & 15], h[(d >>> 4) & 15], h[d & 15],
  );
}
