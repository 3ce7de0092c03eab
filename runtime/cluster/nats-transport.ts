// The NATS transport: each node subscribes to its own subject and publishes frames to its peers'
// subjects, after the HMAC handshake of wire/handshake.ts has run over NATS messages.

import { createSecretKey, type KeyObject } from 'node:crypto';
import { connect, type ConnectionOptions, type Msg, type NatsConnection, type NatsError } from 'nats';
import type { TimerId } from '../clock.ts';
import { TroupeError, type TroupeErrorCode } from '../errors.ts';
import type { Random } from '../random.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../wire/frame.ts';
import { createHandshake, MIN_SECRET_BYTES, type Handshake } from '../wire/handshake.ts';
import { decodeNatsMessage, encodeNatsFrame, encodeNatsMessage, NATS_INSTANCE_BYTES, openNatsPiece, type NatsMessage, type NatsSealer } from './internal/nats-message.ts';
import type { LinkCloseReason, Transport, TransportContext } from './transport.ts';

/** Options of {@link createNatsTransport}; every default is written out. */
export interface NatsTransportOptions {
  /** NATS server URL(s), e.g. `'nats://127.0.0.1:4222'`; required. */
  readonly servers: string | readonly string[];
  /** The shared cluster secret, ≥ 16 bytes (UTF-8 for strings); required. Use 32 random bytes. */
  readonly secret: string | Uint8Array;
  /** First subject tokens; a node listens on `<subjectPrefix>.<system>.<nodeId>`. Default `'troupe'`. */
  readonly subjectPrefix?: string;
  /** Largest frame sent or accepted; default 16 MiB. Frames over the server's `max_payload` go in pieces. */
  readonly maxFrameBytes?: number;
  /** Bytes of frames held per peer until its handshake completes; over it `send` returns false. Default 64 MiB. */
  readonly maxQueuedBytes?: number;
  /** Time to reach the NATS server in `start`; default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Time a handshake may take before `rejected(endpoint, 'handshake-timeout')`; default 5 000 ms. Also bounds `stop`'s drain. */
  readonly handshakeTimeoutMs?: number;
  /** Further options of the `nats` client (credentials, TLS, reconnect policy); default none. */
  readonly nats?: Omit<ConnectionOptions, 'servers' | 'timeout'>;
}

interface Session {
  readonly endpoint: string;
  readonly hs: Handshake;
  state: 'handshaking' | 'up';
  peer: string;
  /** The peer transport's instance, from its first message in this session. */
  instance: Buffer | undefined;
  queue: Buffer[];
  queuedBytes: number;
  timer: TimerId | undefined;
  /** Pieces of a frame split over several messages. */
  parts: Buffer[];
  partBytes: number;
  /** Once up: the send key and next sequence number, the receive key and the last sequence number accepted. */
  sealer: NatsSealer | undefined;
  receiveKey: KeyObject | undefined;
  lastSeq: number;
}

const TOKEN = /^[^\s.*>]+$/;
const positiveInt = (name: string, v: number, min: number): number => {
  if (!Number.isInteger(v) || v < min) throw new TroupeError('invalid-argument', `${name} must be an integer ≥ ${min}, got ${v}.`, { [name]: v });
  return v;
};
const isHello = (body: Buffer): boolean => {
  try { return (JSON.parse(body.toString('utf8')) as { t?: unknown } | null)?.t === 'troupe-hello'; } catch { return false; }
};
const reasonOf = (code: TroupeErrorCode): LinkCloseReason =>
  code === 'auth-failed' || code === 'protocol-version' || code === 'malformed-frame' ? code : 'error';
/** The handshake only draws nonce bytes; adapt the context's nonce source to a Random. */
const nonceRandom = (bytes: (n: number) => Uint8Array): Random => {
  const next = (): number => Buffer.from(bytes(4)).readUInt32BE(0) / 2 ** 32;
  return { seed: 0, next, int: (max) => Math.floor(next() * max), bytes };
};

