// W3C trace context in and out: reading a `traceparent`/`tracestate` pair totally (a typed reason
// when it cannot be used, never a throw) and writing one, with OpenTelemetry core's parser.

import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { parseTraceParent, TraceState } from '@opentelemetry/core';

/** The ids of the trace context active where it is asked for (the message being handled, a span). */
export interface TraceIds {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits: the span that is running. */
  readonly spanId: string;
}

/**
 * Why an incoming trace context was ignored (the message itself is delivered, untraced):
 * `not-a-string`, `too-long` (over 512 characters), `malformed` (not `vv-<32 hex>-<16 hex>-ff`),
 * `unsupported-version` (version `ff`, or version `00` with extra fields), `zero-trace-id`,
 * `zero-span-id`.
 */
export type TraceContextRejection = 'not-a-string' | 'too-long' | 'malformed' | 'unsupported-version' | 'zero-trace-id' | 'zero-span-id';

/** What {@link decodeTraceContext} read. */
export type DecodedTraceContext =
  | { readonly ok: true; readonly context: SpanContext }
  | { readonly ok: false; readonly reason: TraceContextRejection };

/** Longest `traceparent` or `tracestate` accepted, in characters (W3C caps tracestate at 512). */
export const MAX_TRACE_HEADER = 512;

const SHAPE = /^\s?([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?\s?$/;

/**
 * Reads a W3C `traceparent` (and optional `tracestate`) as a remote span context. Total: any
 * value gives either a context or the reason it was ignored. An unreadable `tracestate` is dropped
 * (the `traceparent` still counts), as the W3C recommendation says.
 *
 * @example
 * const d = decodeTraceContext('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
 * if (d.ok) d.context.traceId // '4bf92f35…'
 */
export function decodeTraceContext(traceparent: unknown, tracestate?: unknown): DecodedTraceContext {
  if (typeof traceparent !== 'string') return { ok: false, reason: 'not-a-string' };
  if (traceparent.length > MAX_TRACE_HEADER) return { ok: false, reason: 'too-long' };
  const parsed = parseTraceParent(traceparent);
  if (parsed === null) return { ok: false, reason: whyNot(traceparent) };
  const context: { -readonly [K in keyof SpanContext]: SpanContext[K] } = { ...parsed, isRemote: true };
  if (typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= MAX_TRACE_HEADER) {
    try {
      const state = new TraceState(tracestate);
      if (state.serialize().length > 0) context.traceState = state;
    } catch { /* an unreadable tracestate is dropped */ }
  }
  return { ok: true, context };
}

function whyNot(text: string): TraceContextRejection {
  const m = SHAPE.exec(text);
  if (m === null) return 'malformed';
  if (m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return 'unsupported-version';
  if (/^0+$/.test(m[2])) return 'zero-trace-id';
  if (/^0+$/.test(m[3])) return 'zero-span-id';
  return 'malformed';
}

/**
 * Writes a span context as a W3C `traceparent` (version 00).
 * @example formatTraceparent(span.spanContext()) // '00-<trace id>-<span id>-01'
 */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff) < 16 ? '0' : ''}${(context.traceFlags & 0xff).toString(16)}`;
}

/** True when the context says its trace is sampled (recorded). */
export function isSampled(context: SpanContext): boolean {
  return (context.traceFlags & TraceFlags.SAMPLED) !== 0;
}

/**
 * The wire envelope's trace slot: the `traceparent`, then `;` and the `tracestate` when there is
 * one (`;` never occurs in a traceparent, so the first one splits them).
 */
export function encodeTraceSlot(context: SpanContext): string {
  const tp = formatTraceparent(context);
  const ts = context.traceState?.serialize();
  return ts === undefined || ts.length === 0 ? tp : `${tp};${ts}`;
}

/** Reads the wire envelope's trace slot (see {@link encodeTraceSlot}); total. */
export function decodeTraceSlot(slot: unknown): DecodedTraceContext {
  if (typeof slot !== 'string') return { ok: false, reason: 'not-a-string' };
  if (slot.length > 2 * MAX_TRACE_HEADER + 1) return { ok: false, reason: 'too-long' };
  const cut = slot.indexOf(';');
  return cut < 0 ? decodeTraceContext(slot) : decodeTraceContext(slot.slice(0, cut), slot.slice(cut + 1));
}
