// The TCP transport: the default between local node processes. Authenticated (optionally inside
// TLS), length-prefixed, batched, backpressured one-way links per sender→receiver pair,
// reconnecting with backoff; the listener caps connections per address and handshakes per second.

import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from '../wire/frame.ts';
import { createHandshake, MIN_SECRET_BYTES, type Handshake } from '../wire/handshake.ts';
import { createTcpAdmission, type TcpAdmissionControl } from './internal/tcp-admission.ts';
import { openTcpConnection, socketErrorReason, type TcpConnection } from './internal/tcp-connection.ts';
import { formatTcpEndpoint, parseTcpEndpoint, type TcpAddress } from './internal/tcp-endpoint.ts';
import { createOutboundLink, type OutboundLink } from './internal/tcp-outbound-link.ts';
import type { LinkCloseReason, Transport, TransportContext } from './transport.ts';

/** One line of the transport's own log (links, rejections, refused sends). */
export interface TcpTransportLogEntry {
  readonly level: 'info' | 'warn';
  readonly message: string;
  /** The endpoint or remote address concerned. */
  readonly endpoint?: string;
}

/**
 * TLS for the TCP transport (node:tls): every link is encrypted and the listener's certificate is
 * verified; with `mutual`, the dialler's too. The HMAC handshake still runs inside TLS, so a node
 * needs both a trusted certificate and the cluster secret.
 */
export interface TcpTlsOptions {
  /** This node's private key (PEM); required. */
  readonly key: string | Buffer;
  /** This node's certificate chain (PEM); required. It serves as the listener's and, with `mutual`, the dialler's certificate. */
  readonly cert: string | Buffer;
  /** CA certificate(s) that sign peers' certificates (PEM); default Node's bundled public root CAs. Set it to your cluster CA. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /** Mutual TLS: the listener requires each dialler to present a certificate signed by `ca` and refuses others (`rejected(ip:port, 'auth-failed')`); default false. */
  readonly mutual?: boolean;
  /** Refuse a peer whose certificate does not verify against `ca` or (dialling) does not name the endpoint's host or `servername`; default true. false leaves encryption without certificate checks: tests only. */
  readonly rejectUnauthorized?: boolean;
  /** Name expected in the listener's certificate when dialling, also sent as SNI; default the endpoint's host (an IP must then be in the certificate's subjectAltName). */
  readonly servername?: string;
}

/** Limits of the TCP listener, checked as a connection is accepted (before TLS and the handshake). */
export interface TcpListenerLimits {
  /** Connections open at once from one IP address (any port), handshaking or up; default 64. Nodes sharing one host share it. */
  readonly maxConnectionsPerAddress?: number;
  /** New connections accepted per second, sustained, all addresses together; default 50. */
  readonly handshakesPerSecond?: number;
  /** New connections accepted at once above that rate; default 100. */
  readonly handshakeBurst?: number;
}

/** Options of {@link createTcpTransport}; every default is written out. */
export interface TcpTransportOptions {
  /** The shared cluster secret, ≥ 16 bytes (UTF-8 for strings); required. Use 32 random bytes. */
  readonly secret: string | Uint8Array;
  /** Bind address; default `'127.0.0.1'` (loopback only). Binding any other interface must be explicit. */
  readonly host?: string;
  /** Listening port; default `0` (an ephemeral port chosen by the OS, see the endpoint `start` returns). */
  readonly port?: number;
  /** Host put in this node's endpoint; default `host`. Set it when binding a wildcard such as `'0.0.0.0'`. */
  readonly advertiseHost?: string;
  /** Largest frame body sent or accepted; default 16 MiB (16 × 1024 × 1024 bytes). Use the same on every node. */
  readonly maxFrameBytes?: number;
  /** Bound of each peer's outbound queue (queued frames plus socket buffer), in bytes; default 64 MiB. Over it `send` returns false. */
  readonly maxQueuedBytes?: number;
  /** Time a connection has to connect and authenticate; default 5 000 ms. Also bounds a graceful close in `stop`. */
  readonly handshakeTimeoutMs?: number;
  /** Reconnect backoff after failed attempts: `minMs · 2^(n−1)` capped at `maxMs`; default `{ minMs: 100, maxMs: 5_000 }`. */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
  /** Receives the transport's log lines; default: none. */
  readonly log?: (entry: TcpTransportLogEntry) => void;
  /** TLS on every link, listening and dialling; default none (plain TCP: authenticated, not encrypted). Use the same on every node. */
  readonly tls?: TcpTlsOptions;
  /** Listener limits; over one, a new connection is closed at once and reported as `rejected(ip:port, 'over-limit')`. Defaults in {@link TcpListenerLimits}. */
  readonly limits?: TcpListenerLimits;
}