/**
 * Creates a NATS {@link Transport}. `start` connects, subscribes to `<subjectPrefix>.<system>.<nodeId>`
 * and resolves with that subject as the endpoint. Messages carry a 10-byte header (magic, kind,
 * this transport's random instance id) and name the sender's subject as their reply-to.
 *
 * Links: the first `send` to an endpoint starts the handshake over NATS messages (either side
 * may start; simultaneous starts meet in one session); frames sent meanwhile wait in a queue
 * bounded by `maxQueuedBytes`. Once both proofs check out and the peer's node id matches its
 * subject, both sides report `linkUp(peerNodeId, peerSubject)` and queued frames go out. Frames
 * from a sender without a completed handshake are dropped and reported once per sender instance
 * with `rejected(subject, 'auth-failed')`; when this node has no session with that subject at all
 * (it restarted or lost its NATS connection) it also answers with a reset, which makes the sender
 * drop its session (`linkDown`, reason `closed`) and handshake again on its next send. A hello
 * from a restarted peer (new instance) likewise replaces the old session. A failed or timed-out handshake drops its queued frames and reports
 * `rejected`; the next send tries again. Order per pair is NATS's (one connection each); delivery
 * is at most once. Losing the NATS connection takes every link down (reason `error`).
 * `disconnect` tells the peer and forgets the session; `stop` does so for all, then drains the
 * connection (bounded by `handshakeTimeoutMs`, then closed).
 *
 * Per-message authentication: the handshake derives one key per direction (see `SessionKeys` in
 * wire/handshake.ts). Every frame message carries a sequence number (from 1 per session) and an
 * HMAC-SHA256 over header, sequence and payload, truncated to 16 bytes. A message whose MAC fails,
 * or whose sequence number is not above the last one accepted (a replay), is dropped and reported
 * with `rejected(subject, 'auth-failed')`; the link stays up. A frame with a piece lost is dropped
 * whole (`rejected(subject, 'malformed-frame')`). Payloads are not encrypted (use TLS to the NATS
 * server and NATS permissions), and the unauthenticated `bye`/`reset`/hello control messages let
 * whoever may publish on `<subjectPrefix>.>` force a re-handshake (availability, not integrity).
 *
 * @example
 * const transport = createNatsTransport({ servers: 'nats://127.0.0.1:4222', secret: process.env.TROUPE_SECRET! });
 * const endpoint = await transport.start(ctx); // 'troupe.shop.node-1'
 * transport.send('troupe.shop.node-2', frameBytes);
 */
