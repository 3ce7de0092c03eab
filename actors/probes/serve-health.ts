// The standard health endpoints over HTTP: `/livez`, `/readyz` (Kubernetes conventions) and
// `/health` (JSON per service and instance), on a node's HTTP endpoint.

import { createHttpEndpoint, type HttpEndpoint, type HttpEndpointOptions, type HttpReply, type HttpRequestInfo } from '../../runtime/http/http-endpoint.ts';
import type { HealthRegistry } from './health-registry.ts';
import { renderListing, type ListingKind } from './health-listing.ts';

/** Options of {@link serveHealth}: an `endpoint` to add the routes to, or `port`/`host` for a new one (defaults 0 and `127.0.0.1`). */
export interface ServeHealthOptions extends HttpEndpointOptions {
  readonly endpoint?: HttpEndpoint;
}

/** `?verbose`, `?verbose=1`, `?verbose=true` turn verbose on; `?verbose=0` / `false` off. */
function isVerbose(q: URLSearchParams): boolean {
  const v = q.get('verbose');
  return v !== null && v !== '0' && v !== 'false';
}

/** `?exclude=a&exclude=b` or `?exclude=a,b`. */
function excludesOf(q: URLSearchParams): string[] {
  return q.getAll('exclude').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** The HTTP reply of `/livez` or `/readyz` for one request. */
async function listingReply(registry: HealthRegistry, kind: ListingKind, req: HttpRequestInfo): Promise<HttpReply> {
  const options = { exclude: excludesOf(req.query) };
  const listing = kind === 'livez' ? await registry.livez(options) : await registry.readyz(options);
  return { status: listing.ok ? 200 : 503, body: renderListing(listing, isVerbose(req.query)) };
}

/**
 * Serves the registry's health over HTTP and resolves with the endpoint (created on
 * `host:port` unless `endpoint` is given; it closes when the system terminates):
 * - `GET /livez` — 200 `ok` when `ping` and every instance's liveness pass, else 503 with the
 *   failing checks; `?verbose` lists every check (`[+]name ok`, `[-]name failed: reason`);
 *   `?exclude=name` (repeatable, or comma-separated) leaves checks out;
 * - `GET /readyz` — the same for readiness: `ping`, each service (`service/<name>`, failing only
 *   when no instance is ready) and each instance of no service;
 * - `GET /health` — the registry's snapshot as JSON (`application/json`): node state, services
 *   with state, reasons and instances; 200 unless the node is unhealthy (503).
 *
 * @example
 * const http = await serveHealth(registry, { port: 8080 });
 * // curl 'http://127.0.0.1:8080/readyz?verbose'
 */
export async function serveHealth(registry: HealthRegistry, options: ServeHealthOptions = {}): Promise<HttpEndpoint> {
  const endpoint = options.endpoint ?? await createHttpEndpoint(registry.system, options);
  endpoint.route('/livez', (req) => listingReply(registry, 'livez', req));
  endpoint.route('/readyz', (req) => listingReply(registry, 'readyz', req));
  endpoint.route('/health', () => {
    const snapshot = registry.status();
    return { status: snapshot.state === 'unhealthy' ? 503 : 200, body: `${JSON.stringify(snapshot, null, 2)}\n`, contentType: 'application/json' };
  });
  return endpoint;
}
