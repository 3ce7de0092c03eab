// Tracing of one system: which trace context is active, the spans of every delivery path
// (tell, ask, timers, remote hops, dead letters), sampling at the root, and the collector.
// Off (the default) it does not exist: the runtime checks one null field.

import { AsyncLocalStorage } from 'node:async_hooks';
import {
  context as otelContext, INVALID_SPAN_CONTEXT, isSpanContextValid, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags,
  type Attributes, type Context, type Link, type Span, type SpanContext, type SpanOptions, type Tracer, type TracerProvider,
} from '@opentelemetry/api';
import type { Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import { messageTypeOf, type DeadLetterReason } from '../events.ts';
import { createSeededRandom, type Random } from '../random.ts';
import { realClock, realClockEpochMs, wallClockMs } from '../real-clock.ts';
import * as A from './internal/attributes.ts';
import { cleanAttributes, KIND_NAMES, KIND_OF, RecordedSpan, toHrTime, toMs, type SharedAttributes, type SpanSink } from './internal/recorded-span.ts';
import { SpanIds, traceparentWords } from './internal/span-ids.ts';
import type { SpanRing } from './internal/span-ring.ts';
import { anonymousClass } from './internal/anonymous-class.ts';
import { TracedMessage } from './internal/traced-message.ts';
import { isUntracedActor } from './internal/untraced-actors.ts';
import { checkSampler, createSampleDecision, DEFAULT_SAMPLER, type SampleDecision, type SamplerSpec } from './sampler.ts';
import { createSpanCollector, RingCollector, type SpanAttributeValue, type SpanCollector, type SpanKindName } from './span-collector.ts';
import {
  decodeTraceContext, encodeTraceSlot, decodeTraceSlot, formatTraceparent, isSampled, type TraceContextRejection, type TraceIds,
} from './trace-context.ts';

/**
 * The `tracing` option of createSystem / createNode / createTestSystem (tracing is off without
 * it). Defaults:
 * - `sampler`: {@link sampleParentBased}(sampleAlways()) — decided once where a trace starts;
 * - `collector`: a new in-process collector of 10 000 spans; pass your own to share one between
 *   systems, or `false` for none (spans then go only to `tracerProvider`);
 * - `tracerProvider`: none — Troupe records its spans itself, with ids from the system's seeded
 *   random and times from its clock (a seeded test run yields the same spans). Give your
 *   OpenTelemetry SDK's provider (or `trace.getTracerProvider()` after registering one) and
 *   every span is also created there, with that SDK's ids, and exported by its processors;
 * - `epochMs`: wall-clock milliseconds at clock time 0, to stamp spans — default: for the real
 *   clock the process's `performance.timeOrigin` (one time line for all its systems); for another
 *   clock `Date.now() − clock.now()` at start; for test systems and simulated clusters 0.
 */
export interface TracingOptions {
  readonly sampler?: SamplerSpec;
  readonly collector?: SpanCollector | false;
  readonly tracerProvider?: TracerProvider;
  readonly epochMs?: number;
}

/** Options of {@link Tracing.inSpan}. */
export interface InSpanOptions {
  /** Default `'internal'` (use `'server'` for a request entering the system). */
  readonly kind?: SpanKindName;
  readonly attributes?: Attributes;
  /** Continue this W3C context instead of the active one (an unreadable one is ignored and counted in `rejected`). */
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly links?: Link[];
}

/**
 * The tracing of a system (`system.tracing`, undefined when off).
 *
 * A trace starts where code asks for one — {@link Tracing.inSpan}, `traceHttpRequest`, a span of
 * `tracer` with no parent, or the caller's own OpenTelemetry span (read from the registered
 * context manager when a message is sent from outside any actor). Messages sent while a sampled
 * trace is active carry it: the handler of each runs in a `process <type>` consumer span whose
 * parent is the span that sent it; asks add an `ask <type>` client span until the reply; a
 * remote send adds a `send <type>` producer span whose `traceparent` crosses the wire; a
 * single-shot `ctx.timers` message continues the context that started the timer.
 */
export interface Tracing {
  /** An OpenTelemetry tracer whose spans join Troupe's traces (parent: the active context). */
  readonly tracer: Tracer;
  /** The in-process collector, unless `collector: false`. */
  readonly collector: SpanCollector | undefined;
  readonly sampler: SamplerSpec;
  /** The active sampled trace context (the message being handled, a span run by `inSpan`), if any. */
  current(): TraceIds | undefined;
  /**
   * Runs `fn` in a new span — a child of the active context (or of `options.traceparent`), or the
   * root of a new trace when there is none (the sampler decides; unsampled, `fn` gets a
   * non-recording span). Messages sent in `fn` and its async continuations join the trace. The
   * span ends when `fn` returns or its promise settles; a throw or rejection marks it `error`.
   */
  inSpan<T>(name: string, fn: (span: Span) => T, options?: InSpanOptions): T;
  /** The active context as W3C headers (`traceparent`, `tracestate`): {} when none. */
  headers(): Record<string, string>;
  /** How many incoming trace contexts (wire envelopes, headers, journal metadata) were ignored, by reason. */
  readonly rejected: Readonly<Partial<Record<TraceContextRejection, number>>>;
}

/** What the host needs of its system. */
export interface TraceHostSystem {
  readonly name: string;
  readonly node: string;
  readonly clock: Clock;
  readonly random: Random;
}

/** @internal What a traced turn runs: the cell's handling of one message (see ActorCell.handle). */
export interface TracedCell {
  readonly path: string;
  readonly def: object;
  handle(msg: unknown, now: MessageHolder | null): unknown;
}

/** @internal The metrics/logs observer's holder of the message a turn handles (null when nothing logs). */
export interface MessageHolder { msg: unknown }

/** @internal The value `ActorCell.handle` returns when the behavior threw. */
export interface HandlerThrew { readonly error: unknown }
/** @internal (anonymous: see internal/anonymous-class.ts) */
export const HandlerThrew: new (error: unknown) => HandlerThrew = anonymousClass(() => class { constructor(readonly error: unknown) {} });

/** @internal An ask that carries a client span. */
export interface TracedAsk {
  span: RecordedSpan | null;
}

/** The shared part of a span's attributes and its name, made once per actor and message type (or target and type). */
interface SpanTemplate {
  readonly name: string;
  readonly base: SharedAttributes;
}

/** Message types remembered per actor or target; beyond that, templates are made per span. */
const MAX_TEMPLATES_PER_KEY = 64;
/** Targets (paths, nodes) remembered; beyond that the cache starts over. */
const MAX_TEMPLATE_KEYS = 10_000;

/** A template cache: by actor (weak) or by a path or node name (bounded). */
type TemplateCache<K> = K extends object ? WeakMap<K, Map<string, SpanTemplate>> : Map<K, Map<string, SpanTemplate>>;

/**
 * The context of code running in an unsampled trace whose ids nobody has asked for: one shared
 * object, so an unsampled request allocates nothing; `headers()` gives it ids on first use.
 */
const UNSAMPLED: SpanContext = Object.freeze({ traceId: INVALID_SPAN_CONTEXT.traceId, spanId: INVALID_SPAN_CONTEXT.spanId, traceFlags: TraceFlags.NONE });

const sampled = (c: SpanContext): boolean => (c.traceFlags & TraceFlags.SAMPLED) !== 0;

/**
 * True when an OpenTelemetry context manager is registered globally: `context.with` then makes a
 * context active (the no-op manager does not).
 */
function otelContextManagerRegistered(): boolean {
  const probe = ROOT_CONTEXT.setValue(Symbol('troupe.probe'), true);
  return otelContext.with(probe, () => otelContext.active() === probe);
}
/** The span code gets when its trace is not sampled (or tracing is off): records nothing. */
export const NON_RECORDING: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const handleIn = (cell: TracedCell, msg: unknown, holder: MessageHolder | null): unknown => cell.handle(msg, holder);
const AsyncFunction = (async () => {}).constructor;

/**
 * True for an `async` function. Only those run in the async context (AsyncLocalStorage), so that
 * their code after an `await` still sees the span: on Node 20–22 an AsyncLocalStorage in use makes
 * every promise in the process cost more, which plain functions (and plain handlers returning a
 * promise: their ctx sends still continue the span, see contextFor) do not pay.
 */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && fn.constructor === AsyncFunction;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'string' ? e : String(e);
}

