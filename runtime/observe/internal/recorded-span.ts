// A span Troupe records: the OpenTelemetry `Span` API over plain fields, times in epoch
// milliseconds from the system clock, optionally mirrored to a span of the user's SDK.

import {
  SpanKind, SpanStatusCode, type AttributeValue, type Attributes, type Exception, type HrTime, type Link, type Span, type SpanContext,
  type SpanStatus, type TimeInput,
} from '@opentelemetry/api';
import type { CollectedSpan, SpanAttributeValue, SpanKindName } from '../span-collector.ts';

/** Where a recorded span reports: the clock for default times, and the end of the span. */
export interface SpanSink {
  nowMs(): number;
  finished(span: RecordedSpan): void;
}

export const KIND_NAMES: readonly SpanKindName[] = ['internal', 'server', 'client', 'producer', 'consumer'];
export const KIND_OF: Readonly<Record<SpanKindName, SpanKind>> = {
  internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER,
};

/** Epoch milliseconds as OpenTelemetry's [seconds, nanoseconds]. */
export function toHrTime(ms: number): HrTime {
  const s = Math.floor(ms / 1_000);
  return [s, Math.round((ms - s * 1_000) * 1e6)];
}

/** A TimeInput as epoch milliseconds (numbers are taken as epoch milliseconds). */
export function toMs(t: TimeInput): number {
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  return t[0] * 1_000 + t[1] / 1e6;
}

function cleanAttributes(a: Attributes | undefined, into: Record<string, SpanAttributeValue>): void {
  if (a === undefined) return;
  for (const k of Object.keys(a)) {
    const v = a[k];
    if (v !== undefined && v !== null) into[k] = v as SpanAttributeValue;
  }
}

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_LINKS: readonly never[] = Object.freeze([]);

export class RecordedSpan implements Span {
  private ended = false;
  endMs = 0;
  status: SpanStatus = UNSET;
  readonly attributes: Record<string, SpanAttributeValue>;
  links: Link[] | null;
  events: { name: string; timeMs: number; attributes?: Record<string, SpanAttributeValue> }[] | null = null;

  /**
   * `attributes` are copied (undefined and null values dropped), unless `adopt` says the caller
   * built them for this span alone (clean, and not kept): then they are used as they are.
   */
  constructor(
    private readonly sink: SpanSink,
    public name: string,
    readonly kind: SpanKindName,
    readonly context: SpanContext,
    readonly parentSpanId: string | undefined,
    readonly startMs: number,
    attributes: Attributes | undefined,
    links: readonly Link[] | undefined,
    /** The user's SDK span this one mirrors (its ids are this span's), or null. */
    readonly delegate: Span | null,
    adopt = false,
  ) {
    if (adopt && attributes !== undefined) this.attributes = attributes as Record<string, SpanAttributeValue>;
    else { this.attributes = {}; cleanAttributes(attributes, this.attributes); }
    this.links = links === undefined || links.length === 0 ? null : [...links];
  }

  spanContext(): SpanContext { return this.context; }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended && value !== undefined && value !== null) {
      this.attributes[key] = value as SpanAttributeValue;
      this.delegate?.setAttribute(key, value);
    }
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.ended) { cleanAttributes(attributes, this.attributes); this.delegate?.setAttributes(attributes); }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.ended) return this;
    const isTime = typeof attributesOrStartTime === 'number' || attributesOrStartTime instanceof Date || Array.isArray(attributesOrStartTime);
    const time = isTime ? (attributesOrStartTime as TimeInput) : startTime;
    const timeMs = time === undefined ? this.sink.nowMs() : toMs(time);
    const ev: { name: string; timeMs: number; attributes?: Record<string, SpanAttributeValue> } = { name, timeMs };
    if (!isTime && attributesOrStartTime !== undefined) { ev.attributes = {}; cleanAttributes(attributesOrStartTime as Attributes, ev.attributes); }
    (this.events ??= []).push(ev);
    this.delegate?.addEvent(name, isTime ? undefined : (attributesOrStartTime as Attributes | undefined), toHrTime(timeMs));
    return this;
  }

  addLink(link: Link): this {
    if (!this.ended) { (this.links ??= []).push(link); this.delegate?.addLink(link); }
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (!this.ended) { this.status = status; this.delegate?.setStatus(status); }
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) { this.name = name; this.delegate?.updateName(name); }
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.ended = true;
    this.endMs = Math.max(this.startMs, endTime === undefined ? this.sink.nowMs() : toMs(endTime));
    this.delegate?.end(toHrTime(this.endMs));
    this.sink.finished(this);
  }

  isRecording(): boolean { return !this.ended; }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const e = exception as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
      if (typeof e.name === 'string') attributes['exception.type'] = e.name;
      else if (typeof e.code === 'string' || typeof e.code === 'number') attributes['exception.type'] = String(e.code);
      if (typeof e.message === 'string') attributes['exception.message'] = e.message;
      if (typeof e.stack === 'string') attributes['exception.stacktrace'] = e.stack;
    }
    this.addEvent('exception', attributes, time);
  }

  /** The finished span as plain data (it shares this span's attribute object: nothing changes it after the end). */
  collected(): CollectedSpan {
    const c = this.context;
    const code = this.status.code;
    const s: { -readonly [K in keyof CollectedSpan]: CollectedSpan[K] } = {
      traceId: c.traceId, spanId: c.spanId, name: this.name, kind: this.kind, startMs: this.startMs, endMs: this.endMs,
      durationMs: this.endMs - this.startMs,
      status: code === SpanStatusCode.ERROR ? 'error' : code === SpanStatusCode.OK ? 'ok' : 'unset',
      attributes: this.attributes,
      links: this.links === null ? NO_LINKS : this.links.map((l) => {
        const out: { traceId: string; spanId: string; attributes?: Record<string, SpanAttributeValue> } = { traceId: l.context.traceId, spanId: l.context.spanId };
        if (l.attributes !== undefined) { out.attributes = {}; cleanAttributes(l.attributes, out.attributes); }
        return out;
      }),
      events: this.events ?? NO_LINKS,
    };
    if (this.parentSpanId !== undefined) s.parentSpanId = this.parentSpanId;
    if (code === SpanStatusCode.ERROR && this.status.message !== undefined) s.statusMessage = this.status.message;
    return s;
  }
}
