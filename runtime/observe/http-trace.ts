// Tracing an HTTP request as it enters the system: continue the caller's `traceparent` (W3C, read
// with OpenTelemetry core's propagator) or start a trace, and run the handler in that span.

import type { IncomingHttpHeaders } from 'node:http';
import { defaultTextMapGetter, ROOT_CONTEXT, trace, type Attributes, type Span, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ActorSystem } from '../system.ts';
import * as A from './internal/attributes.ts';
import { decodeTraceContext } from './trace-context.ts';
import { NON_RECORDING, traceHostOf } from './tracing.ts';

/** What is read of a request: a node:http `IncomingMessage` has it (method, url, headers). */
export interface HttpRequestLike {
  readonly method?: string;
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
}

/** Options of {@link traceHttpRequest}: the matched `route` (low-cardinality, e.g. `/orders/:id`; names the span) and extra span attributes. */
export interface TraceHttpOptions {
  readonly route?: string;
  readonly attributes?: Attributes;
}

const propagator = new W3CTraceContextPropagator();

/**
 * Runs `fn` in a `server` span for one incoming HTTP request (no server of its own: call it from
 * yours). A valid `traceparent` header (with its `tracestate`) continues the caller's trace — the
 * sampler honours its sampled flag (parent-based, the default) — and an invalid one is ignored
 * and counted in `tracing.rejected`; without one a new trace starts. Messages sent in `fn`
 * (and its async continuations) join the trace; the span ends when `fn` returns or its promise
 * settles (a throw or rejection marks it `error`). Span name: `METHOD route` (or `METHOD`);
 * attributes `http.request.method`, `url.path`, `url.query`, `http.route`, `user_agent.original`.
 * Tracing off: `fn` runs with a non-recording span.
 *
 * @example
 * createServer((req, res) => traceHttpRequest(system, req, async (span) => {
 *   const order = await orders.ask((replyTo) => ({ type: 'get', id: idOf(req), replyTo }));
 *   span.setAttribute('http.response.status_code', 200);
 *   res.end(JSON.stringify(order));
 * }, { route: '/orders/:id' }));
 */
export function traceHttpRequest<T>(system: ActorSystem, req: HttpRequestLike, fn: (span: Span) => T, options: TraceHttpOptions = {}): T {
  const tracing = traceHostOf(system);
  if (tracing === null) return fn(NON_RECORDING);
  const headers = typeof req === 'object' && req !== null && typeof req.headers === 'object' && req.headers !== null ? req.headers : {};
  let parent: SpanContext | undefined;
  const tp = headers.traceparent;
  if (tp !== undefined) {
    const first = Array.isArray(tp) ? tp[0] : tp;
    const checked = decodeTraceContext(first);
    if (!checked.ok) tracing.reject(checked.reason);
    else parent = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
  }
  const method = typeof req.method === 'string' ? req.method.toUpperCase().slice(0, 16) : 'GET';
  const url = typeof req.url === 'string' ? req.url : '/';
  const q = url.indexOf('?');
  const attributes: Attributes = { [A.NODE]: tracing.node, [A.HTTP_REQUEST_METHOD]: method, [A.URL_PATH]: (q < 0 ? url : url.slice(0, q)).slice(0, 2_048) };
  if (q >= 0) attributes[A.URL_QUERY] = url.slice(q + 1, q + 1 + 2_048);
  if (options.route !== undefined) attributes[A.HTTP_ROUTE] = options.route;
  const ua = headers['user-agent'];
  if (typeof ua === 'string') attributes[A.USER_AGENT_ORIGINAL] = ua.slice(0, 512);
  Object.assign(attributes, options.attributes);
  const span = tracing.startTrace(options.route === undefined ? method : `${method} ${options.route}`, 'server', parent, attributes);
  return span === null ? tracing.runUnsampled(fn, parent) : tracing.runIn(span, fn);
}