/** Marks a span failed by `error` (status, `error.type`, an `exception` event). */
export function failSpan(span: Span, error: unknown): void {
  const code = (error as { code?: unknown } | null)?.code;
  span.setAttribute(A.ERROR_TYPE, typeof code === 'string' ? code : error instanceof Error ? error.name : typeof error);
  if (error instanceof Error || typeof error === 'string') span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorText(error).slice(0, 500) });
}

/** @internal The tracing of one system. */
export class TraceHost implements Tracing, SpanSink {
  /**
   * The context of the code running now, set synchronously: inside an actor's turn the span of
   * its message (null: an untraced message), inside `inSpan` its span, or an unsampled context
   * (flags 00: sends carry nothing; `headers()` still gives it). undefined: not set here — then
   * the async context (`als`) or the caller's OpenTelemetry context tells.
   */
  active: SpanContext | null | undefined = undefined;
  /** The turn running now handles a message sent by a timer. */
  private viaTimer = false;
  /** `process <type>` templates by actor (cell) and message type. */
  private readonly processTemplates = new WeakMap<object, Map<string, SpanTemplate>>();
  /** `ask <type>` templates by target path; `send <type>` templates by target node (each bounded: cleared when full). */
  private readonly askTemplates = new Map<string, Map<string, SpanTemplate>>();
  private readonly sendTemplates = new Map<string, Map<string, SpanTemplate>>();
  /** What every span of this system carries at least: `troupe.node`. */
  private readonly nodeBase: SharedAttributes;
  readonly als = new AsyncLocalStorage<SpanContext | null>();
  /** A sampled context was put in `als` at least once (until then no async context can hold one: reading it is skipped). */
  private alsUsed = false;
  /** No async or OpenTelemetry context can hold a sampled context (`!alsUsed && !otelContextOn`). */
  private quiet = true;
  readonly collector: SpanCollector | undefined;
  readonly sampler: SamplerSpec;
  readonly tracer: Tracer;
  readonly rejected: Partial<Record<TraceContextRejection, number>> = {};
  private readonly decide: SampleDecision;
  private readonly ids: SpanIds;
  /** The collector's store, when the collector is one createSpanCollector made (spans then go in without a copy). */
  private readonly ring: SpanRing | null;
  private readonly epochMs: number;
  private readonly clock: Clock;
  private readonly external: Tracer | null;

