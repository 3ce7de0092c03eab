// The envelope codec: one JSON.stringify/JSON.parse per message on the common path; superjson
// only for payloads that need it (Date, Map, Set, BigInt, undefined…), nested as a string.

import { isTroupeError, TroupeError } from '../errors.ts';
import { decodePayload, encodePayload, isPlainJson } from '../payload-codec.ts';
import { WIRE_PROTOCOL_VERSION, type Envelope } from './envelope.ts';

// Wire form (protocol 1): one JSON array, positional, ~30% cheaper to stringify and parse than
// the keyed object and ~25% smaller. The protocol version stays at index 0 in every version.
//   [v, id, kind, enc, from, to, type, typeVersion, correlationId, traceparent, payload]
//   kind: 0 user | 1 system; enc: bit 0 set = superjson text payload (else plain JSON),
//   bit 1 set = the payload holds actor refs in wire form; absent optionals: null.
const KIND_USER = 0;
const KIND_SYSTEM = 1;
const ENC_SUPERJSON = 1;
const ENC_REFS = 2;
const WIRE_LENGTH = 11;

function wireArray(e: Envelope): unknown[] {
  const plain = isPlainJson(e.payload);
  return [
    e.v, e.id, e.kind === 'system' ? KIND_SYSTEM : KIND_USER, (plain ? 0 : ENC_SUPERJSON) | (e.refs ? ENC_REFS : 0),
    e.from ?? null, e.to, e.type, e.typeVersion, e.correlationId ?? null, e.traceparent ?? null,
    plain ? e.payload : encodePayload(e.payload).text,
  ];
}

function encodeText(e: Envelope): string {
  return JSON.stringify(wireArray(e));
}

/**
 * Encodes one envelope to bytes: UTF-8 of one JSON array (see the wire form above), not framed
 * (see {@link encodePacket} for a turn's envelopes in one frame). A plain-JSON payload
 * costs one `JSON.stringify` in all; any other payload adds one `superjson.stringify` of the
 * payload alone, nested as a string. `envelope.v` is written as given. Fields beyond the
 * {@link Envelope} shape are not written.
 *
 * @example decodeEnvelope(encodeEnvelope(env)) // equals env, absent optional fields as undefined
 */
export function encodeEnvelope(envelope: Envelope): Buffer {
  return Buffer.from(encodeText(envelope), 'utf8');
}

function malformed(reason: string, data: Record<string, unknown> = {}, cause?: unknown): TroupeError {
  return new TroupeError('malformed-frame', `Malformed envelope: ${reason}. The peer is not speaking the Troupe wire protocol or its bytes were corrupted; close the connection.`, data, cause === undefined ? undefined : { cause });
}

const optString = (x: unknown): x is string | null => x === null || typeof x === 'string';

/** UTF-8 JSON text to a value; anything else is `malformed-frame`. */
function parseJson(bytes: Uint8Array): unknown {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw malformed(`invalid JSON (${(e as Error).message})`, { bytes: buf.length }, e);
  }
  return parsed;
}

function checkVersion(v: unknown): void {
  if (typeof v !== 'number') throw malformed('missing protocol version');
  if (v !== WIRE_PROTOCOL_VERSION) {
    throw new TroupeError('protocol-version',
      `Peer speaks wire protocol ${v}, this node speaks ${WIRE_PROTOCOL_VERSION}. Run the same Troupe protocol version on every node of the cluster.`,
      { remote: v, local: WIRE_PROTOCOL_VERSION });
  }
}

function fromWire(w: unknown): Envelope {
  if (!Array.isArray(w)) throw malformed('not a JSON array');
  checkVersion(w[0]);
  if (w.length !== WIRE_LENGTH) throw malformed('a field is missing or has the wrong type', { id: typeof w[1] === 'string' ? w[1] : undefined });
  return fromFields(w[0] as number, w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10]);
}

function fromFields(v: number, id: unknown, kind: unknown, enc: unknown, from: unknown, to: unknown, type: unknown,
  typeVersion: unknown, correlationId: unknown, traceparent: unknown, payload: unknown): Envelope {
  if (typeof id !== 'string' || (kind !== KIND_USER && kind !== KIND_SYSTEM) ||
      (enc !== 0 && enc !== 1 && enc !== 2 && enc !== 3) || !optString(from) || typeof to !== 'string' || typeof type !== 'string' ||
      !Number.isSafeInteger(typeVersion) || !optString(correlationId) || !optString(traceparent)) {
    throw malformed('a field is missing or has the wrong type', { id: typeof id === 'string' ? id : undefined });
  }
  if ((enc & ENC_SUPERJSON) !== 0) {
    if (typeof payload !== 'string') throw malformed('superjson payload is not a string', { id });
    payload = decodePayload('superjson', payload);
  }
  return {
    v, id, kind: kind === KIND_SYSTEM ? 'system' : 'user', from: from ?? undefined, to, type,
    typeVersion: typeVersion as number, correlationId: correlationId ?? undefined, traceparent: traceparent ?? undefined, payload,
    refs: (enc & ENC_REFS) !== 0,
  };
}

