// The in-process span collector: the newest finished spans in a bounded buffer, indexed by trace,
// with the queries an operator asks first (a trace by id, by actor, with errors, the slowest).

import { TroupeError } from '../errors.ts';

/** What a span is to the reader: OpenTelemetry's five kinds. */
export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** A span's outcome: `error` when what it timed failed (its `statusMessage` says how). */
export type SpanStatusName = 'unset' | 'ok' | 'error';

/** An attribute value, as OpenTelemetry allows them. */
export type SpanAttributeValue = string | number | boolean | readonly (string | number | boolean | null | undefined)[];

/** A finished span as collected: plain data, read-only (times in epoch milliseconds, see `TracingOptions.epochMs`). */
export interface CollectedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** The parent span's id; absent for a trace's root (or a span whose parent is outside this process). */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: SpanKindName;
  readonly startMs: number;
  readonly endMs: number;
  readonly durationMs: number;
  readonly status: SpanStatusName;
  readonly statusMessage?: string;
  readonly attributes: Readonly<Record<string, SpanAttributeValue>>;
  /** Spans this one follows from without being their child (batches, fan-in, redeliveries). */
  readonly links: readonly { readonly traceId: string; readonly spanId: string; readonly attributes?: Readonly<Record<string, SpanAttributeValue>> }[];
  readonly events: readonly { readonly name: string; readonly timeMs: number; readonly attributes?: Readonly<Record<string, SpanAttributeValue>> }[];
}

/** One trace as the collector holds it. */
export interface TraceSummary {
  readonly traceId: string;
  /** The earliest-starting span without a parent in the trace (else the earliest span). */
  readonly root: string;
  readonly startMs: number;
  /** From the first start to the last end of its collected spans. */
  readonly durationMs: number;
  readonly spanCount: number;
  readonly errorCount: number;
}

/** Options of {@link createSpanCollector}. `maxSpans` (default 10 000): the oldest spans go first beyond it. */
export interface SpanCollectorOptions {
  readonly maxSpans?: number;
}

/** Default capacity of a collector, in spans. */
export const DEFAULT_MAX_SPANS = 10_000;

/**
 * Finished spans kept in memory, newest `maxSpans`. Every query reads what is held now; a trace
 * whose oldest spans were evicted shows the rest.
 */
export interface SpanCollector {
  readonly maxSpans: number;
  /** Spans held now. */
  readonly size: number;
  /** Spans evicted to stay within `maxSpans` since creation (or `clear`). */
  readonly dropped: number;
  /** Every span held, in the order they finished. */
  spans(): CollectedSpan[];
  /** The spans of one trace, by start time (ties: finish order). */
  trace(traceId: string): CollectedSpan[];
  /** Every trace held, oldest first. */
  traces(): TraceSummary[];
  /** Traces with a span whose `troupe.actor.path` is `path` (or, for a path ending in `/*`, under it). */
  byActor(path: string): TraceSummary[];
  /** Traces with at least one span whose status is `error`. */
  withErrors(): TraceSummary[];
  /** The `n` longest traces, longest first. */
  slowest(n: number): TraceSummary[];
  /** Adds a finished span (the tracing of a system calls this). */
  record(span: CollectedSpan): void;
  clear(): void;
}

/**
 * Creates a bounded span collector. Pass it as `tracing.collector` to share one between systems
 * (e.g. every node of a simulated cluster), or read `system.tracing.collector`.
 * @example
 * const collector = createSpanCollector({ maxSpans: 50_000 });
 * const system = createSystem({ tracing: { collector } });
 * console.log(renderTrace(collector.trace(collector.slowest(1)[0].traceId)));
 */
export function createSpanCollector(options: SpanCollectorOptions = {}): SpanCollector {
  const maxSpans = options.maxSpans ?? DEFAULT_MAX_SPANS;
  if (!Number.isSafeInteger(maxSpans) || maxSpans < 1) {
    throw new TroupeError('invalid-argument', `createSpanCollector: maxSpans must be an integer ≥ 1 (default ${DEFAULT_MAX_SPANS}), got ${String(maxSpans)}.`, { field: 'maxSpans' });
  }
  // Recording is the hot path (one ring write); queries are rare and scan what is held.
  const ring: CollectedSpan[] = [];
  let head = 0; // index of the oldest span once the ring is full
  let dropped = 0;

  const inOrder = (): CollectedSpan[] => (ring.length < maxSpans || head === 0 ? ring.slice() : [...ring.slice(head), ...ring.slice(0, head)]);
  const grouped = (): Map<string, CollectedSpan[]> => {
    const by = new Map<string, CollectedSpan[]>();
    for (const s of inOrder()) {
      const list = by.get(s.traceId);
      if (list === undefined) by.set(s.traceId, [s]);
      else list.push(s);
    }
    return by;
  };
  const summarize = (traceId: string, spans: readonly CollectedSpan[]): TraceSummary => {
    let start = Infinity, end = -Infinity, errors = 0;
    let root: CollectedSpan | undefined;
    const ids = new Set(spans.map((s) => s.spanId));
    for (const s of spans) {
      if (s.startMs < start) start = s.startMs;
      if (s.endMs > end) end = s.endMs;
      if (s.status === 'error') errors++;
      const parentless = s.parentSpanId === undefined || !ids.has(s.parentSpanId);
      if (parentless && (root === undefined || s.startMs < root.startMs)) root = s;
    }
    return { traceId, root: (root ?? spans[0]).name, startMs: start, durationMs: end - start, spanCount: spans.length, errorCount: errors };
  };
  const where = (keep: (s: CollectedSpan) => boolean): TraceSummary[] =>
    [...grouped()].filter(([, spans]) => spans.some(keep)).map(([id, spans]) => summarize(id, spans)).sort((a, b) => a.startMs - b.startMs);
  const all = (): TraceSummary[] => where(() => true);

  return {
    maxSpans,
    get size() { return ring.length; },
    get dropped() { return dropped; },
    spans: inOrder,
    trace: (traceId) => inOrder().filter((s) => s.traceId === traceId).sort((a, b) => a.startMs - b.startMs),
    traces: all,
    byActor: (path) => {
      const prefix = path.endsWith('/*') ? path.slice(0, -1) : undefined;
      return where((s) => {
        const p = s.attributes['troupe.actor.path'];
        return typeof p === 'string' && (prefix === undefined ? p === path : p.startsWith(prefix));
      });
    },
    withErrors: () => where((s) => s.status === 'error'),
    slowest: (n) => all().sort((a, b) => b.durationMs - a.durationMs || a.startMs - b.startMs).slice(0, Math.max(0, n)),
    record: (span) => {
      if (ring.length < maxSpans) { ring.push(span); return; }
      ring[head] = span;
      head = head + 1 === maxSpans ? 0 : head + 1;
      dropped++;
    },
    clear: () => { ring.length = 0; head = 0; dropped = 0; },
  };
}
