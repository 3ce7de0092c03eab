// Admission control for a TCP listener: a cap on concurrent connections per remote address and a
// token bucket on new connections (handshakes) per second, checked before any handshake work.

import type { Clock } from '../../clock.ts';

/** What {@link createTcpAdmission} needs; the transport validates the numbers. */
export interface TcpAdmissionOptions {
  /** Connections from one IP address (any port) open at once, handshaking or up. */
  readonly maxConnectionsPerAddress: number;
  /** Sustained new connections per second, all addresses together (tokens added per second). */
  readonly handshakesPerSecond: number;
  /** Bucket size: connections accepted at once above the sustained rate. */
  readonly handshakeBurst: number;
  readonly clock: Clock;
}

/** The verdict on one new connection. An admitted one must call `release` exactly once, when it closes. */
export type TcpAdmission =
  | { readonly admitted: true; readonly release: () => void }
  | { readonly admitted: false; readonly detail: string };

/** See {@link createTcpAdmission}. */
export interface TcpAdmissionControl {
  admit(address: string): TcpAdmission;
  /** Connections open per address (for inspection and specs). */
  open(address: string): number;
}

/**
 * Creates the admission check. `admit(address)` first applies the per-address cap (a refused
 * connection costs no token), then takes one token from a bucket of `handshakeBurst` tokens
 * refilled at `handshakesPerSecond` on `clock`. Both refusals say which limit and how to raise it.
 */
export function createTcpAdmission(o: TcpAdmissionOptions): TcpAdmissionControl {
  const open = new Map<string, number>();
  let tokens = o.handshakeBurst;
  let last = o.clock.now();

  const refill = (): void => {
    const now = o.clock.now();
    if (now > last) tokens = Math.min(o.handshakeBurst, tokens + ((now - last) * o.handshakesPerSecond) / 1000);
    last = Math.max(last, now);
  };

  return {
    admit(address) {
      const count = open.get(address) ?? 0;
      if (count >= o.maxConnectionsPerAddress) {
        return { admitted: false, detail: `Refused a connection from ${address}: it already has ${count} open (limits.maxConnectionsPerAddress ${o.maxConnectionsPerAddress}); raise the limit if many nodes share that address.` };
      }
      refill();
      if (tokens < 1) {
        return { admitted: false, detail: `Refused a connection from ${address}: more than ${o.handshakesPerSecond} new connections per second (burst ${o.handshakeBurst}; limits.handshakesPerSecond, limits.handshakeBurst).` };
      }
      tokens -= 1;
      open.set(address, count + 1);
      let released = false;
      return {
        admitted: true,
        release: () => {
          if (released) return;
          released = true;
          const n = (open.get(address) ?? 1) - 1;
          if (n <= 0) open.delete(address);
          else open.set(address, n);
        },
      };
    },
    open: (address) => open.get(address) ?? 0,
  };
}
