// One destination's sending side: its bounded queue, the connection that carries it, one flush
// per turn, a pause while the socket is full, and reconnects with exponential backoff.

import type { Scheduler, TimerId } from '../../clock.ts';
import { FRAME_HEADER_BYTES } from '../../wire/frame.ts';
import type { TransportEvents } from '../transport.ts';
import type { TcpConnection, TcpConnectionOptions } from './tcp-connection.ts';
import { createOutboundQueue } from './tcp-outbound-queue.ts';

/** Opens a connection to the link's endpoint that reports to `hooks`. */
export type OpenOutbound = (hooks: Pick<TcpConnectionOptions, 'onTrusted' | 'onClose'>) => TcpConnection;

/** What {@link createOutboundLink} needs. */
export interface OutboundLinkDeps {
  readonly endpoint: string;
  readonly scheduler: Scheduler;
  readonly events: TransportEvents;
  /** Bound of queued bytes plus the socket's own buffer. */
  readonly maxQueuedBytes: number;
  /** Delay before the next attempt after `failures` consecutive failed ones (≥ 1). */
  readonly backoffMs: (failures: number) => number;
  readonly open: OpenOutbound;
  readonly log: (level: 'info' | 'warn', message: string) => void;
}

/** A destination's sending side; see {@link createOutboundLink}. */
export interface OutboundLink {
  /** Queues one frame body (size already checked); false when the bound would be exceeded. */
  send(bytes: Buffer): boolean;
  /**
   * Writes what is queued if the link is up, closes it (a link that was up reports `linkDown`
   * with `reason`) and cancels its timers; it never reconnects afterwards. Resolves once closed.
   */
  dispose(reason: 'closed' | 'stopped', detail: string): Promise<void>;
}

type State = 'idle' | 'connecting' | 'up' | 'backoff';

/**
 * Creates the sending side towards one endpoint, idle until the first `send`. States: `idle` →
 * `connecting` (socket and handshake) → `up` (flushing) → back to `idle` when it drops, then at
 * once to `connecting` if frames wait. A failed attempt (never trusted) is reported as
 * `rejected(endpoint, …)` and waits `backoffMs(failures)` in `backoff`; frames queue meanwhile.
 * While up, one flush per turn (`scheduler.soon`) writes the queue; when the socket asks to
 * wait, flushing resumes on 'drain'.
 */
export function createOutboundLink(d: OutboundLinkDeps): OutboundLink {
  const queue = createOutboundQueue();
  let state: State = 'idle';
  let conn: TcpConnection | undefined;
  let peer = '';
  let failures = 0;
  let timer: TimerId | undefined;
  let flushScheduled = false;
  let blocked = false;
  let disposed = false;

  const flush = (): void => {
    flushScheduled = false;
    if (state !== 'up' || blocked || conn === undefined) return;
    if (!queue.writeTo(conn.socket)) blocked = true;
  };

  const scheduleFlush = (): void => {
    if (flushScheduled || blocked || state !== 'up') return;
    flushScheduled = true;
    d.scheduler.soon(flush);
  };

  const connect = (): void => {
    state = 'connecting';
    const c: TcpConnection = d.open({
      onTrusted: (p) => {
        state = 'up';
        peer = p;
        failures = 0;
        d.log('info', `Link to '${p}' is up.`);
        d.events.linkUp(p, d.endpoint);
        scheduleFlush();
      },
      onClose: (reason, detail, trusted) => {
        if (conn !== c) return;
        conn = undefined;
        blocked = false;
        state = 'idle';
        if (trusted) {
          d.log('info', `Link to '${peer}' is down (${reason}): ${detail}`);
          d.events.linkDown(peer, d.endpoint, reason, detail);
        } else if (!disposed) {
          failures++;
          d.log('warn', `Connecting failed (${reason}): ${detail}`);
          d.events.rejected(d.endpoint, reason, detail);
        }
        if (disposed) return;
        if (failures === 0) {
          if (queue.length > 0) connect();
          return;
        }
        state = 'backoff';
        timer = d.scheduler.startTimer(d.backoffMs(failures), () => {
          timer = undefined;
          state = 'idle';
          if (queue.length > 0 && !disposed) connect();
        });
      },
    });
    conn = c;
    c.socket.on('drain', () => {
      if (conn !== c || !blocked) return;
      blocked = false;
      flush();
    });
  };

  return {
    send(bytes) {
      if (disposed) return false;
      const buffered = state === 'up' && conn !== undefined ? conn.socket.writableLength : 0;
      if (queue.bytes + buffered + FRAME_HEADER_BYTES + bytes.length > d.maxQueuedBytes) return false;
      queue.push(bytes);
      if (state === 'up') scheduleFlush();
      else if (state === 'idle') connect();
      return true;
    },
    dispose(reason, detail) {
      disposed = true;
      if (timer !== undefined) { d.scheduler.cancelTimer(timer); timer = undefined; }
      const c = conn;
      const up = state === 'up';
      if (c !== undefined && up && !blocked) queue.writeTo(c.socket);
      queue.clear();
      c?.close(reason, detail, up);
      return c === undefined ? Promise.resolve() : c.whenClosed;
    },
  };
}
