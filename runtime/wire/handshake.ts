// The connect handshake: both nodes prove they hold the shared cluster secret with an
// HMAC-SHA256 challenge–response over fresh nonces. A pure state machine: bytes in, bytes out.

import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { WIRE_PROTOCOL_VERSION } from './envelope.ts';

/** Bytes of each side's nonce (256 bits). */
export const HANDSHAKE_NONCE_BYTES = 32;

/** Shortest shared secret accepted, in bytes (use 32 random bytes). */
export const MIN_SECRET_BYTES = 16;

/** Options of {@link createHandshake}. */
export interface HandshakeOptions {
  /** The shared cluster secret, ≥ 16 bytes (UTF-8 for strings). Never echoed in errors. */
  readonly secret: string | Uint8Array;
  /** This node's id; the peer must have another. */
  readonly nodeId: string;
  /** The actor system (cluster) name; both sides must use the same. */
  readonly system: string;
  /**
   * Draws the nonces. Must not repeat across process runs: seed it unpredictably at boot (a
   * predictable nonce lets a recorded proof be replayed). Tests pass a seeded one.
   */
  readonly random: Random;
  /** The wire protocol version this side speaks; default {@link WIRE_PROTOCOL_VERSION}. */
  readonly protocolVersion?: number;
}

/** `idle` → `awaiting-hello` (hello sent) → `awaiting-proof` (proof sent) → `established`; or `failed`. */
export type HandshakeState = 'idle' | 'awaiting-hello' | 'awaiting-proof' | 'established' | 'failed';

/** Who the peer proved to be. */
export interface HandshakePeer {
  readonly nodeId: string;
  readonly system: string;
  readonly protocolVersion: number;
}

/**
 * Keys for this connection only (32 bytes each), one per direction: `send` authenticates what this
 * node sends to the peer, `receive` what the peer sends here (the peer's `send`). Derived as
 * `HMAC-SHA256(secret, ['troupe-session-key', sender id, receiver id, sender nonce, receiver
 * nonce, system, version])`: fresh per handshake, unknown to anyone without the secret even with
 * every handshake message recorded, and different from every proof.
 */
export interface SessionKeys {
  readonly send: Buffer;
  readonly receive: Buffer;
}

/**
 * What one received message led to. `send` holds messages (unframed bytes) to write to the peer
 * in order, also on failure (a rejection telling the peer why, without secrets), then close.
 */
export type HandshakeStep =
  | { readonly outcome: 'pending'; readonly send: Buffer[] }
  | { readonly outcome: 'established'; readonly send: Buffer[]; readonly peer: HandshakePeer }
  | { readonly outcome: 'failed'; readonly send: Buffer[]; readonly error: TroupeError };

/** One side of one connection's handshake; see {@link createHandshake}. */
export interface Handshake {
  readonly state: HandshakeState;
  /** The authenticated peer once `established`. */
  readonly peer: HandshakePeer | undefined;
  /** This connection's {@link SessionKeys} once `established`; undefined before. */
  readonly sessionKeys: SessionKeys | undefined;
  /** Returns this side's hello to send first. Throws `invalid-argument` unless `idle`. */
  start(): Buffer;
  /**
   * Feeds one message from the peer. Starts the handshake first when still `idle` (then `send`
   * begins with the hello). Once `failed`, returns that failure again. Throws `invalid-argument`
   * once `established`: from then on frames are envelopes, not handshake messages.
   */
  receive(bytes: Uint8Array): HandshakeStep;
}

type RejectCode = 'auth-failed' | 'protocol-version';
type Hello = { t: 'troupe-hello'; protocolVersion: number; nodeId: string; system: string; nonce: string };

const NONCE = /^[A-Za-z0-9_-]{43}$/; // base64url of 32 bytes
const MAX_NAME = 256;
const isName = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= MAX_NAME;
const json = (o: object): Buffer => Buffer.from(JSON.stringify(o), 'utf8');