const positiveInt = (name: string, v: number, min: number): number => {
  if (!Number.isInteger(v) || v < min) throw new TroupeError('invalid-argument', `${name} must be an integer ≥ ${min}, got ${v}.`, { [name]: v });
  return v;
};

/**
 * Creates a TCP {@link Transport}. `start` listens on `host:port` and resolves with the endpoint
 * `host:port` (IPv6 as `[::1]:port`). Each node sends on connections it opens (one per
 * destination endpoint) and receives on connections it accepts, so every sender→receiver pair
 * has one ordered stream. A connection first runs the HMAC handshake of wire/handshake.ts (each
 * side proves the secret and checks the other's proof); the dialler then announces its own
 * endpoint, so both sides report `linkUp(peerNodeId, peerEndpoint)`. Before that, nothing is
 * delivered: a failing inbound connection is closed and reported with `rejected(remote, reason,
 * detail)` (`remote` is its `ip:port`); the server keeps serving others. After it, a bad frame
 * closes that link with `linkDown`. Every authenticated connection reports one `linkUp` and, when
 * it ends, one `linkDown`: two nodes that talk both ways each see two links to the other (one to
 * send on, one to receive on), and `disconnect` closes only the first. `frame` hands over a view
 * into the received chunk (no copy; it stays valid, but keeps the chunk's memory while held).
 *
 * Sending: `send` appends the frame to the destination's queue (frames sent before the link is
 * up wait there) and one flush per turn (`scheduler.soon`) writes the queue in batches. When the
 * socket asks to wait, flushing pauses until 'drain'; queued bytes plus the socket's buffer are
 * bounded by `maxQueuedBytes`, beyond which `send` returns false. A frame over `maxFrameBytes`,
 * a malformed endpoint, or a stopped transport also return false. The queue keeps a reference to
 * `bytes` until it is written: do not modify it after `send`.
 *
 * Links: when a link drops, frames queued are kept and it reconnects at once if any are waiting
 * (else on the next send); a failed attempt retries after backoff `minMs · 2^(n−1)` ≤ `maxMs`
 * (no jitter) and is reported as `rejected(endpoint, reason, detail)`. Frames already handed to
 * a socket that dropped are lost (at-most-once). `disconnect` writes what is queued, closes the
 * link and forgets the endpoint; `stop` closes the server and every socket, cancels every timer
 * and resolves when all are closed (unsent data gets at most `handshakeTimeoutMs` to drain).
 * Every timer runs on the context's scheduler.
 *
 * Security: the handshake proves the cluster secret on each connection; the frames that follow
 * ride that one socket. Without `tls` they travel in clear (loopback or a private network only).
 * With `tls`, the socket is TLS (TLS 1.2+): the dialler verifies the listener's certificate, with
 * `mutual` the listener verifies the dialler's, and the handshake runs inside. A TLS failure
 * (untrusted or missing certificate, a peer that does not speak TLS) is `rejected(…,
 * 'auth-failed')`. Limits: a connection over `limits` is closed before any TLS or handshake work
 * and reported as `rejected(ip:port, 'over-limit')`; the node keeps serving the others.
 *
 * @example
 * const transport = createTcpTransport({ secret: process.env.TROUPE_SECRET! });
 * const endpoint = await transport.start(ctx); // '127.0.0.1:41234'
 * transport.send('127.0.0.1:41999', frameBytes);
 */
