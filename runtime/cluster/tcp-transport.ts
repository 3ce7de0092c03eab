// The TCP transport: the default between local node processes. Authenticated, length-prefixed,
// batched, backpressured one-way links per sender→receiver pair, reconnecting with backoff.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { TimerId } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from '../wire/frame.ts';
import { createHandshake, MIN_SECRET_BYTES } from '../wire/handshake.ts';
import { openTcpConnection, type TcpConnection } from './internal/tcp-connection.ts';
import { formatTcpEndpoint, parseTcpEndpoint, type TcpAddress } from './internal/tcp-endpoint.ts';
import { createOutboundQueue, type OutboundQueue } from './internal/tcp-outbound-queue.ts';
import type { Transport, TransportContext } from './transport.ts';

/** One line of the transport's own log (links, rejections, refused sends). */
export interface TcpTransportLogEntry {
  readonly level: 'debug' | 'info' | 'warn';
  readonly message: string;
  /** The endpoint or remote address concerned. */
  readonly endpoint?: string;
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
}

type LinkState = 'idle' | 'connecting' | 'up' | 'backoff';

/** This node's sending side towards one endpoint. */
interface OutLink {
  readonly endpoint: string;
  readonly address: TcpAddress;
  readonly queue: OutboundQueue;
  state: LinkState;
  conn: TcpConnection | undefined;
  peer: string;
  /** Consecutive attempts that failed before trust; 0 after a link came up. */
  failures: number;
  timer: TimerId | undefined;
  flushScheduled: boolean;
  /** `socket.write` returned false; waiting for 'drain'. */
  blocked: boolean;
  disposed: boolean;
  readonly flush: () => void;
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
 * detail)`; the server keeps serving others. After it, a bad frame closes that link with `linkDown`.
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

  let ctx: TransportContext | undefined;
  let server: Server | undefined;
  let localEndpoint = '';
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const links = new Map<string, OutLink>();
  const inbound = new Set<TcpConnection>();

  const handshakeFor = (c: TransportContext) => {
    const bytes = c.nonceBytes;
    const next = (): number => Buffer.from(bytes(4)).readUInt32BE(0) / 4294967296;
    const random: Random = { seed: 0, next, int: (m) => Math.floor(next() * m), bytes };
    return () => createHandshake({ secret, nodeId: c.nodeId, system: c.system, random });
  };
  let newHandshake: () => ReturnType<typeof createHandshake> = () => { throw new TroupeError('transport-closed', 'The TCP transport is not started; call start(ctx) first.'); };

  const flushLink = (link: OutLink): void => {
    link.flushScheduled = false;
    if (link.state !== 'up' || link.blocked || link.conn === undefined) return;
    if (!link.queue.writeTo(link.conn.socket)) link.blocked = true;
  };

  const scheduleFlush = (link: OutLink): void => {
    if (link.flushScheduled || link.blocked || link.state !== 'up') return;
    link.flushScheduled = true;
    (ctx as TransportContext).scheduler.soon(link.flush);
  };

  const backoffMs = (failures: number): number => Math.min(maxMs, minMs * 2 ** Math.min(30, failures - 1));

  const connect = (link: OutLink): void => {
    const c = ctx as TransportContext;
    link.state = 'connecting';
    const socket: Socket = createConnection({ host: link.address.host, port: link.address.port });
    const conn = openTcpConnection({
      role: 'outbound', socket, handshake: newHandshake(), scheduler: c.scheduler, handshakeTimeoutMs, maxFrameBytes,
      localEndpoint, remoteEndpoint: link.endpoint,
      onTrusted: (peer) => {
        link.state = 'up';
        link.peer = peer;
        link.failures = 0;
        log({ level: 'info', message: `Link to '${peer}' is up.`, endpoint: link.endpoint });
        c.events.linkUp(peer, link.endpoint);
        scheduleFlush(link);
      },
      onFrame: () => {},
      onClose: (reason, detail, trusted) => {
        if (link.conn !== conn) return;
        link.conn = undefined;
        link.blocked = false;
        link.state = 'idle';
        if (trusted) {
          log({ level: 'info', message: `Link to '${link.peer}' is down (${reason}): ${detail}`, endpoint: link.endpoint });
          c.events.linkDown(link.peer, link.endpoint, reason, detail);
        } else if (!link.disposed) {
          link.failures++;
          log({ level: 'warn', message: `Connecting failed (${reason}): ${detail}`, endpoint: link.endpoint });
          c.events.rejected(link.endpoint, reason, detail);
        }
        if (link.disposed || stopped) return;
        if (link.failures === 0) {
          if (link.queue.length > 0) connect(link);
          return;
        }
        link.state = 'backoff';
        link.timer = c.scheduler.startTimer(backoffMs(link.failures), () => {
          link.timer = undefined;
          link.state = 'idle';
          if (link.queue.length > 0 && !stopped) connect(link);
        });
      },
    });
    link.conn = conn;
    socket.on('drain', () => {
      if (link.conn !== conn || !link.blocked) return;
      link.blocked = false;
      flushLink(link);
    });
  };

  const dispose = (link: OutLink, reason: 'closed' | 'stopped', detail: string): void => {
    link.disposed = true;
    if (link.timer !== undefined) { (ctx as TransportContext).scheduler.cancelTimer(link.timer); link.timer = undefined; }
    const conn = link.conn;
    if (conn !== undefined && link.state === 'up' && !link.blocked) link.queue.writeTo(conn.socket);
    link.queue.clear();
    conn?.close(reason, detail, link.state === 'up');
  };

  const accept = (socket: Socket): void => {
    const c = ctx as TransportContext;
    if (stopped) { socket.destroy(); return; }
    const remote = formatTcpEndpoint(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
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
      onFrame: (peer, bytes) => c.events.frame(peer, bytes),
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
      newHandshake = handshakeFor(c);
      return new Promise<string>((resolve, reject) => {
        const s = createServer({ noDelay: true }, accept);
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
      let link = links.get(endpoint);
      if (link === undefined) {
        const address = parseTcpEndpoint(endpoint);
        if (address === undefined) {
          log({ level: 'warn', message: `Not sent: '${endpoint}' is not a host:port endpoint.`, endpoint });
          return false;
        }
        const created: OutLink = {
          endpoint, address, queue: createOutboundQueue(), state: 'idle', conn: undefined, peer: '', failures: 0,
          timer: undefined, flushScheduled: false, blocked: false, disposed: false, flush: () => flushLink(created),
        };
        link = created;
        links.set(endpoint, link);
      }
      if (bytes.length > maxFrameBytes) {
        log({ level: 'warn', message: `Not sent: a frame of ${bytes.length} bytes exceeds maxFrameBytes ${maxFrameBytes}.`, endpoint });
        return false;
      }
      const buffered = link.state === 'up' && link.conn !== undefined ? link.conn.socket.writableLength : 0;
      if (link.queue.bytes + buffered + FRAME_HEADER_BYTES + bytes.length > maxQueuedBytes) return false;
      link.queue.push(bytes);
      if (link.state === 'up') scheduleFlush(link);
      else if (link.state === 'idle') connect(link);
      return true;
    },

    disconnect(endpoint) {
      const link = links.get(endpoint);
      if (link === undefined) return;
      links.delete(endpoint);
      dispose(link, 'closed', 'Disconnected by this node.');
    },

    stop() {
      if (stopping) return stopping;
      stopped = true;
      const closing: Promise<void>[] = [];
      for (const link of links.values()) {
        const conn = link.conn;
        dispose(link, 'stopped', 'This transport stopped.');
        if (conn) closing.push(conn.whenClosed);
      }
      links.clear();
      for (const conn of [...inbound]) {
        conn.close('stopped', 'This transport stopped.', false);
        closing.push(conn.whenClosed);
      }
      const s = server;
      if (s !== undefined && s.listening) closing.push(new Promise<void>((resolve) => s.close(() => resolve())));
      stopping = Promise.all(closing).then(() => undefined);
      return stopping;
    },
  };
}