/**
 * Creates one side of a handshake. Both sides send a hello `{ protocolVersion, nodeId, system,
 * nonce }`; each answers the other's hello with `HMAC-SHA256(secret, [sender id, receiver id,
 * receiver's nonce, sender's nonce, system, version])`, so a proof is bound to this connection's
 * nonces and its direction (it cannot be reflected or replayed). Proofs are checked with
 * `timingSafeEqual`. Failures: `auth-failed` (wrong secret, tampered or out-of-order message,
 * other system, same node id, echoed nonce), `protocol-version`, `malformed-frame` (not a
 * handshake message). The transport frames the bytes, applies a timeout and closes on failure.
 * This authenticates the connect only; it does not encrypt the frames that follow. Once
 * established it offers per-direction {@link SessionKeys} for a transport that authenticates each
 * frame itself (NATS does; TCP relies on the one socket it authenticated, and on TLS).
 *
 * @example
 * const a = createHandshake({ secret, nodeId: 'a', system: 'shop', random });
 * const b = createHandshake({ secret, nodeId: 'b', system: 'shop', random });
 * const toB = [a.start()]; const toA = b.receive(toB[0]).send; // [hello_b, proof_b]
 * a.receive(toA[0]); a.receive(toA[1]).outcome // 'established' (and b, once it gets a's proof)
 */