/**
 * Decodes bytes written by {@link encodeEnvelope}. The result always has every {@link Envelope}
 * key; absent optional fields are `undefined`. Throws `malformed-frame` for bytes that are not a
 * well-formed envelope (invalid JSON, wrong field types, bad superjson) and `protocol-version`
 * when the peer's version differs from {@link WIRE_PROTOCOL_VERSION}. Addresses are not parsed
 * here (see `parseAddress`); message types and versions are checked by the `MessageRegistry`.
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return fromWire(parseJson(bytes));
}

/**
 * Encodes the envelopes one node sends another in one I/O turn as a single frame body, one
 * `JSON.stringify` and one Buffer for the lot. Packet form: `[v, [to…], e…]` — the protocol
 * version once, each distinct recipient address once, and each envelope as
 * `[id, kind, enc, from, toIndex, type, typeVersion, correlationId, traceparent, payload]`.
 * A packet is told from a single envelope ({@link encodeEnvelope}) by its second element being
 * an array.
 *
 * @example transport.send(endpoint, encodePacket(outbox.splice(0)))
 */
export function encodePacket(envelopes: readonly Envelope[]): Buffer {
  const tos: string[] = [];
  const index = new Map<string, number>();
  const out = new Array<unknown>(envelopes.length + 2);
  out[0] = WIRE_PROTOCOL_VERSION;
  out[1] = tos;
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i];
    let t = index.get(e.to);
    if (t === undefined) { t = tos.length; tos.push(e.to); index.set(e.to, t); }
    const plain = isPlainJson(e.payload);
    out[i + 2] = [
      e.id, e.kind === 'system' ? KIND_SYSTEM : KIND_USER, (plain ? 0 : ENC_SUPERJSON) | (e.refs ? ENC_REFS : 0),
      e.from ?? null, t, e.type, e.typeVersion, e.correlationId ?? null, e.traceparent ?? null,
      plain ? e.payload : encodePayload(e.payload).text,
    ];
  }
  return Buffer.from(JSON.stringify(out), 'utf8');
}

/** Any failure while reading remote bytes as a `malformed-frame` or `protocol-version` error. */
function asWireError(e: unknown): TroupeError {
  if (isTroupeError(e, 'malformed-frame') || isTroupeError(e, 'protocol-version')) return e;
  return malformed(`it could not be read (${e instanceof Error ? e.message : String(e)})`, {}, e);
}

/**
 * Decodes a frame body holding a packet ({@link encodePacket}) or a single envelope
 * ({@link encodeEnvelope}). Total: it never throws. Every part that cannot be read goes to
 * `onError` — the whole body (not JSON: `malformed-frame`; another protocol version:
 * `protocol-version`) or one envelope of the packet (`malformed-frame`, that envelope skipped);
 * the envelopes that read well are returned in order.
 */
export function decodePacket(bytes: Uint8Array, onError: (e: TroupeError) => void): Envelope[] {
  const out: Envelope[] = [];
  let parsed: unknown;
  try {
    parsed = parseJson(bytes);
    if (!Array.isArray(parsed) || !Array.isArray(parsed[1])) {
      out.push(fromWire(parsed));
      return out;
    }
    checkVersion(parsed[0]);
  } catch (e) {
    onError(asWireError(e));
    return out;
  }
  const tos = parsed[1] as unknown[];
  for (let i = 2; i < parsed.length; i++) {
    const w = parsed[i] as unknown[];
    try {
      if (!Array.isArray(w) || w.length !== WIRE_LENGTH - 1) throw malformed('a packed envelope is not an array of its fields');
      const t = w[4];
      if (!Number.isSafeInteger(t) || (t as number) < 0 || (t as number) >= tos.length) throw malformed('a packed envelope names no recipient of the packet', { id: typeof w[0] === 'string' ? w[0] : undefined });
      out.push(fromFields(WIRE_PROTOCOL_VERSION, w[0], w[1], w[2], w[3], tos[t as number], w[5], w[6], w[7], w[8], w[9]));
    } catch (e) {
      onError(asWireError(e));
    }
  }
  return out;
}
