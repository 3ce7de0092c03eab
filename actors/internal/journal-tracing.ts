// Tracing where events are written and read back: an `append` span whose traceparent is kept in
// each event's metadata, and a span that continues it where the event is handled later
// (a projection, a resumed saga). Nothing happens when the system's tracing is off.

import type { Attributes, SpanContext } from '@opentelemetry/api';
import type { ActorSystem } from '../../runtime/system.ts';
import * as A from '../../runtime/observe/internal/attributes.ts';
import type { RecordedSpan } from '../../runtime/observe/internal/recorded-span.ts';
import { formatTraceparent } from '../../runtime/observe/trace-context.ts';
import type { SpanKindName } from '../../runtime/observe/span-collector.ts';
import { failSpan, isAsyncFunction, traceHostOf } from '../../runtime/observe/tracing.ts';
import type { NewEvent } from '../journal/journal.ts';

/** A `journal append` span under `parent` (default: the active context); null when tracing is off or nothing is traced. */
export function startAppendSpan(system: ActorSystem, stream: string, count: number, parent?: SpanContext | null): RecordedSpan | null {
  const tracing = traceHostOf(system);
  if (tracing === null) return null;
  const p = parent === undefined ? tracing.activeContext() : parent;
  if (p === null) return null;
  const attributes: Attributes = { [A.NODE]: tracing.node, [A.JOURNAL_STREAM]: stream };
  if (count > 1) attributes[A.MESSAGING_BATCH_MESSAGE_COUNT] = count;
  return tracing.open('journal append', 'client', p, attributes);
}

/** The events with the span's traceparent in their metadata (those that carry one of their own keep it). */
export function withTraceparent(events: readonly NewEvent[], span: RecordedSpan | null): readonly NewEvent[] {
  if (span === null) return events;
  const traceparent = formatTraceparent(span.context);
  return events.map((e) => (e.meta?.traceparent !== undefined ? e : { ...e, meta: { ...e.meta, traceparent } }));
}

/** Ends a span: its work finished, or failed with `error`. */
export function endSpan(span: RecordedSpan | null, error?: unknown): void {
  if (span === null) return;
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/** The context kept in an event's metadata, when tracing is on and it is readable and sampled (an unreadable one is counted). */
export function contextFromMeta(system: ActorSystem, traceparent: string | undefined): SpanContext | null {
  const tracing = traceHostOf(system);
  if (tracing === null || traceparent === undefined) return null;
  const c = tracing.readTraceparent(traceparent);
  return c === undefined || (c.traceFlags & 1) === 0 ? null : c;
}

/** A span under `parent` (null: none is started); for handling an event in the trace that wrote it. */
export function startChildSpan(system: ActorSystem, name: string, kind: SpanKindName, parent: SpanContext | null, attributes: Attributes): RecordedSpan | null {
  const tracing = traceHostOf(system);
  if (tracing === null || parent === null) return null;
  return tracing.open(name, kind, parent, { [A.NODE]: tracing.node, ...attributes });
}

/**
 * Runs `fn` in `span`, ending it when `fn` returns or settles; `fn` alone when span is null.
 * `calls` is the user function `fn` calls: when it is `async`, its code after an await sees the span too.
 */
export function runInSpan<T>(system: ActorSystem, span: RecordedSpan | null, fn: () => T, calls?: unknown): T {
  return span === null ? fn() : traceHostOf(system)!.runIn(span, fn, true, isAsyncFunction(calls ?? fn));
}

/** The active sampled context of `system` (tracing on), else null. */
export function activeContextOf(system: ActorSystem): SpanContext | null {
  return traceHostOf(system)?.activeContext() ?? null;
}