  constructor(private readonly sys: TraceHostSystem, options: TracingOptions) {
    const where = 'createSystem tracing';
    if (typeof options !== 'object' || options === null) throw new TroupeError('invalid-argument', `${where}: give an object ({ sampler?, collector?, tracerProvider?, epochMs? }) or true.`);
    this.sampler = options.sampler ?? DEFAULT_SAMPLER;
    checkSampler(this.sampler, `${where}.sampler`);
    const c = options.collector;
    if (c !== undefined && c !== false && (typeof c !== 'object' || c === null || typeof (c as SpanCollector).record !== 'function')) {
      throw new TroupeError('invalid-argument', `${where}.collector: give a collector from createSpanCollector(), or false for none.`, { field: 'collector' });
    }
    const p = options.tracerProvider;
    if (p !== undefined && (typeof p !== 'object' || p === null || typeof p.getTracer !== 'function')) {
      throw new TroupeError('invalid-argument', `${where}.tracerProvider: give an OpenTelemetry TracerProvider (e.g. your SDK's provider, or trace.getTracerProvider()).`, { field: 'tracerProvider' });
    }
    if (options.epochMs !== undefined && !Number.isFinite(options.epochMs)) {
      throw new TroupeError('invalid-argument', `${where}.epochMs must be a finite number of milliseconds.`, { field: 'epochMs' });
    }
    this.clock = sys.clock;
    this.collector = c === false ? undefined : (c ?? createSpanCollector());
    // A stream of its own from the system's seed: turning tracing on does not change the ids,
    // jitter or choices the rest of the system draws.
    const random = createSeededRandom((sys.random.seed ^ 0x7ace5eed) >>> 0);
    this.ids = new SpanIds(random);
    this.decide = createSampleDecision(this.sampler, random, sys.clock);
    this.ring = this.collector instanceof RingCollector ? this.collector.ring : null;
    this.nodeBase = Object.freeze({ [A.NODE]: sys.node });
    // on the real clock, its own epoch: every system of a process stamps spans on one time line
    this.epochMs = options.epochMs ?? (sys.clock === realClock ? realClockEpochMs() : Math.round(wallClockMs() - sys.clock.now()));
    this.external = p === undefined ? null : p.getTracer('troupe');
    this.tracer = this.createTracer();
    this.otelContextOn = otelContextManagerRegistered();
    this.quiet = !this.otelContextOn;
  }

