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

/** Copies `a` into `into`, dropping undefined and null values. */
export function cleanAttributes(a: Attributes | undefined, into: Record<string, SpanAttributeValue>): Record<string, SpanAttributeValue> {
  if (a === undefined) return into;
  for (const k of Object.keys(a)) {
    const v = a[k];
    if (v !== undefined && v !== null) into[k] = v as SpanAttributeValue;
  }
  return into;
}

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NO_LINKS: readonly never[] = Object.freeze([]);

/** @internal Attributes shared by many spans (a template: never changed once made). */
export type SharedAttributes = Readonly<Record<string, SpanAttributeValue>>;

/**
 * A span as Troupe records it. Its attributes are a shared template (`base`, e.g. the same for
 * every message of one type to one actor), at most one numeric attribute held as a number
 * (`numKey`/`num`: the mailbox wait), and the attributes set on this span alone (`own`, made on
 * first use) — so the common span allocates no attribute object (see span-ring.ts).
 */
export class RecordedSpan implements Span {
  private ended = false;
  endMs = 0;
  status: SpanStatus = UNSET;
  links: Link[] | null;
  events: { name: string; timeMs: number; attributes?: Record<string, SpanAttributeValue> }[] | null = null;

  constructor(
    private readonly sink: SpanSink,
    public name: string,
    readonly kind: SpanKindName,
    readonly context: SpanContext,
    /** The context this span is a child of (null: a root). */
    readonly parent: SpanContext | null,
    readonly startMs: number,
    readonly base: SharedAttributes,
    /** This span's own attributes (later ones win over `base`), or null. */
    public own: Record<string, SpanAttributeValue> | null,
    links: readonly Link[] | undefined,
    /** The user's SDK span this one mirrors (its ids are this span's), or null. */
    readonly delegate: Span | null,
    readonly numKey: string | null = null,
    readonly num: number = 0,
  ) {
    this.links = links === undefined || links.length === 0 ? null : [...links];
  }

  /** Every attribute, as one object. */
  get attributes(): Record<string, SpanAttributeValue> {
    const a: Record<string, SpanAttributeValue> = { ...this.base };
    if (this.numKey !== null) a[this.numKey] = this.num;
    if (this.own !== null) Object.assign(a, this.own);
    return a;
  }

  spanContext(): SpanContext { return this.context; }

  get parentSpanId(): string | undefined { return this.parent === null ? undefined : this.parent.spanId; }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended && value !== undefined && value !== null) {
      (this.own ??= {})[key] = value as SpanAttributeValue;
      this.delegate?.setAttribute(key, value);
    }
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (!this.ended) { cleanAttributes(attributes, this.own ??= {}); this.delegate?.setAttributes(attributes); }
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

  /** The finished span as plain data (attributes shared with the template when the span has no others: nothing changes either). */
  collected(): CollectedSpan {
    const c = this.context;
    const code = this.status.code;
    const s: { -readonly [K in keyof CollectedSpan]: CollectedSpan[K] } = {
      traceId: c.traceId, spanId: c.spanId, name: this.name, kind: this.kind, startMs: this.startMs, endMs: this.endMs,
      durationMs: this.endMs - this.startMs,
      status: code === SpanStatusCode.ERROR ? 'error' : code === SpanStatusCode.OK ? 'ok' : 'unset',
      attributes: this.numKey === null && this.own === null ? this.base : this.attributes,
      links: this.links === null ? NO_LINKS : this.links.map((l) => {
        const out: { traceId: string; spanId: string; attributes?: Record<string, SpanAttributeValue> } = { traceId: l.context.traceId, spanId: l.context.spanId };
        if (l.attributes !== undefined) { out.attributes = {}; cleanAttributes(l.attributes, out.attributes); }
        return out;
      }),
      events: this.events ?? NO_LINKS,
    };
    if (this.parent !== null) s.parentSpanId = this.parent.spanId;
    if (code === SpanStatusCode.ERROR && this.status.message !== undefined) s.statusMessage = this.status.message;
    return s;
  }
}
