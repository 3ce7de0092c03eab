// One TCP connection's trust lifecycle: the framed handshake under a timeout, the connecting
// node's endpoint announce, then frames; every way the connection can end is reported once.

import type { Socket } from 'node:net';
import type { Scheduler, TimerId } from '../../clock.ts';
import { isTroupeError } from '../../errors.ts';
import { createFrameDecoder, encodeFrame, FRAME_HEADER_BYTES, type FrameDecoder } from '../../wire/frame.ts';
import type { Handshake, HandshakePeer } from '../../wire/handshake.ts';
import type { LinkCloseReason } from '../transport.ts';
import { parseTcpEndpoint } from './tcp-endpoint.ts';

/**
 * Largest message accepted before a connection is trusted (4 KiB). A hello is well under 1 KiB;
 * the cap keeps a stranger from making this node allocate a full `maxFrameBytes` buffer.
 */
export const HANDSHAKE_MAX_MESSAGE_BYTES = 4096;

/**
 * Which side of a connection this node is. `outbound`: this node dialled, sends frames, and
 * announces its own endpoint as the first frame after the handshake. `inbound`: this node
 * accepted, expects that announce, then receives frames. Links are one-way by design: a node
 * sends only on connections it opened, so one socket carries each sender→receiver pair in order.
 */
export type TcpConnectionRole = 'outbound' | 'inbound';

/** What {@link openTcpConnection} needs. */
export interface TcpConnectionOptions {
  readonly role: TcpConnectionRole;
  readonly socket: Socket;
  /** A fresh, idle handshake for this connection. */
  readonly handshake: Handshake;
  readonly scheduler: Scheduler;
  /** Time from opening to trusted (handshake and announce done); also bounds a graceful close. */
  readonly handshakeTimeoutMs: number;
  /** Largest frame accepted once trusted. */
  readonly maxFrameBytes: number;
  /** Outbound: the endpoint this node announces (its own). Inbound: unused. */
  readonly localEndpoint: string;
  /** Outbound: the endpoint dialled, reported as the peer's. Inbound: unused (the peer announces it). */
  readonly remoteEndpoint: string;
  /** The connection is trusted: `peer` proved the secret; `endpoint` is where it listens. */
  readonly onTrusted: (peer: string, endpoint: string) => void;
  /** One frame from the trusted peer (inbound only); a view into the socket's chunk. */
  readonly onFrame: (peer: string, bytes: Buffer) => void;
  /** Called exactly once, when the connection ends for any reason; `trusted` tells which side of trust. */
  readonly onClose: (reason: LinkCloseReason, detail: string, trusted: boolean) => void;
}

/** A live connection; see {@link openTcpConnection}. */
export interface TcpConnection {
  readonly trusted: boolean;
  readonly closed: boolean;
  readonly socket: Socket;
  /** Resolves once the socket is fully closed (after `onClose`). */
  readonly whenClosed: Promise<void>;
  /**
   * Ends the connection and reports `onClose(reason, detail)` (once). `graceful`: data already
   * written is flushed first, bounded by `handshakeTimeoutMs`; otherwise the socket is destroyed.
   */
  close(reason: LinkCloseReason, detail: string, graceful: boolean): void;
}

type Phase = 'handshake' | 'announce' | 'frames';

const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/** OpenSSL and Node codes of a TLS peer that could not be authenticated (or does not speak TLS). */
const TLS_REFUSED = /^(ERR_SSL_|ERR_TLS_CERT|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_TLS_INVALID|ERR_TLS_PSK)/;

/** How a socket error code (from a net or TLS socket) is reported. */
export function socketErrorReason(code: string): LinkCloseReason {
  if (DROPPED.has(code)) return 'closed';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshake-timeout';
  if (TLS_REFUSED.test(code)) return 'auth-failed';
  return 'error';
}

const reasonOf = (e: unknown): LinkCloseReason => {
  if (isTroupeError(e, 'frame-too-large')) return 'frame-too-large';
  if (isTroupeError(e, 'protocol-version')) return 'protocol-version';
  if (isTroupeError(e, 'auth-failed')) return 'auth-failed';
  return 'malformed-frame';
};

/**
 * Runs one connection: writes this side's hello at once, frames handshake messages (each at most
 * {@link HANDSHAKE_MAX_MESSAGE_BYTES}), applies the handshake timeout, and on failure writes the
 * handshake's rejection before closing. Once trusted, inbound frames are decoded zero-copy with
 * `maxFrameBytes`; a bad frame closes the connection (`malformed-frame`, `frame-too-large`), and
 * any data arriving on an outbound link is `malformed-frame` (links are one-way).
 */
