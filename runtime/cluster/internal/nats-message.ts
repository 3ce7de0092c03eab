// The NATS transport's message layout: a 10-byte header (magic, kind, sender instance) in front
// of a handshake message or (a piece of) a frame. The sender's subject travels as the NATS reply-to.

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
}

const EMPTY = Buffer.alloc(0);

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

/**
 * The messages that carry one frame: a single `frame` when header + frame fit `maxPayload`
 * bytes, else `part`s of the largest size that fits, the last piece as `frame`.
 */
export function encodeNatsFrame(instance: Buffer, frame: Uint8Array, maxPayload: number): Buffer[] {
  const room = Math.max(1, maxPayload - NATS_HEADER_BYTES);
  if (frame.length <= room) return [encodeNatsMessage('frame', instance, frame)];
  const out: Buffer[] = [];
  let off = 0;
  for (; frame.length - off > room; off += room) out.push(encodeNatsMessage('part', instance, frame.subarray(off, off + room)));
  out.push(encodeNatsMessage('frame', instance, frame.subarray(off)));
  return out;
}

/** Decodes one message; undefined when the bytes are not a Troupe NATS message. */
export function decodeNatsMessage(data: Uint8Array): NatsMessage | undefined {
  if (data.length < NATS_HEADER_BYTES || data[0] !== MAGIC) return undefined;
  const kind = KIND[data[1]];
  if (kind === undefined) return undefined;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { kind, instance: buf.subarray(2, NATS_HEADER_BYTES), body: buf.subarray(NATS_HEADER_BYTES) };
}
