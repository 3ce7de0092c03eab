// A minimal /metrics server over node:http, for a system that has no other HTTP endpoint (nodes
// mount `system.metrics.handler` on their shared endpoint instead).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TroupeError } from '../errors.ts';
import type { SystemMetrics } from './metrics.ts';

/** A running metrics server. */
export interface MetricsServer {
  /** `http://host:port/metrics`. */
  readonly url: string;
  /** Stops listening and closes connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` from `metrics` on `host:port` (defaults `127.0.0.1`, any free port);
 * other paths get 404. Rejects `invalid-argument` for a bad port.
 * @example
 * const server = await serveMetrics(system.metrics!, { port: 9464 });
 * // curl http://127.0.0.1:9464/metrics
 * await server.close();
 */
export async function serveMetrics(metrics: SystemMetrics, options: { readonly port?: number; readonly host?: string } = {}): Promise<MetricsServer> {
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new TroupeError('invalid-argument', `serveMetrics: port must be an integer 0–65535 (0 = any free port), got ${port}.`, { field: 'port' });
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] === '/metrics') { metrics.handler(req, res); return; }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found; scrape /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${bound}/metrics`,
    close: () => closing ??= new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