export function createTcpTransport(options: TcpTransportOptions): Transport {
  const secret = options.secret;
  const secretLength = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret?.length ?? 0;
  if (secretLength < MIN_SECRET_BYTES) {
    throw new TroupeError('invalid-argument', `The cluster secret must be at least ${MIN_SECRET_BYTES} bytes (got ${secretLength}); use 32 random bytes shared by every node.`);
  }
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TroupeError('invalid-argument', `port must be an integer in [0, 65535], got ${port}.`, { port });
  const maxFrameBytes = positiveInt('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1);
  const maxQueuedBytes = positiveInt('maxQueuedBytes', options.maxQueuedBytes ?? 64 * 1024 * 1024, FRAME_HEADER_BYTES);
  const handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs ?? 5_000, 1);
  const minMs = positiveInt('reconnect.minMs', options.reconnect?.minMs ?? 100, 0);
  const maxMs = positiveInt('reconnect.maxMs', options.reconnect?.maxMs ?? 5_000, minMs);
  const log = options.log ?? ((): void => {});
  const tls = options.tls;
  if (tls !== undefined && (!tls.key || !tls.cert)) throw new TroupeError('invalid-argument', 'tls needs this node\'s key and cert (PEM); add ca with your cluster CA certificate.');
  const rejectUnauthorized = tls?.rejectUnauthorized ?? true;
  const maxPerAddress = positiveInt('limits.maxConnectionsPerAddress', options.limits?.maxConnectionsPerAddress ?? 64, 1);
  const handshakesPerSecond = options.limits?.handshakesPerSecond ?? 50;
  if (!(handshakesPerSecond > 0) || !Number.isFinite(handshakesPerSecond)) throw new TroupeError('invalid-argument', `limits.handshakesPerSecond must be a positive number, got ${handshakesPerSecond}.`, { handshakesPerSecond });
  const handshakeBurst = positiveInt('limits.handshakeBurst', options.limits?.handshakeBurst ?? 100, 1);

  let ctx: TransportContext | undefined;
  let server: Server | undefined;
  let localEndpoint = '';
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const links = new Map<string, OutboundLink>();
  const inbound = new Set<TcpConnection>();
  /** Accepted sockets still in their TLS handshake, by `ip:port`. */
  const securing = new Map<string, { readonly raw: Socket; error: Error | undefined; timedOut: boolean }>();
  let admission: TcpAdmissionControl | undefined;
  let tlsServer: TlsServer | undefined;

  let newHandshake = (): Handshake => { throw new TroupeError('transport-closed', 'The TCP transport is not started; call start(ctx) first.'); };
  const backoffMs = (failures: number): number => Math.min(maxMs, minMs * 2 ** Math.min(30, failures - 1));

  const linkTo = (c: TransportContext, endpoint: string, address: TcpAddress): OutboundLink => createOutboundLink({
    endpoint, scheduler: c.scheduler, events: c.events, maxQueuedBytes, backoffMs,
    log: (level, message) => log({ level, message, endpoint }),
    open: (hooks) => openTcpConnection({
      role: 'outbound', socket: dial(address), handshake: newHandshake(),
      scheduler: c.scheduler, handshakeTimeoutMs, maxFrameBytes, localEndpoint, remoteEndpoint: endpoint,
      onFrame: () => {}, ...hooks,
    }),
  });

  const dial = (address: TcpAddress): Socket => {
    if (tls === undefined) return createConnection({ host: address.host, port: address.port });
    const servername = tls.servername ?? (isIP(address.host) === 0 ? address.host : undefined);
    return tlsConnect({ host: address.host, port: address.port, key: tls.key, cert: tls.cert, ca: tls.ca as string[] | undefined, rejectUnauthorized, servername });
  };

  const refuse = (remote: string, reason: LinkCloseReason, detail: string): void => {
    log({ level: 'warn', message: `Rejected connection from ${remote} (${reason}): ${detail}`, endpoint: remote });
    ctx?.events.rejected(remote, reason, detail);
  };

  /** A new TCP connection: limits first, then TLS (if configured), then the handshake. */
  const onConnection = (raw: Socket): void => {
    if (stopped || ctx === undefined || admission === undefined) { raw.destroy(); return; }
    const ip = raw.remoteAddress ?? 'unknown';
    const remote = formatTcpEndpoint(ip, raw.remotePort ?? 0);
    const verdict = admission.admit(ip);
    if (!verdict.admitted) {
      raw.destroy();
      refuse(remote, 'over-limit', verdict.detail);
      return;
    }
    raw.once('close', verdict.release);
    if (tlsServer === undefined) { accept(raw, remote); return; }
    const pending = { raw, error: undefined as Error | undefined, timedOut: false };
    securing.set(remote, pending);
    const timer = ctx.scheduler.startTimer(handshakeTimeoutMs, () => { pending.timedOut = true; raw.destroy(); });
    raw.once('close', () => {
      ctx?.scheduler.cancelTimer(timer);
      if (securing.get(remote) !== pending) return; // secured: the connection reports its own end
      securing.delete(remote);
      if (stopped) return;
      const code = (pending.error as NodeJS.ErrnoException | undefined)?.code ?? '';
      if (pending.timedOut) refuse(remote, 'handshake-timeout', `No TLS handshake within ${handshakeTimeoutMs} ms; the peer is slow or does not speak TLS.`);
      else if (pending.error !== undefined) refuse(remote, socketErrorReason(code), `TLS handshake failed (${code || 'error'}): ${pending.error.message}. Is the peer configured with tls and a certificate from this cluster's CA?`);
      else refuse(remote, 'closed', 'The peer closed the connection during the TLS handshake.');
    });
    tlsServer.emit('connection', raw);
  };

  const onSecure = (socket: TLSSocket): void => {
    const remote = formatTcpEndpoint(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
    const pending = securing.get(remote);
    securing.delete(remote);
    if (stopped || pending === undefined) { socket.destroy(); return; }
    if (tls?.mutual === true && rejectUnauthorized && !socket.authorized) {
      const presented = Object.keys(socket.getPeerCertificate() ?? {}).length > 0;
      socket.destroy();
      refuse(remote, 'auth-failed', presented
        ? `Mutual TLS: the client certificate was refused (${String(socket.authorizationError)}); it must be signed by a CA in tls.ca.`
        : 'Mutual TLS: the client presented no certificate; give every node tls.key and tls.cert signed by the cluster CA.');
      return;
    }
    accept(socket, remote);
  };

  const accept = (socket: Socket, remote: string): void => {
    const c = ctx as TransportContext;
    if (stopped) { socket.destroy(); return; }
    let endpoint = '';
    let peerId = '';
    const conn = openTcpConnection({
      role: 'inbound', socket, handshake: newHandshake(), scheduler: c.scheduler, handshakeTimeoutMs, maxFrameBytes,
      localEndpoint, remoteEndpoint: remote,
      onTrusted: (peer, ep) => {
        endpoint = ep;
        peerId = peer;
        log({ level: 'info', message: `Inbound link from '${peer}' (${remote}) is up.`, endpoint: ep });
        c.events.linkUp(peer, ep);
      },
      onFrame: (peer, bytes) => {
        try {
          c.events.frame(peer, bytes);
        } catch (e) {
          // Backstop: the frame handler should be total; if it threw, this frame is dropped and
          // reported, and the link keeps serving the next ones.
          const detail = `A frame from '${peer}' was dropped: its handler threw (${e instanceof Error ? e.message : String(e)}); the link stays up.`;
          log({ level: 'warn', message: detail, endpoint });
          c.events.rejected(endpoint, 'error', detail);
        }
      },
      onClose: (reason, detail, trusted) => {
        inbound.delete(conn);
        if (trusted) {
          log({ level: 'info', message: `Inbound link from '${peerId}' is down (${reason}): ${detail}`, endpoint });
          c.events.linkDown(peerId, endpoint, reason, detail);
        } else {
          log({ level: 'warn', message: `Rejected connection from ${remote} (${reason}): ${detail}`, endpoint: remote });
          c.events.rejected(remote, reason, detail);
        }
      },
    });
    inbound.add(conn);
  };

  return {
    kind: 'tcp',

    start(c) {
      if (ctx !== undefined) return Promise.reject(new TroupeError('invalid-argument', 'This TCP transport was already started; create one transport per node.'));
      ctx = c;
      const next = (): number => Buffer.from(c.nonceBytes(4)).readUInt32BE(0) / 4294967296;
      const random: Random = { seed: 0, next, int: (m) => Math.floor(next() * m), bytes: c.nonceBytes };
      newHandshake = () => createHandshake({ secret, nodeId: c.nodeId, system: c.system, random });
      admission = createTcpAdmission({ maxConnectionsPerAddress: maxPerAddress, handshakesPerSecond, handshakeBurst, clock: c.scheduler.clock });
      if (tls !== undefined) {
        // Never listens: accepted sockets are injected after the limits (its documented 'connection'
        // event). It does not refuse unauthorized clients itself, so that onSecure can report why.
        const t = createTlsServer({ key: tls.key, cert: tls.cert, ca: tls.ca as string[] | undefined, requestCert: tls.mutual === true, rejectUnauthorized: false });
        t.on('secureConnection', onSecure);
        t.on('tlsClientError', (e: Error, socket: TLSSocket) => {
          const pending = socket.remoteAddress === undefined ? undefined : securing.get(formatTcpEndpoint(socket.remoteAddress, socket.remotePort ?? 0));
          if (pending !== undefined) pending.error = e;
        });
        tlsServer = t;
      }
      return new Promise<string>((resolve, reject) => {
        const s = createServer({ noDelay: true }, onConnection);
        server = s;
        const onListenError = (e: NodeJS.ErrnoException): void => {
          stopped = true;
          reject(new TroupeError('transport-closed', `Cannot listen on ${formatTcpEndpoint(host, port)}: ${e.code ?? e.message}. Choose another port (0 picks a free one) or stop the process holding it.`, { host, port }, { cause: e }));
        };
        s.once('error', onListenError);
        s.listen({ host, port }, () => {
          s.off('error', onListenError);
          if (stopped) {
            s.close();
            reject(new TroupeError('transport-closed', 'The TCP transport was stopped before it started listening.'));
            return;
          }
          s.on('error', (e) => log({ level: 'warn', message: `Server error: ${e.message}` }));
          const address = s.address();
          const actualPort = typeof address === 'object' && address !== null ? address.port : port;
          localEndpoint = formatTcpEndpoint(options.advertiseHost ?? host, actualPort);
          log({ level: 'info', message: `Listening on ${formatTcpEndpoint(host, actualPort)}.`, endpoint: localEndpoint });
          resolve(localEndpoint);
        });
      });
    },

    send(endpoint, bytes) {
      if (stopped || ctx === undefined || localEndpoint === '') return false;
      if (bytes.length > maxFrameBytes) {
        log({ level: 'warn', message: `Not sent: a frame of ${bytes.length} bytes exceeds maxFrameBytes ${maxFrameBytes}.`, endpoint });
        return false;
      }
      let link = links.get(endpoint);
      if (link === undefined) {
        const address = parseTcpEndpoint(endpoint);
        if (address === undefined) {
          log({ level: 'warn', message: `Not sent: '${endpoint}' is not a host:port endpoint.`, endpoint });
          return false;
        }
        link = linkTo(ctx, endpoint, address);
        links.set(endpoint, link);
      }
      return link.send(bytes);
    },

    disconnect(endpoint) {
      const link = links.get(endpoint);
      if (link === undefined) return;
      links.delete(endpoint);
      void link.dispose('closed', 'Disconnected by this node.');
    },

    stop() {
      if (stopping) return stopping;
      stopped = true;
      const closing: Promise<void>[] = [];
      for (const link of links.values()) closing.push(link.dispose('stopped', 'This transport stopped.'));
      links.clear();
      for (const conn of [...inbound]) {
        conn.close('stopped', 'This transport stopped.', false);
        closing.push(conn.whenClosed);
      }
      for (const { raw } of [...securing.values()]) {
        if (!raw.destroyed) closing.push(new Promise<void>((resolve) => raw.once('close', () => resolve())));
        raw.destroy();
      }
      const s = server;
      if (s !== undefined && s.listening) closing.push(new Promise<void>((resolve) => s.close(() => resolve())));
      stopping = Promise.all(closing).then(() => undefined);
      return stopping;
    },
  };
}