export function createNatsTransport(options: NatsTransportOptions): Transport {
  const secret = options.secret;
  const secretLength = typeof secret === 'string' ? Buffer.byteLength(secret, 'utf8') : secret?.length ?? 0;
  if (secretLength < MIN_SECRET_BYTES) {
    throw new TroupeError('invalid-argument', `The cluster secret must be at least ${MIN_SECRET_BYTES} bytes (got ${secretLength}); use 32 random bytes shared by every node.`);
  }
  const prefix = options.subjectPrefix ?? 'troupe';
  if (!prefix.split('.').every((t) => TOKEN.test(t))) {
    throw new TroupeError('invalid-argument', `subjectPrefix '${prefix}' is not a NATS subject: use dot-separated tokens without spaces, '*' or '>'.`, { subjectPrefix: prefix });
  }
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  const maxFrameBytes = positiveInt('maxFrameBytes', options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, 1);
  const maxQueuedBytes = positiveInt('maxQueuedBytes', options.maxQueuedBytes ?? 64 * 1024 * 1024, 0);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', options.connectTimeoutMs ?? 5_000, 1);
  const handshakeTimeoutMs = positiveInt('handshakeTimeoutMs', options.handshakeTimeoutMs ?? 5_000, 1);

  let ctx: TransportContext | undefined;
  let nc: NatsConnection | undefined;
  let subject = '';
  let instance = Buffer.alloc(NATS_INSTANCE_BYTES);
  let random: Random | undefined;
  let maxPayload = 1024 * 1024;
  let stopped = false;
  const sessions = new Map<string, Session>();
  /** Senders (subject + instance) already told about a dropped frame, until they handshake. */
  const reported = new Set<string>();

  const subjectOf = (nodeId: string): string => `${prefix}.${ctx?.system}.${nodeId}`;
  const publish = (endpoint: string, message: Buffer): boolean => {
    try { nc?.publish(endpoint, message, { reply: subject }); return true; } catch { return false; }
  };
  const publishFrame = (s: Session, frame: Buffer): boolean => {
    for (const m of encodeNatsFrame(instance, frame, maxPayload, s.sealer as NatsSealer)) if (!publish(s.endpoint, m)) return false;
    return true;
  };
  const forget = (s: Session): void => {
    if (s.timer) ctx?.scheduler.cancelTimer(s.timer);
    s.timer = undefined;
    s.queue = [];
    s.queuedBytes = 0;
    if (sessions.get(s.endpoint) === s) sessions.delete(s.endpoint);
  };
  /** Ends a session: `linkDown` when it was up, else `rejected`. */
  const end = (s: Session, reason: LinkCloseReason, detail: string): void => {
    forget(s);
    if (s.state === 'up') ctx?.events.linkDown(s.peer, s.endpoint, reason, detail);
    else ctx?.events.rejected(s.endpoint, reason, detail);
  };

  const open = (endpoint: string, c: TransportContext): Session => {
    const s: Session = {
      endpoint, hs: createHandshake({ secret, nodeId: c.nodeId, system: c.system, random: random! }),
      state: 'handshaking', peer: '', instance: undefined, queue: [], queuedBytes: 0, timer: undefined, parts: [], partBytes: 0,
      sealer: undefined, receiveKey: undefined, lastSeq: 0,
    };
    s.timer = c.scheduler.startTimer(handshakeTimeoutMs, () => {
      s.timer = undefined;
      if (sessions.get(endpoint) === s && s.state === 'handshaking') {
        end(s, 'handshake-timeout', `No handshake with '${endpoint}' within ${handshakeTimeoutMs} ms; is a node subscribed there, with this system name and prefix?`);
      }
    });
    sessions.set(endpoint, s);
    return s;
  };

  const onHandshake = (from: string, m: NatsMessage, c: TransportContext): void => {
    let s = sessions.get(from);
    let waiting: Session | undefined;
    if (s && (s.state === 'up' || (s.instance !== undefined && !s.instance.equals(m.instance)))) {
      // A hello on an up session, or from another instance: the peer restarted or dropped its side.
      if (!isHello(m.body)) return;
      if (s.state === 'handshaking') waiting = { ...s };
      end(s, 'closed', `Peer at '${from}' started a new handshake (it restarted or dropped the link).`);
      s = undefined;
    }
    if (!s) {
      if (!isHello(m.body)) return; // late replies of a session already gone
      s = open(from, c);
      if (waiting) { s.queue = waiting.queue; s.queuedBytes = waiting.queuedBytes; } // frames still wait for this peer
    }
    s.instance ??= Buffer.from(m.instance);
    const step = s.hs.receive(m.body);
    for (const out of step.send) publish(from, encodeNatsMessage('handshake', instance, out));
    if (step.outcome === 'failed') return end(s, reasonOf(step.error.code), step.error.message);
    if (step.outcome === 'pending') return;
    if (subjectOf(step.peer.nodeId) !== from) {
      publish(from, encodeNatsMessage('bye', instance));
      return end(s, 'auth-failed', `Peer proved the secret as node '${step.peer.nodeId}' but sends from '${from}', not '${subjectOf(step.peer.nodeId)}'; check its subjectPrefix.`);
    }
    if (s.timer) c.scheduler.cancelTimer(s.timer);
    s.timer = undefined;
    const keys = s.hs.sessionKeys!;
    s.sealer = { key: createSecretKey(keys.send), next: 1 };
    s.receiveKey = createSecretKey(keys.receive);
    s.state = 'up';
    s.peer = step.peer.nodeId;
    reported.delete(`${from} ${s.instance.toString('hex')}`);
    c.events.linkUp(s.peer, from);
    const queued = s.queue;
    s.queue = [];
    s.queuedBytes = 0;
    for (const frame of queued) publishFrame(s, frame);
  };

  const onFrame = (from: string, m: NatsMessage, c: TransportContext): void => {
    const s = sessions.get(from);
    if (!s || s.state !== 'up' || !s.instance?.equals(m.instance)) {
      const key = `${from} ${m.instance.toString('hex')}`;
      if (reported.has(key)) return;
      if (reported.size >= 1024) reported.clear(); // bounded: forged instances must not grow it forever
      reported.add(key);
      // Without any session here the sender believes in one this side lost: ask it to start over.
      if (!s) publish(from, encodeNatsMessage('reset', instance));
      c.events.rejected(from, 'auth-failed', `Dropped a frame from '${from}', which has not completed a handshake with this node (a stale or forged sender).`);
      return;
    }
    const piece = openNatsPiece(m, s.receiveKey as KeyObject);
    if (!piece) {
      c.events.rejected(from, 'auth-failed', `Dropped a message from '${s.peer}' whose MAC does not verify (tampered in transit, or forged by a client without the session key); the link stays up.`);
      return;
    }
    if (piece.seq <= s.lastSeq) {
      c.events.rejected(from, 'auth-failed', `Dropped a replayed or reordered message from '${s.peer}' (sequence ${piece.seq}, already past ${s.lastSeq}); the link stays up.`);
      return;
    }
    const contiguous = piece.seq === s.lastSeq + 1;
    s.lastSeq = piece.seq;
    // Never deliver a frame with a piece missing (a message lost in NATS): drop what is left of it.
    const pending = s.parts.length > 0;
    const broken = piece.first ? pending : !pending || !contiguous;
    if (broken) {
      s.parts = [];
      s.partBytes = 0;
      if (pending || m.kind === 'frame') c.events.rejected(from, 'malformed-frame', `Dropped a frame from '${s.peer}': a piece of it never arrived (sequence ${piece.seq} follows a gap); the link stays up.`);
      if (!piece.first) return;
    }
    if (s.partBytes + piece.payload.length > maxFrameBytes) {
      publish(from, encodeNatsMessage('bye', instance));
      return end(s, 'frame-too-large', `Peer '${s.peer}' sent a frame over maxFrameBytes ${maxFrameBytes}; raise maxFrameBytes on both nodes if such messages are intended.`);
    }
    if (m.kind === 'part') {
      s.parts.push(Buffer.from(piece.payload));
      s.partBytes += piece.payload.length;
      return;
    }
    let frame = piece.payload;
    if (s.parts.length > 0) {
      frame = Buffer.concat([...s.parts, piece.payload]);
      s.parts = [];
      s.partBytes = 0;
    }
    c.events.frame(s.peer, frame);
  };

  // Last resort around the subscription callback: a throw there would escape into the NATS
  // client's parser (breaking the connection or the process). The message is dropped and reported.
  const onMessage = (err: NatsError | null, msg: Msg): void => {
    try {
      handleMessage(err, msg);
    } catch (e) {
      const from = msg.reply || '(no reply subject)';
      ctx?.events.rejected(from, 'error', `A message from '${from}' was dropped: handling it threw (${e instanceof Error ? e.message : String(e)}); the link stays up.`);
    }
  };

  const handleMessage = (err: NatsError | null, msg: Msg): void => {
    const c = ctx;
    if (err || stopped || !c) return;
    const from = msg.reply;
    // The server's own status messages are not peer input: a 503 "no responders" comes back to this
    // subject when a message sent with it as reply (a reset to a stale subject) found no subscriber.
    if (!from && msg.data.length === 0 && (msg.headers?.code ?? 0) > 0) return;
    const m = decodeNatsMessage(msg.data);
    if (!m || !from) {
      c.events.rejected(from ?? '(no reply subject)', 'malformed-frame', `A message on '${subject}' is not a Troupe NATS message; keep other publishers off this subject.`);
      return;
    }
    switch (m.kind) {
      case 'handshake': return onHandshake(from, m, c);
      case 'frame':
      case 'part': return onFrame(from, m, c);
      case 'bye':
      case 'reset': {
        const s = sessions.get(from);
        const fromPeer = s?.instance?.equals(m.instance) ?? false;
        if (s && (fromPeer || (m.kind === 'reset' && s.state === 'up'))) {
          end(s, 'closed', m.kind === 'bye' ? `Peer at '${from}' closed the link.` : `Peer at '${from}' lost the link (restarted or reconnected); the next send handshakes again.`);
        }
        return;
      }
    }
  };

  /** Ends every session; on stop (`bye`) the peers are told and handshakes end silently. */
  const dropAll = (reason: LinkCloseReason, detail: string, bye: boolean): void => {
    for (const s of [...sessions.values()]) {
      if (bye) publish(s.endpoint, encodeNatsMessage('bye', instance));
      if (bye && s.state !== 'up') forget(s);
      else end(s, reason, detail);
    }
  };

  return {
    kind: 'nats',
    async start(context) {
      if (ctx || stopped) throw new TroupeError('invalid-argument', 'This NATS transport already started (or stopped); create one transport per node and start it once.');
      for (const [name, v] of [['nodeId', context.nodeId], ['system', context.system]] as const) {
        if (!TOKEN.test(v)) throw new TroupeError('invalid-argument', `${name} '${v}' cannot be a NATS subject token: drop spaces, '.', '*' and '>'.`, { [name]: v });
      }
      ctx = context;
      subject = subjectOf(context.nodeId);
      instance = Buffer.from(context.nonceBytes(NATS_INSTANCE_BYTES));
      random = nonceRandom(context.nonceBytes);
      try {
        nc = await connect({ ...options.nats, servers, timeout: connectTimeoutMs, name: options.nats?.name ?? `troupe ${subject}` });
      } catch (e) {
        stopped = true;
        throw new TroupeError('transport-closed', `Could not connect to NATS at ${servers.join(', ')}: ${e instanceof Error ? e.message : String(e)}. Check that the server runs and the URL and credentials are right.`, { servers }, { cause: e });
      }
      const conn = nc;
      maxPayload = conn.info?.max_payload ?? maxPayload;
      conn.subscribe(subject, { callback: onMessage });
      await conn.flush();
      void (async () => {
        for await (const status of conn.status()) {
          if (status.type === 'disconnect' && !stopped) dropAll('error', `Lost the connection to NATS (${String(status.data)}); links come back on the next send after it reconnects.`, false);
        }
      })().catch(() => {});
      void conn.closed().then(() => {
        if (!stopped) { stopped = true; dropAll('error', 'The NATS connection closed for good (reconnect attempts exhausted).', false); }
      });
      return subject;
    },
    send(endpoint, bytes) {
      const c = ctx;
      if (stopped || !c || !nc || bytes.length > maxFrameBytes) return false;
      const s = sessions.get(endpoint);
      if (s?.state === 'up') return publishFrame(s, bytes);
      if (s && s.queuedBytes + bytes.length > maxQueuedBytes) return false;
      if (!s && bytes.length > maxQueuedBytes) return false;
      const session = s ?? open(endpoint, c);
      session.queue.push(Buffer.from(bytes));
      session.queuedBytes += bytes.length;
      if (!s) publish(endpoint, encodeNatsMessage('handshake', instance, session.hs.start()));
      return true;
    },
    disconnect(endpoint) {
      const s = sessions.get(endpoint);
      if (stopped || !s) return;
      publish(endpoint, encodeNatsMessage('bye', instance));
      forget(s);
      if (s.state === 'up') ctx?.scheduler.soon(() => ctx?.events.linkDown(s.peer, endpoint, 'closed', 'This node closed the link (disconnect).'));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const conn = nc;
      dropAll('stopped', 'This transport stopped.', true);
      if (!conn || conn.isClosed()) return;
      let timer: TimerId | undefined;
      const bound = new Promise<void>((resolve) => { timer = ctx?.scheduler.startTimer(handshakeTimeoutMs, resolve); });
      await Promise.race([conn.drain().catch(() => {}), bound]);
      if (timer) ctx?.scheduler.cancelTimer(timer);
      if (!conn.isClosed()) await conn.close().catch(() => {});
    },
  };
}
