// TCP endpoints as strings: `host:port`, with IPv6 hosts in brackets (`[::1]:4000`).

/** A parsed TCP endpoint. */
export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

/** Longest endpoint string accepted (a DNS name is at most 253 characters). */
export const MAX_ENDPOINT_CHARS = 270;

/**
 * Formats `host` and `port` as an endpoint string; IPv6 literals get brackets.
 *
 * @example formatTcpEndpoint('127.0.0.1', 4000) // '127.0.0.1:4000'; formatTcpEndpoint('::1', 4000) // '[::1]:4000'
 */
export function formatTcpEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Parses an endpoint string; returns undefined when it is not `host:port` with a port in
 * 1–65535 (the caller reports that, since endpoints often come from other nodes).
 *
 * @example parseTcpEndpoint('[::1]:4000') // { host: '::1', port: 4000 }
 */
export function parseTcpEndpoint(endpoint: string): TcpAddress | undefined {
  if (endpoint.length === 0 || endpoint.length > MAX_ENDPOINT_CHARS) return undefined;
  let host: string;
  let rest: string;
  if (endpoint.startsWith('[')) {
    const close = endpoint.indexOf(']');
    if (close < 0 || endpoint[close + 1] !== ':') return undefined;
    host = endpoint.slice(1, close);
    rest = endpoint.slice(close + 2);
  } else {
    const colon = endpoint.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = endpoint.slice(0, colon);
    rest = endpoint.slice(colon + 1);
    if (host.includes(':')) return undefined; // an IPv6 literal needs brackets
  }
  if (host.length === 0 || !/^[0-9]{1,5}$/.test(rest)) return undefined;
  const port = Number(rest);
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}
