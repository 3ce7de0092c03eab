// The in-process span collector: the newest finished spans in a bounded buffer, indexed by trace,
// with the queries an operator asks first (a trace by id, by actor, with errors, the slowest).

import { TroupeError } from '../errors.ts';
import { SpanRing } from './internal/span-ring.ts';

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
  return new RingCollector(new SpanRing(maxSpans));
}

/**
 * @internal The collector createSpanCollector makes. Recording is the hot path (a few column
 * writes, see SpanRing); queries are rare and scan what is held, building spans only for what
 * they return.
 */
export class RingCollector implements SpanCollector {
  constructor(readonly ring: SpanRing) {}

  get maxSpans(): number { return this.ring.maxSpans; }
  get size(): number { return this.ring.size; }
  get dropped(): number { return this.ring.dropped; }

  spans(): CollectedSpan[] {
    return this.ring.order().map((i) => this.ring.spanAt(i));
  }

  trace(traceId: string): CollectedSpan[] {
    const r = this.ring;
    const at = r.order().filter((i) => r.traceIdAt(i) === traceId);
    return at.sort((a, b) => r.startAt(a) - r.startAt(b)).map((i) => r.spanAt(i)); // stable: ties keep finish order
  }

  traces(): TraceSummary[] { return this.where(() => true); }

  byActor(path: string): TraceSummary[] {
    const prefix = path.endsWith('/*') ? path.slice(0, -1) : undefined;
    return this.where((i) => {
      const p = this.ring.attributeAt(i, 'troupe.actor.path');
      return typeof p === 'string' && (prefix === undefined ? p === path : p.startsWith(prefix));
    });
  }

  withErrors(): TraceSummary[] { return this.where((i) => this.ring.isErrorAt(i)); }

  slowest(n: number): TraceSummary[] {
    return this.traces().sort((a, b) => b.durationMs - a.durationMs || a.startMs - b.startMs).slice(0, Math.max(0, n));
  }

  record(span: CollectedSpan): void { this.ring.record(span); }

  clear(): void { this.ring.clear(); }

  /** Summaries of the traces with a span in a slot that passes `keep`, oldest first. */
  private where(keep: (slot: number) => boolean): TraceSummary[] {
    const r = this.ring;
    const by = new Map<string, number[]>();
    for (const i of r.order()) {
      const id = r.traceIdAt(i);
      const list = by.get(id);
      if (list === undefined) by.set(id, [i]);
      else list.push(i);
    }
    const out: TraceSummary[] = [];
    for (const [id, slots] of by) if (slots.some(keep)) out.push(this.summarize(id, slots));
    return out.sort((a, b) => a.startMs - b.startMs);
  }

  private summarize(traceId: string, slots: readonly number[]): TraceSummary {
    const r = this.ring;
    let start = Infinity, end = -Infinity, errors = 0;
    let root = -1;
    const ids = new Set(slots.map((i) => r.spanIdAt(i)));
    for (const i of slots) {
      if (r.startAt(i) < start) start = r.startAt(i);
      if (r.endAt(i) > end) end = r.endAt(i);
      if (r.isErrorAt(i)) errors++;
      const parent = r.parentIdAt(i);
      const parentless = parent === undefined || !ids.has(parent);
      if (parentless && (root < 0 || r.startAt(i) < r.startAt(root))) root = i;
    }
    return { traceId, root: r.nameAt(root < 0 ? slots[0] : root), startMs: start, durationMs: end - start, spanCount: slots.length, errorCount: errors };
  }
}
