// Tracing on the event bus: a `publish <topic>` producer span whose context travels in the
// event's headers, and a `process <topic>` consumer span per delivery that continues it
// (a redelivery also links to the publish). Nothing happens when the system's tracing is off.

import { SpanStatusCode, type Attributes, type Link, type Span } from '@opentelemetry/api';
import type { ActorSystem } from '../../../runtime/system.ts';
import * as A from '../../../runtime/observe/internal/attributes.ts';
import type { RecordedSpan } from '../../../runtime/observe/internal/recorded-span.ts';
import { formatTraceparent } from '../../../runtime/observe/trace-context.ts';
import { failSpan, isAsyncFunction, traceHostOf } from '../../../runtime/observe/tracing.ts';
import type { BusEvent } from '../event.ts';

/** The producer span of a publish of `count` events to `topic`, under the active trace; null when none. */
export function startPublishSpan(system: ActorSystem, topic: string, count: number): RecordedSpan | null {
  const tracing = traceHostOf(system);
  if (tracing === null) return null;
  const parent = tracing.activeContext();
  if (parent === null) return null;
  const attributes: Attributes = {
    [A.MESSAGING_SYSTEM]: A.TROUPE, [A.NODE]: tracing.node, [A.MESSAGING_OPERATION_TYPE]: 'send', [A.MESSAGING_OPERATION_NAME]: 'publish',
    [A.MESSAGING_DESTINATION_NAME]: topic,
  };
  if (count > 1) attributes[A.MESSAGING_BATCH_MESSAGE_COUNT] = count;
  return tracing.open(`publish ${topic}`, 'producer', parent, attributes);
}

/** Puts the span's context into an event's headers, unless the publisher gave a `traceparent` of its own. */
export function addTraceHeaders(headers: Record<string, string>, span: RecordedSpan | null): void {
  if (span === null || headers.traceparent !== undefined) return;
  headers.traceparent = formatTraceparent(span.context);
  const ts = span.context.traceState?.serialize();
  if (ts) headers.tracestate = ts;
}

/** Ends a publish span: the append resolved, or failed with `error`. */
export function endPublishSpan(span: RecordedSpan | null, error?: unknown): void {
  if (span === null) return;
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/**
 * The consumer span of one delivery of `event` (continuing its `traceparent` header), or null
 * when tracing is off or the event carries no sampled context. An unreadable header is counted
 * in `tracing.rejected` and ignored.
 */
export function startDeliverySpan(system: ActorSystem, event: BusEvent<unknown>, attempt: number, subscription: string, group: string | null): RecordedSpan | null {
  const tracing = traceHostOf(system);
  if (tracing === null) return null;
  const parent = tracing.readTraceparent(event.headers.traceparent, event.headers.tracestate);
  if (parent === undefined || (parent.traceFlags & 1) === 0) return null;
  const attributes: Attributes = {
    [A.MESSAGING_SYSTEM]: A.TROUPE, [A.NODE]: tracing.node, [A.MESSAGING_OPERATION_TYPE]: 'process', [A.MESSAGING_OPERATION_NAME]: 'process',
    [A.MESSAGING_DESTINATION_NAME]: event.topic, [A.MESSAGING_DESTINATION_PARTITION_ID]: String(event.partition),
    [A.MESSAGING_MESSAGE_ID]: event.id, [A.DELIVERY_ATTEMPT]: attempt, 'troupe.bus.subscription': subscription,
  };
  if (group !== null) attributes[A.MESSAGING_CONSUMER_GROUP_NAME] = group;
  const correlation = event.headers['correlation-id'];
  if (correlation !== undefined) attributes[A.MESSAGING_MESSAGE_CONVERSATION_ID] = correlation;
  const links: Link[] | undefined = attempt > 1 ? [{ context: parent, attributes: { [A.LINK_REASON]: 'redelivery-of' } }] : undefined;
  return tracing.open(`process ${event.topic}`, 'consumer', parent, attributes, links);
}

/** Runs the handler (`fn` calls `calls`) in the delivery's span (the span is ended by {@link endDeliverySpan}). */
export function inDeliverySpan<T>(system: ActorSystem, span: RecordedSpan | null, fn: () => T, calls: unknown): T {
  if (span === null) return fn();
  return traceHostOf(system)!.runIn(span, fn, false, isAsyncFunction(calls));
}

/** Ends a delivery span: handled, or failed with the handler's error text. */
export function endDeliverySpan(span: Span | null, error: string | undefined): void {
  if (span === null) return;
  if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error.slice(0, 500) });
  span.end();
}
