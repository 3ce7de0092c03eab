// The one small HTTP server a node exposes (node:http, loopback by default): exact-path GET routes
// that other modules add (`/livez`, `/readyz`, `/health`, later `/metrics`). It closes with its system.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TroupeError } from '../errors.ts';
import type { ActorSystem } from '../system.ts';

/** A request as a route handler sees it: method, path (no query), parsed query, headers. */
export interface HttpRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/** A route's reply: status, body, content type (default `text/plain; charset=utf-8`) and extra headers. */
export interface HttpReply {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Handles one route; may be async. A throw or rejection becomes a 500 with the error's message. */
export type HttpRouteHandler = (req: HttpRequestInfo) => HttpReply | Promise<HttpReply>;

/** Options of {@link createHttpEndpoint}: `port` (default 0: any free port) and `host` (default `'127.0.0.1'`). */
export interface HttpEndpointOptions {
  readonly port?: number;
  readonly host?: string;
}

/** A running HTTP endpoint. */
export interface HttpEndpoint {
  readonly host: string;
  /** The bound port (the real one when asked for 0). */
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Paths routed so far. */
  readonly routes: readonly string[];
  /**
   * Serves `GET` (and `HEAD`) on exactly `path` (e.g. `'/metrics'`) with `handler`. Throws
   * `invalid-argument` for a path not starting with `/` or with a `?`, `duplicate-name` for a path
   * already routed.
   */
  route(path: string, handler: HttpRouteHandler): void;
  /** Stops listening and closes every connection; resolves when closed. Idempotent. */
  close(): Promise<void>;
  readonly closed: boolean;
}

/**
 * Starts an HTTP server for `system` on `host:port` (defaults `127.0.0.1`, any free port); when the
 * system has `metrics`, `/metrics` is routed from the start (Prometheus text, or OpenMetrics). Other
 * methods than GET/HEAD get 405, unknown paths 404, a failing handler 500; nothing a client sends
 * can throw out of the server. It closes when `system` terminates. Rejects `listen-failed` when it
 * cannot bind (address in use, no permission).
 *
 * @example
 * const http = await createHttpEndpoint(system, { port: 9464 });
 * http.route('/metrics', () => ({ status: 200, body: renderMetrics() }));
 */
export async function createHttpEndpoint(system: ActorSystem, options: HttpEndpointOptions = {}): Promise<HttpEndpoint> {
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new TroupeError('invalid-argument', `createHttpEndpoint: port must be an integer 0–65535 (0 = any free port), got ${port}.`, { field: 'port' });
  if (typeof host !== 'string' || host.length === 0) throw new TroupeError('invalid-argument', 'createHttpEndpoint: host must be a non-empty string (default 127.0.0.1).', { field: 'host' });
  if (system.isTerminated) throw new TroupeError('system-terminated', `createHttpEndpoint: system "${system.name}" has terminated; serve a running system.`);
  const routes = new Map<string, HttpRouteHandler>();
  // A system created with `metrics` serves them here: one endpoint per node for health and metrics.
  const metrics = system.metrics;
  if (metrics !== undefined) routes.set('/metrics', (req) => metrics.render(typeof req.headers.accept === 'string' ? req.headers.accept : undefined));

  const send = (res: ServerResponse, method: string, r: HttpReply): void => {
    if (res.writableEnded || res.destroyed) return;
    const body = Buffer.from(r.body, 'utf8');
    res.writeHead(r.status, { ...r.headers, 'content-type': r.contentType ?? 'text/plain; charset=utf-8', 'content-length': String(body.length), 'cache-control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : body);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    res.on('error', () => { /* the client went away: nothing to tell it */ });
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://endpoint');
    } catch {
      send(res, method, { status: 400, body: 'bad request: unreadable URL\n' });
      return;
    }
    const handler = routes.get(url.pathname);
    if (handler === undefined) {
      send(res, method, { status: 404, body: `not found: ${url.pathname}; routes: ${[...routes.keys()].join(', ')}\n` });
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, method, { status: 405, body: `method ${method} not allowed; use GET\n`, headers: { allow: 'GET, HEAD' } });
      return;
    }
    const fail = (e: unknown): void => send(res, method, { status: 500, body: `internal error: ${e instanceof Error ? e.message : String(e)}\n` });
    try {
      Promise.resolve(handler({ method, path: url.pathname, query: url.searchParams, headers: req.headers })).then((r) => send(res, method, r), fail).catch(fail);
    } catch (e) {
      fail(e);
    }
  };

  const server = createServer(onRequest);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(new TroupeError('listen-failed', `createHttpEndpoint: cannot listen on ${host}:${port} (${e.code ?? e.message}). Pick another port, or 0 for any free one.`, { host, port, cause: e.code }));
    };
    server.once('error', onError);
    server.listen(port, host, () => { server.off('error', onError); resolve(); });
  });
  server.on('error', () => { /* after listening, errors are per connection and handled there */ });
  const bound = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  void system.whenTerminated.then(close);

  return {
    host,
    port: bound,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    get routes() { return [...routes.keys()]; },
    route(path, handler) {
      if (typeof path !== 'string' || !path.startsWith('/') || path.includes('?')) throw new TroupeError('invalid-argument', `endpoint.route: path must start with "/" and have no query, got "${String(path)}".`, { field: 'path' });
      if (typeof handler !== 'function') throw new TroupeError('invalid-argument', `endpoint.route("${path}"): handler must be a function (req) => { status, body }.`, { field: 'handler' });
      if (routes.has(path)) throw new TroupeError('duplicate-name', `endpoint.route: "${path}" is already routed on ${host}:${bound}.`, { path });
      routes.set(path, handler);
    },
    close,
    get closed() { return closing !== null; },
  };
}