export function createHandshake(options: HandshakeOptions): Handshake {
  const { nodeId, system, random } = options;
  const version = options.protocolVersion ?? WIRE_PROTOCOL_VERSION;
  const secretBytes = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : Buffer.from(options.secret);
  if (secretBytes.length < MIN_SECRET_BYTES) {
    throw new TroupeError('invalid-argument', `The cluster secret must be at least ${MIN_SECRET_BYTES} bytes (got ${secretBytes.length}); use 32 random bytes shared by every node.`);
  }
  if (!isName(nodeId)) throw new TroupeError('invalid-argument', `nodeId must be a string of 1–${MAX_NAME} characters.`, { nodeId });
  if (!isName(system)) throw new TroupeError('invalid-argument', `system must be a string of 1–${MAX_NAME} characters.`, { system });
  const key: KeyObject = createSecretKey(secretBytes);
  secretBytes.fill(0);

  let state: HandshakeState = 'idle';
  let nonce = '';
  let hello: Hello | undefined;
  let peer: HandshakePeer | undefined;
  let sessionKeys: SessionKeys | undefined;
  let failure: HandshakeStep | undefined;

  const mac = (sender: string, receiver: string, receiverNonce: string, senderNonce: string): Buffer =>
    createHmac('sha256', key)
      .update(JSON.stringify(['troupe-handshake', sender, receiver, receiverNonce, senderNonce, system, version]))
      .digest();

  const sessionKey = (sender: string, receiver: string, senderNonce: string, receiverNonce: string): Buffer =>
    createHmac('sha256', key)
      .update(JSON.stringify(['troupe-session-key', sender, receiver, senderNonce, receiverNonce, system, version]))
      .digest();

  const start = (): Buffer => {
    if (state !== 'idle') throw new TroupeError('invalid-argument', `Handshake already started (state ${state}); call start() once per connection.`);
    nonce = Buffer.from(random.bytes(HANDSHAKE_NONCE_BYTES)).toString('base64url');
    state = 'awaiting-hello';
    return json({ t: 'troupe-hello', protocolVersion: version, nodeId, system, nonce });
  };

  const fail = (code: RejectCode | 'malformed-frame', message: string, data: Record<string, unknown>, send: Buffer[]): HandshakeStep => {
    const error = new TroupeError(code, message, { nodeId, ...data });
    if (code !== 'malformed-frame') send.push(json({ t: 'troupe-reject', code, reason: message }));
    state = 'failed';
    failure = { outcome: 'failed', send: [], error };
    return { outcome: 'failed', send, error };
  };
  const authFailed = (why: string, send: Buffer[], data: Record<string, unknown> = {}): HandshakeStep =>
    fail('auth-failed', `Handshake with peer failed: ${why}.`, data, send);

  const onHello = (m: Record<string, unknown>, send: Buffer[]): HandshakeStep => {
    if (m.protocolVersion !== version) {
      const remote = typeof m.protocolVersion === 'number' ? m.protocolVersion : 'unknown';
      return fail('protocol-version', `Peer speaks wire protocol ${remote}, this node speaks ${version}; run the same Troupe protocol version on every node.`,
        { remote, local: version }, send);
    }
    if (!isName(m.nodeId) || !isName(m.system) || typeof m.nonce !== 'string' || !NONCE.test(m.nonce)) {
      return fail('malformed-frame', 'Malformed handshake hello from peer; it is not a Troupe node of this version.', {}, send);
    }
    if (m.system !== system) return authFailed(`peer belongs to system '${m.system}', this node to '${system}'; check the cluster configuration`, send, { peerSystem: m.system });
    if (m.nodeId === nodeId) return authFailed(`peer claims this node's own id '${nodeId}'; give every node a distinct id`, send);
    if (m.nonce === nonce) return authFailed('peer echoed this node\'s nonce (reflection)', send);
    hello = { t: 'troupe-hello', protocolVersion: version, nodeId: m.nodeId, system: m.system, nonce: m.nonce };
    send.push(json({ t: 'troupe-proof', mac: mac(nodeId, hello.nodeId, hello.nonce, nonce).toString('base64url') }));
    state = 'awaiting-proof';
    return { outcome: 'pending', send };
  };

  const onProof = (m: Record<string, unknown>, send: Buffer[]): HandshakeStep => {
    const h = hello as Hello;
    const expected = mac(h.nodeId, nodeId, nonce, h.nonce);
    const got = typeof m.mac === 'string' ? Buffer.from(m.mac, 'base64url') : Buffer.alloc(0);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      return authFailed(`peer '${h.nodeId}' did not prove the shared cluster secret (wrong secret or tampered handshake); check that both nodes use the same secret`, send, { peerNodeId: h.nodeId });
    }
    peer = { nodeId: h.nodeId, system: h.system, protocolVersion: h.protocolVersion };
    sessionKeys = { send: sessionKey(nodeId, h.nodeId, nonce, h.nonce), receive: sessionKey(h.nodeId, nodeId, h.nonce, nonce) };
    state = 'established';
    return { outcome: 'established', send, peer };
  };

  const receive = (bytes: Uint8Array): HandshakeStep => {
    if (failure) return failure;
    if (state === 'established') throw new TroupeError('invalid-argument', 'Handshake is already established; hand further frames to the envelope codec.');
    const send: Buffer[] = state === 'idle' ? [start()] : [];
    let m: unknown;
    try {
      m = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch {
      m = undefined;
    }
    if (typeof m !== 'object' || m === null) return fail('malformed-frame', 'Peer sent bytes that are not a handshake message; it is not a Troupe node.', {}, send);
    const msg = m as Record<string, unknown>;
    switch (msg.t) {
      case 'troupe-hello':
        return state === 'awaiting-hello' ? onHello(msg, send) : authFailed('peer sent a second hello', send);
      case 'troupe-proof':
        return state === 'awaiting-proof' ? onProof(msg, send) : authFailed('peer sent a proof before its hello', send);
      case 'troupe-reject': {
        const code: RejectCode = msg.code === 'protocol-version' ? 'protocol-version' : 'auth-failed';
        const reason = typeof msg.reason === 'string' ? msg.reason.slice(0, 300) : 'no reason given';
        state = 'failed';
        failure = { outcome: 'failed', send: [], error: new TroupeError(code, `Peer rejected the handshake: ${reason}`, { nodeId }) };
        return { ...failure, send };
      }
      default:
        return fail('malformed-frame', 'Peer sent a message that is not part of the handshake; it is not a Troupe node.', {}, send);
    }
  };

  return {
    get state() { return state; },
    get peer() { return peer; },
    get sessionKeys() { return sessionKeys; },
    start,
    receive,
  };
}