  /** An OpenTelemetry context manager was registered (before this system started): the caller's spans are read from it. */
  private readonly otelContextOn: boolean;

  // ---- time, ids, span creation ---------------------------------------------------------------

  nowMs(): number { return this.epochMs + this.clock.now(); }

  /** The node name spans are stamped with. */
  get node(): string { return this.sys.node; }

  finished(span: RecordedSpan): void {
    if (!sampled(span.context)) return;
    if (this.ring !== null) this.ring.push(span);
    else if (this.collector !== undefined) this.collector.record(span.collected());
  }

  /**
   * Opens a span under `parent` (null: the root of a new trace, already sampled). `attributes`
   * are this span's own (copied; undefined and null values dropped); every span has `troupe.node`.
   */
  open(name: string, kind: SpanKindName, parent: SpanContext | null, attributes?: Attributes, links?: Link[], startMs = this.nowMs()): RecordedSpan {
    return this.openWith(name, kind, parent, this.nodeBase, attributes === undefined ? null : cleanAttributes(attributes, {}), links, startMs);
  }

  /** Opens a span whose attributes are the template `base` (with `troupe.node`), `own` and the numeric `numKey` (see RecordedSpan). */
  private openWith(
    name: string, kind: SpanKindName, parent: SpanContext | null, base: SharedAttributes, own: Record<string, SpanAttributeValue> | null,
    links: Link[] | undefined, startMs: number, numKey: string | null = null, num = 0,
  ): RecordedSpan {
    let ctx: SpanContext;
    let delegate: Span | null = null;
    if (this.external !== null) {
      const attributes = { ...base, ...own } as Attributes;
      if (numKey !== null) attributes[numKey] = num;
      const opts: SpanOptions = { kind: KIND_OF[kind], attributes, links, startTime: toHrTime(startMs), root: parent === null };
      delegate = this.external.startSpan(name, opts, parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent));
      ctx = delegate.spanContext();
    } else {
      ctx = parent === null ? this.ids.root(TraceFlags.SAMPLED) : this.ids.child(parent, TraceFlags.SAMPLED);
    }
    return new RecordedSpan(this, name, kind, ctx, parent, startMs, base, own, links, delegate, numKey, num);
  }

  /**
   * Starts a trace here: the sampler decides, given a context from outside or an unsampled one
   * around (`external`). Null when not sampled.
   */
  startTrace(name: string, kind: SpanKindName, external: SpanContext | undefined, attributes?: Attributes, links?: Link[]): RecordedSpan | null {
    const parent = external === undefined || external === UNSAMPLED || isSpanContextValid(external) ? external : undefined;
    if (!this.decide(parent)) return null;
    return this.open(name, kind, parent === undefined ? null : parent === UNSAMPLED ? this.unsampledIds() : parent, attributes, links);
  }

  /** The template of spans named `prefix <type>` for `key` (an actor, a target address), made by `make` on first use. */
  private template<K extends object | string>(cache: TemplateCache<K>, key: K, type: string, make: () => SharedAttributes, prefix: string): SpanTemplate {
    const c = cache as Map<K, Map<string, SpanTemplate>>; // both kinds answer get and set alike
    let byType = c.get(key);
    if (byType === undefined) {
      if (cache instanceof Map && cache.size >= MAX_TEMPLATE_KEYS) cache.clear();
      c.set(key, byType = new Map());
    }
    let t = byType.get(type);
    if (t === undefined) {
      t = { name: `${prefix} ${type}`, base: Object.freeze(make()) };
      if (byType.size < MAX_TEMPLATES_PER_KEY) byType.set(type, t);
    }
    return t;
  }

  // ---- the active context ----------------------------------------------------------------------

  /** The active sampled context: this turn's or inSpan's, else the async context's, else the caller's OpenTelemetry span. */
  activeContext(): SpanContext | null {
    const a = this.active;
    if (a !== undefined) return a !== null && sampled(a) ? a : null;
    if (this.alsUsed) {
      const s = this.als.getStore();
      if (s !== undefined) return s;
    }
    if (!this.otelContextOn) return null;
    const sc = trace.getSpanContext(otelContext.active());
    return sc !== undefined && (sc.traceFlags & TraceFlags.SAMPLED) !== 0 && isSpanContextValid(sc) ? sc : null;
  }

  /**
   * Where a new span hangs: the active context (sampled: its parent; unsampled: the context the
   * root's decision is given), else the async context's, else the caller's OpenTelemetry span;
   * null or undefined: nowhere (a root).
   */
  private placement(): SpanContext | null | undefined {
    const a = this.active;
    if (a !== undefined) return a;
    if (this.alsUsed) {
      const s = this.als.getStore();
      if (s !== undefined) return s;
    }
    if (!this.otelContextOn) return undefined;
    const sc = trace.getSpanContext(otelContext.active());
    return sc === undefined || !isSpanContextValid(sc) ? undefined : sc;
  }

  current(): TraceIds | undefined {
    return this.activeContext() ?? undefined;
  }

  headers(): Record<string, string> {
    let c = this.activeContext();
    if (c === null) {
      const a = this.active;
      if (a === undefined || a === null) return {};
      c = a === UNSAMPLED ? this.unsampledIds() : a; // an unsampled request: its traceparent says so (flags 00), for the services it calls
    }
    const h: Record<string, string> = { traceparent: formatTraceparent(c) };
    const ts = c.traceState?.serialize();
    if (ts) h.tracestate = ts;
    return h;
  }

  /** Gives the unsampled context running now ids (made once, on first use; see UNSAMPLED). */
  private unsampledIds(): SpanContext {
    const a = this.active;
    if (a !== UNSAMPLED && a !== undefined && a !== null) return a;
    const c = this.ids.root(TraceFlags.NONE);
    if (a === UNSAMPLED) this.active = c;
    return c;
  }

  /** The active context as a traceparent (for journal metadata), if any. */
  traceparent(): string | undefined {
    const c = this.activeContext();
    return c === null ? undefined : formatTraceparent(c);
  }

  reject(reason: TraceContextRejection): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  /** Reads a W3C traceparent from stored or received metadata; undefined (and counted) when unreadable. */
  readTraceparent(traceparent: unknown, tracestate?: unknown): SpanContext | undefined {
    if (traceparent === undefined) return undefined;
    const d = decodeTraceContext(traceparent, tracestate);
    if (!d.ok) { this.reject(d.reason); return undefined; }
    return d.context;
  }

  /**
   * Drains of the dispatcher run in no trace context, whatever context scheduled them (a drain
   * queued from a traced async continuation would otherwise lend it to every untraced handler's
   * continuations). Until a sampled context was stored there is nothing to shield from.
   */
  readonly drainScope = (fn: () => void): void => {
    if (this.alsUsed) this.als.run(null, fn);
    else fn();
  };

  /**
   * Runs `fn` with `span` active (sync and async), ending the span when it returns or settles
   * (`autoEnd`); a throw or rejection fails it.
   */
  runIn<T>(span: RecordedSpan, fn: (span: Span) => T, autoEnd = true, asyncContext = isAsyncFunction(fn)): T {
    const sc = span.context;
    const live = (sc.traceFlags & TraceFlags.SAMPLED) !== 0 ? sc : null;
    const prev = this.active;
    this.active = live;
    let r: T;
    try {
      if (live !== null && asyncContext) { this.alsUsed = true; this.quiet = false; r = this.als.run(live, fn, span); }
      else r = fn(span);
    } catch (e) {
      if (autoEnd) { failSpan(span, e); span.end(); }
      throw e;
    } finally {
      this.active = prev;
    }
    if (!autoEnd) return r;
    if (typeof r === 'object' && r !== null && typeof (r as unknown as PromiseLike<unknown>).then === 'function') {
      return (r as unknown as PromiseLike<unknown>).then(
        (v) => { span.end(); return v; },
        (e: unknown) => { failSpan(span, e); span.end(); throw e; },
      ) as T;
    }
    span.end();
    return r;
  }

  inSpan<T>(name: string, fn: (span: Span) => T, options?: InSpanOptions): T {
    if (typeof fn !== 'function') throw new TroupeError('invalid-argument', `tracing.inSpan("${String(name)}"): give the function to run in the span.`);
    if (options === undefined && this.active === undefined && this.quiet) {
      // nothing around it (the usual request root): the sampler alone decides
      return this.decide(undefined) ? this.runIn(this.open(name, 'internal', null), fn) : this.runUnsampled(fn);
    }
    let span: RecordedSpan | null;
    let at: SpanContext | null | undefined;
    if (options === undefined) {
      at = this.placement();
      span = at !== undefined && at !== null && sampled(at) ? this.open(name, 'internal', at) : this.startTrace(name, 'internal', at ?? undefined);
    } else {
      const kind = options.kind ?? 'internal';
      if (!KIND_NAMES.includes(kind)) throw new TroupeError('invalid-argument', `tracing.inSpan: kind must be one of ${KIND_NAMES.join(', ')}, got "${String(kind)}".`, { field: 'kind' });
      const explicit = options.traceparent === undefined ? undefined : this.readTraceparent(options.traceparent, options.tracestate);
      at = explicit ?? this.placement();
      span = explicit === undefined && at !== undefined && at !== null && sampled(at)
        ? this.open(name, kind, at, options.attributes, options.links)
        : this.startTrace(name, kind, at ?? undefined, options.attributes, options.links);
    }
    return span !== null ? this.runIn(span, fn) : this.runUnsampled(fn, at ?? undefined);
  }

  /**
   * Runs `fn` in an unsampled trace — continuing `context` (its ids, as unsampled) when given, else
   * a new one whose ids are made only if asked for: sends in it carry nothing.
   */
  runUnsampled<T>(fn: (span: Span) => T, context?: SpanContext): T {
    const prev = this.active;
    this.active = context === undefined ? UNSAMPLED : sampled(context) ? { traceId: context.traceId, spanId: context.spanId, traceFlags: TraceFlags.NONE, traceState: context.traceState } : context;
    try { return fn(NON_RECORDING); } finally { this.active = prev; }
  }

  private createTracer(): Tracer {
    const startSpan = (name: string, options: SpanOptions = {}, ctx?: Context): Span => {
      const kind = KIND_NAMES[options.kind ?? SpanKind.INTERNAL] ?? 'internal';
      const start = options.startTime === undefined ? undefined : toMs(options.startTime);
      let parent: SpanContext | undefined;
      if (!options.root) {
        if (ctx !== undefined) parent = trace.getSpanContext(ctx);
        else parent = this.placement() ?? undefined;
      }
      let span: RecordedSpan | null;
      if (parent !== undefined && isSpanContextValid(parent) && (parent.traceFlags & TraceFlags.SAMPLED) !== 0 && !parent.isRemote) {
        span = this.open(name, kind, parent, options.attributes, options.links, start);
      } else {
        span = this.startTrace(name, kind, parent, options.attributes, options.links);
      }
      return span ?? (parent !== undefined && isSpanContextValid(parent) ? trace.wrapSpanContext({ traceId: parent.traceId, spanId: parent.spanId, traceFlags: TraceFlags.NONE, traceState: parent.traceState }) : NON_RECORDING);
    };
    const host = this;
    return {
      startSpan,
      startActiveSpan<F extends (span: Span) => unknown>(name: string, a: unknown, b?: unknown, c?: unknown): ReturnType<F> {
        const fn = (typeof a === 'function' ? a : typeof b === 'function' ? b : c) as F;
        const options = (typeof a === 'object' ? a : {}) as SpanOptions;
        const ctx = (typeof b === 'object' ? b : undefined) as Context | undefined;
        const span = startSpan(name, options, ctx);
        if (span instanceof RecordedSpan) return host.runIn(span, fn, false) as ReturnType<F>;
        return fn(span) as ReturnType<F>;
      },
    } as Tracer;
  }

  // ---- delivery paths (the runtime calls these only when tracing is on) ----------------------

  /** A message sent now: wrapped with the active context when there is one (small: inlined where messages are sent). */
  outgoing(msg: unknown): unknown {
    const a = this.active;
    return (a === undefined ? this.quiet : a === null || (a.traceFlags & TraceFlags.SAMPLED) === 0) ? msg : this.outgoingInContext(msg);
  }

  private outgoingInContext(msg: unknown): unknown {
    const c = this.activeContext();
    return c === null || msg instanceof TracedMessage ? msg : new TracedMessage(msg, c, this.clock.now(), false);
  }

  /** Puts a message aside (stash): it will continue `cell`'s context when handled again. */
  restash(cell: object, msg: unknown): unknown {
    return this.outgoingFrom(cell, msg);
  }

  /** The context a timer `cell` starts now continues: its context, unless this turn was itself sent by a timer (no endless chains). */
  timerContext(cell: object): SpanContext | null {
    return this.viaTimer && this.active !== undefined ? null : this.contextFor(cell);
  }

  /** A timer's message, with the context it continues. */
  timerMessage(msg: unknown, parent: SpanContext): TracedMessage {
    return new TracedMessage(msg, parent, this.clock.now(), true);
  }

  /**
   * Whether handling `msg` involves tracing: false for an untraced message while no context can
   * be active anywhere (then the cell handles it directly; nothing to set or shield).
   */
  concerns(msg: unknown): boolean {
    return !this.quiet || this.active !== undefined || msg instanceof TracedMessage;
  }

  /** One message of `cell`'s turn that {@link concerns} tracing: a traced message runs in its `process <type>` span (`holder`: see MessageHolder). */
  invoke(cell: TracedCell, msg: unknown, holder: MessageHolder | null): void {
    const prev = this.active;
    const prevTimer = this.viaTimer;
    if (!(msg instanceof TracedMessage) || isUntracedActor(cell.def)) {
      this.active = null;
      this.viaTimer = false;
      try { cell.handle(msg instanceof TracedMessage ? msg.msg : msg, holder); } finally { this.active = prev; this.viaTimer = prevTimer; }
      return;
    }
    const m = msg.msg;
    const type = messageTypeOf(m) ?? '(untyped)';
    const t = this.template(this.processTemplates, cell, type, () => {
      const path = cell.path;
      return {
        [A.MESSAGING_SYSTEM]: A.TROUPE, [A.NODE]: this.sys.node, [A.MESSAGING_OPERATION_TYPE]: 'process', [A.MESSAGING_OPERATION_NAME]: 'process',
        [A.MESSAGING_DESTINATION_NAME]: path, [A.ACTOR_PATH]: path, [A.MESSAGE_TYPE]: type,
      };
    }, 'process');
    const now = this.clock.now();
    const span = this.openWith(t.name, 'consumer', msg.parent, t.base, null, undefined, this.epochMs + now, A.MAILBOX_WAIT_MS, Math.max(0, now - msg.sentAt));
    const sc = span.context;
    const live = sampled(sc) ? sc : null;
    this.active = live;
    this.viaTimer = msg.viaTimer;
    let r: unknown;
    try {
      // only an `async` handler needs the async context (its code after an await); see isAsyncFunction
      if (live !== null && isAsyncFunction((cell.def as { receive?: unknown }).receive)) { this.alsUsed = true; this.quiet = false; r = this.als.run(live, handleIn, cell, m, holder); }
      else r = cell.handle(m, holder);
    } finally {
      this.active = prev;
      this.viaTimer = prevTimer;
    }
    if (r instanceof HandlerThrew) { failSpan(span, r.error); span.end(); return; }
    if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') {
      // until it settles, what the handler sends through its ctx continues its span
      if (live !== null) this.pending.set(cell, live);
      (r as PromiseLike<unknown>).then(() => { this.pending.delete(cell); span.end(); }, (e: unknown) => { failSpan(span, e); this.pending.delete(cell); span.end(); });
      return;
    }
    span.end();
  }

  /** Cells whose async handler of a traced message is still running, with that message's span. */
  private readonly pending = new WeakMap<object, SpanContext>();

  /**
   * The context a send through `cell`'s ctx continues: the turn's (sync), else — in an async
   * handler after an await — that handler's message span, else the async or caller's context.
   */
  contextFor(cell: object): SpanContext | null {
    const a = this.active;
    if (a !== undefined) return a !== null && sampled(a) ? a : null;
    return this.pending.get(cell) ?? this.activeContext();
  }

  /** The span of `cell`'s async handler of a traced message while it runs (after its awaits), if any. */
  pendingContext(cell: object): SpanContext | undefined {
    return this.pending.get(cell);
  }

  /** `ctx.send`: the message with the context `cell` sends in (see {@link contextFor}). */
  outgoingFrom(cell: object, msg: unknown): unknown {
    const c = this.contextFor(cell);
    return c === null || msg instanceof TracedMessage ? msg : new TracedMessage(msg, c, this.clock.now(), false);
  }

  /** Runs `fn` (a ctx operation of `cell` that reads the active context) with `cell`'s context active. */
  asCell<T>(cell: object, fn: () => T): T {
    if (this.active !== undefined) return fn();
    const c = this.pending.get(cell);
    if (c === undefined) return fn();
    this.active = c;
    try { return fn(); } finally { this.active = undefined; }
  }

  /** An ask's request: under an `ask <type>` client span (ended by {@link askSettled}) when a trace is active. */
  askRequest(ask: TracedAsk, target: Address, msg: unknown): unknown {
    const c = this.activeContext();
    if (c === null) return msg;
    const type = messageTypeOf(msg) ?? '(untyped)';
    const t = this.template(this.askTemplates, target.path, type, () => ({
      [A.MESSAGING_SYSTEM]: A.TROUPE, [A.NODE]: this.sys.node, [A.MESSAGING_OPERATION_TYPE]: 'send', [A.MESSAGING_OPERATION_NAME]: 'ask',
      [A.MESSAGING_DESTINATION_NAME]: target.path, [A.MESSAGE_TYPE]: type,
    }), 'ask');
    const now = this.clock.now();
    const span = this.openWith(t.name, 'client', c, t.base, null, undefined, this.epochMs + now);
    ask.span = span;
    return new TracedMessage(msg, span.context, now, false);
  }

  /** The ask's reply arrived (no error) or it failed. */
  askSettled(span: RecordedSpan, error?: unknown): void {
    if (error !== undefined) failSpan(span, error);
    span.end();
  }

  /** A traced message became a dead letter: a failed zero-length span in its trace says where and why. */
  deadLettered(m: TracedMessage, recipient: string, reason: DeadLetterReason): void {
    const type = messageTypeOf(m.msg) ?? '(untyped)';
    const span = this.open(`dead-letter ${type}`, 'internal', m.parent, {
      [A.MESSAGING_SYSTEM]: A.TROUPE, [A.MESSAGING_DESTINATION_NAME]: recipient, [A.MESSAGE_TYPE]: type, [A.DEAD_LETTER_REASON]: reason, [A.ERROR_TYPE]: reason,
    });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `dead letter: ${reason}` });
    span.end();
  }

  /** A traced message leaves for another node: a `send <type>` producer span; returns the envelope's trace slot. */
  sendRemote(m: TracedMessage, target: Address, type: string, id: string): string {
    const t = this.template(this.sendTemplates, target.node, type, () => ({
      [A.MESSAGING_SYSTEM]: A.TROUPE, [A.NODE]: this.sys.node, [A.MESSAGING_OPERATION_TYPE]: 'send', [A.MESSAGING_OPERATION_NAME]: 'send',
      [A.MESSAGE_TYPE]: type, 'troupe.destination.node': target.node,
    }), 'send');
    // the path and id are this message's (a reply's path is its ask's own)
    const span = this.openWith(t.name, 'producer', m.parent, t.base, { [A.MESSAGING_DESTINATION_NAME]: target.path, [A.MESSAGING_MESSAGE_ID]: id }, undefined, this.nowMs());
    span.end();
    return encodeTraceSlot(span.context);
  }

  /** A message from another node with a trace slot: wrapped when it is readable and sampled; else counted and delivered untraced. */
  receiveRemote(slot: unknown, payload: unknown): unknown {
    const fast = typeof slot === 'string' ? traceparentWords(slot) : null; // the usual slot: a version-00 traceparent alone
    if (fast !== null) return sampled(fast) ? new TracedMessage(payload, fast, this.clock.now(), false) : payload;
    const d = decodeTraceSlot(slot);
    if (!d.ok) { this.reject(d.reason); return payload; }
    if (!isSampled(d.context)) return payload;
    return new TracedMessage(payload, d.context, this.clock.now(), false);
  }
}

/** Normalizes the `tracing` option: undefined/false = off, true = defaults. */
export function tracingOptionsOf(o: TracingOptions | boolean | undefined): TracingOptions | undefined {
  if (o === undefined || o === false) return undefined;
  if (o === true) return {};
  if (typeof o !== 'object' || o === null) throw new TroupeError('invalid-argument', `createSystem: tracing must be true, false or { sampler?, collector?, tracerProvider?, epochMs? }, got ${String(o)}.`, { field: 'tracing' });
  return o;
}

/** @internal The tracing of a system, or null when it is off (for the bus, journal, projections and sagas). */
export function traceHostOf(system: object): TraceHost | null {
  return (system as { traceHost?: TraceHost | null }).traceHost ?? null;
}
