// The NATS transport's message layout: a 10-byte header (magic, kind, sender instance) in front
// of a handshake message or a sealed piece of a frame (sequence number, MAC). The sender's subject
// travels as the NATS reply-to.

import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** What one NATS message carries. A frame over the server's payload limit goes as `part`s, then a `frame`. */
export type NatsMessageKind = 'handshake' | 'frame' | 'part' | 'bye' | 'reset';

/** Magic byte (ASCII 'T') opening every Troupe NATS message. */
const MAGIC = 0x54;

/** Random bytes naming one transport instance (a restarted node gets a new one). */
export const NATS_INSTANCE_BYTES = 8;

/** Bytes in front of every body: magic, kind, instance. */
export const NATS_HEADER_BYTES = 2 + NATS_INSTANCE_BYTES;

const TAG: Record<NatsMessageKind, number> = { handshake: 1, frame: 2, part: 3, bye: 4, reset: 5 };
const KIND: ReadonlyArray<NatsMessageKind | undefined> = [undefined, 'handshake', 'frame', 'part', 'bye', 'reset'];

/** A decoded message; `instance` and `body` are views into the received bytes. */
export interface NatsMessage {
  readonly kind: NatsMessageKind;
  readonly instance: Buffer;
  readonly body: Buffer;
  /** The whole message (header and body). */
  readonly bytes: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** Bytes of a piece's sequence number (unsigned 64-bit big-endian; starts at 1 per session). */
export const NATS_SEQ_BYTES = 8;

/** Bytes of a piece's MAC: HMAC-SHA256 truncated to its first 16 bytes (128 bits). */
export const NATS_MAC_BYTES = 16;

/** What sealing adds to a piece: sequence number, flags byte, MAC. */
export const NATS_SEAL_BYTES = NATS_SEQ_BYTES + 1 + NATS_MAC_BYTES;

/** The sending side's state of one session: its send key and the next sequence number to use. */
export interface NatsSealer {
  readonly key: KeyObject;
  next: number;
}

/** A piece whose MAC checked out; `payload` is a view into the received bytes. */
export interface NatsPiece {
  readonly seq: number;
  /** The first piece of its frame (a whole frame is a `frame` with `first` set). */
  readonly first: boolean;
  readonly payload: Buffer;
}

/** One message: header then `body` (copied). */
export function encodeNatsMessage(kind: NatsMessageKind, instance: Buffer, body: Uint8Array = EMPTY): Buffer {
  const out = Buffer.allocUnsafe(NATS_HEADER_BYTES + body.length);
  out[0] = MAGIC;
  out[1] = TAG[kind];
  instance.copy(out, 2, 0, NATS_INSTANCE_BYTES);
  if (Buffer.isBuffer(body)) body.copy(out, NATS_HEADER_BYTES);
  else out.set(body, NATS_HEADER_BYTES);
  return out;
}

const mac = (key: KeyObject, bytes: Uint8Array): Buffer => createHmac('sha256', key).update(bytes).digest().subarray(0, NATS_MAC_BYTES);

/**
 * One sealed piece: header, sequence number `sealer.next` (then incremented), flags (bit 0: first
 * piece of its frame), payload, and the MAC over all of that under the session's send key.
 */
function sealPiece(kind: 'frame' | 'part', instance: Buffer, payload: Uint8Array, first: boolean, sealer: NatsSealer): Buffer {
  const out = Buffer.allocUnsafe(NATS_HEADER_BYTES + NATS_SEAL_BYTES + payload.length);
  out[0] = MAGIC;
  out[1] = TAG[kind];
  instance.copy(out, 2, 0, NATS_INSTANCE_BYTES);
  const seq = sealer.next++;
  out.writeUInt32BE(Math.floor(seq / 2 ** 32), NATS_HEADER_BYTES);
  out.writeUInt32BE(seq >>> 0, NATS_HEADER_BYTES + 4);
  out[NATS_HEADER_BYTES + NATS_SEQ_BYTES] = first ? 1 : 0;
  out.set(payload, NATS_HEADER_BYTES + NATS_SEQ_BYTES + 1);
  const end = out.length - NATS_MAC_BYTES;
  mac(sealer.key, out.subarray(0, end)).copy(out, end);
  return out;
}

/**
 * The sealed messages that carry one frame: a single `frame` when it fits `maxPayload` bytes,
 * else `part`s of the largest size that fits, the last piece as `frame`. Each piece takes the
 * next sequence number of `sealer`.
 */
export function encodeNatsFrame(instance: Buffer, frame: Uint8Array, maxPayload: number, sealer: NatsSealer): Buffer[] {
  const room = Math.max(1, maxPayload - NATS_HEADER_BYTES - NATS_SEAL_BYTES);
  if (frame.length <= room) return [sealPiece('frame', instance, frame, true, sealer)];
  const out: Buffer[] = [];
  let off = 0;
  for (; frame.length - off > room; off += room) out.push(sealPiece('part', instance, frame.subarray(off, off + room), off === 0, sealer));
  out.push(sealPiece('frame', instance, frame.subarray(off), false, sealer));
  return out;
}

/**
 * Checks a `frame` or `part` message under the session's receive key (constant-time compare);
 * undefined when it is too short or its MAC does not verify (tampered, or not from the peer).
 * Replay and order checks on `seq` are the caller's: it knows the last sequence number accepted.
 */
export function openNatsPiece(m: NatsMessage, key: KeyObject): NatsPiece | undefined {
  const body = m.body;
  if (body.length < NATS_SEAL_BYTES) return undefined;
  const whole = m.bytes;
  const end = whole.length - NATS_MAC_BYTES;
  if (!timingSafeEqual(mac(key, whole.subarray(0, end)), whole.subarray(end))) return undefined;
  const seq = body.readUInt32BE(0) * 2 ** 32 + body.readUInt32BE(4);
  return { seq, first: (body[NATS_SEQ_BYTES] & 1) === 1, payload: body.subarray(NATS_SEQ_BYTES + 1, body.length - NATS_MAC_BYTES) };
}

/** Decodes one message; undefined when the bytes are not a Troupe NATS message. */
export function decodeNatsMessage(data: Uint8Array): NatsMessage | undefined {
  if (data.length < NATS_HEADER_BYTES || data[0] !== MAGIC) return undefined;
  const kind = KIND[data[1]];
  if (kind === undefined) return undefined;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { kind, instance: buf.subarray(2, NATS_HEADER_BYTES), body: buf.subarray(NATS_HEADER_BYTES), bytes: buf };
}