export function openTcpConnection(o: TcpConnectionOptions): TcpConnection {
  const { socket, handshake, scheduler } = o;
  let phase: Phase = 'handshake';
  let trusted = false;
  let closed = false;
  let peer = '';
  let partial: Buffer | null = null; // an incomplete handshake-phase message
  let decoder: FrameDecoder | undefined;
  let timer: TimerId | undefined;
  let resolveClosed!: () => void;
  const whenClosed = new Promise<void>((r) => { resolveClosed = r; });

  const stopTimer = (): void => {
    if (timer !== undefined) { scheduler.cancelTimer(timer); timer = undefined; }
  };

  const close = (reason: LinkCloseReason, detail: string, graceful: boolean): void => {
    if (closed) return;
    closed = true;
    stopTimer();
    if (graceful && !socket.destroyed) {
      timer = scheduler.startTimer(o.handshakeTimeoutMs, () => { timer = undefined; socket.destroy(); });
      socket.end(() => socket.destroy());
    } else {
      socket.destroy();
    }
    o.onClose(reason, detail, trusted);
  };

  const becomeTrusted = (endpoint: string): void => {
    stopTimer();
    trusted = true;
    phase = 'frames';
    if (o.role === 'inbound') decoder = createFrameDecoder({ maxFrameBytes: o.maxFrameBytes });
    o.onTrusted(peer, endpoint);
  };

  const onMessage = (msg: Buffer): void => {
    if (phase === 'announce') {
      const endpoint = msg.toString('utf8');
      if (parseTcpEndpoint(endpoint) === undefined) {
        close('malformed-frame', `Peer '${peer}' announced an endpoint that is not host:port; it is not a Troupe TCP node of this version.`, false);
      } else {
        becomeTrusted(endpoint);
      }
      return;
    }
    const step = handshake.receive(msg);
    for (const m of step.send) socket.write(encodeFrame(m, HANDSHAKE_MAX_MESSAGE_BYTES));
    if (step.outcome === 'failed') {
      close(reasonOf(step.error), step.error.message, true);
    } else if (step.outcome === 'established') {
      peer = (step.peer as HandshakePeer).nodeId;
      if (o.role === 'outbound') {
        socket.write(encodeFrame(Buffer.from(o.localEndpoint, 'utf8')));
        becomeTrusted(o.remoteEndpoint);
      } else {
        phase = 'announce';
      }
    }
  };

  // Handshake-phase framing: at most one incomplete message (≤ 4 KiB + header) is ever held.
  const onUntrustedData = (chunk: Buffer): void => {
    const buf = partial === null ? chunk : Buffer.concat([partial, chunk]);
    partial = null;
    let off = 0;
    while (phase !== 'frames' && !closed && buf.length - off >= FRAME_HEADER_BYTES) {
      const length = buf.readUInt32BE(off);
      if (length > HANDSHAKE_MAX_MESSAGE_BYTES) {
        close('frame-too-large', `Handshake message of ${length} bytes exceeds ${HANDSHAKE_MAX_MESSAGE_BYTES}; the peer is not a Troupe node.`, false);
        return;
      }
      if (buf.length - off - FRAME_HEADER_BYTES < length) break;
      const start = off + FRAME_HEADER_BYTES;
      off = start + length;
      onMessage(buf.subarray(start, off));
    }
    if (closed || off === buf.length) return;
    if (phase === 'frames') onTrustedData(buf.subarray(off));
    else partial = Buffer.from(buf.subarray(off));
  };

  const onTrustedData = (chunk: Buffer): void => {
    if (decoder === undefined) {
      close('malformed-frame', `Peer '${peer}' sent data on a link this node only sends on; it is not a Troupe TCP node of this version.`, false);
      return;
    }
    let frames: Buffer[];
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      close(reasonOf(e), e instanceof Error ? e.message : String(e), false);
      return;
    }
    for (let i = 0; i < frames.length && !closed; i++) o.onFrame(peer, frames[i]);
  };

  // Last resort: nothing may throw out of a socket callback (it would crash the process). What
  // escapes a handler (a bug, or a throwing onFrame/onClose) closes this connection with `error`.
  const guarded = <A extends unknown[]>(what: string, handler: (...args: A) => void) => (...args: A): void => {
    try {
      handler(...args);
    } catch (e) {
      if (!closed) close('error', `Internal error while handling socket ${what}${peer ? ` from '${peer}'` : ''}: ${e instanceof Error ? e.message : String(e)}`, false);
    }
  };

  socket.on('data', guarded('data', (chunk: Buffer) => {
    if (closed) return;
    if (phase === 'frames') onTrustedData(chunk);
    else onUntrustedData(chunk);
  }));
  socket.on('end', guarded('end', () => {
    if (closed) return;
    if (decoder !== undefined) {
      try { decoder.end(); } catch (e) {
        close('malformed-frame', e instanceof Error ? e.message : String(e), false);
        return;
      }
    } else if (partial !== null) {
      close('malformed-frame', `Peer closed the connection inside a handshake message (${partial.length} bytes of it received).`, false);
      return;
    }
    const hint = 'encrypted' in socket ? ' (over TLS: the peer may have refused this node\'s certificate; see its log)' : '';
    close('closed', trusted ? 'The peer closed the connection.' : `The peer closed the connection before the handshake completed${hint}.`, false);
  }));
  socket.on('error', guarded('error', (e: NodeJS.ErrnoException) => {
    const code = e.code ?? 'unknown';
    close(socketErrorReason(code), `Socket error ${code}: ${e.message}`, false);
  }));
  socket.on('close', () => {
    stopTimer();
    guarded('close', () => close('closed', 'The connection closed.', false))();
    resolveClosed();
  });

  timer = scheduler.startTimer(o.handshakeTimeoutMs, () => {
    timer = undefined;
    close('handshake-timeout', `No complete handshake within ${o.handshakeTimeoutMs} ms; the peer is slow, unreachable, or not a Troupe node.`, false);
  });
  socket.setNoDelay(true);
  socket.write(encodeFrame(handshake.start(), HANDSHAKE_MAX_MESSAGE_BYTES));

  return {
    get trusted() { return trusted; },
    get closed() { return closed; },
    socket,
    whenClosed,
    close,
  };
}
