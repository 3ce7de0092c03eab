// How the JetStream backend names things and lays out bytes: topic/consumer names encoded into
// stream-name, subject-token and KV-key safe text, record and cursor bodies, decoded totally.

import { TroupeError } from '../../../runtime/errors.ts';
import { decodePayload, encodePayload, type PayloadEncoding } from '../../../runtime/payload-codec.ts';
import type { CursorState, DeadLetterRecord, LogRecord, NewLogRecord } from '../log-source.ts';

/**
 * Encodes a valid topic or consumer name (`[A-Za-z0-9_.:-]`) into `[A-Za-z0-9_-]`, reversibly:
 * `_` → `__`, `.` → `_d`, `:` → `_c`. The result is a valid stream name, subject token and KV key token.
 */
export function encodeName(name: string): string {
  return name.replace(/[_.:]/g, (c) => (c === '_' ? '__' : c === '.' ? '_d' : '_c'));
}

/** Inverse of {@link encodeName}; undefined for text it cannot have produced. */
export function decodeName(text: string): string | undefined {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '_') { out += c; continue; }
    const n = text[++i];
    if (n === '_') out += '_';
    else if (n === 'd') out += '.';
    else if (n === 'c') out += ':';
    else return undefined;
  }
  return out;
}

const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]{0,1022}[\x21-\x7e])?$/;
/** The `Nats-Msg-Id` of a record id: the id itself when it is header-safe ASCII, else `~` + base64url of its UTF-8 (injective). */
export function msgIdOf(id: string): string {
  return HEADER_SAFE.test(id) && !id.startsWith('~') ? id : `~${Buffer.from(id, 'utf8').toString('base64url')}`;
}

/** The first line of a record body: every field but the payload, as JSON (no raw newline). */
interface RecordMeta {
  i: string; k?: string; p: number; t: string; v: number; h?: Record<string, string>; at: number; e: 'j' | 's';
}

const badRecord = (why: string, data: Record<string, unknown>): TroupeError =>
  new TroupeError('invalid-argument', `append: ${why}`, data);

/** Checks a record handed to append; throws `invalid-argument` naming the field. */
export function checkRecord(r: NewLogRecord, index: number): void {
  if (typeof r !== 'object' || r === null) throw badRecord(`record ${index} is not an object.`, { index });
  if (typeof r.id !== 'string' || r.id.length < 1 || r.id.length > 1024) throw badRecord(`record ${index}: id must be a string of 1–1024 characters.`, { index });
  if (r.key !== undefined && typeof r.key !== 'string') throw badRecord(`record ${index}: key must be a string when given.`, { index, id: r.id });
  if (!Number.isInteger(r.partition) || r.partition < 0) throw badRecord(`record ${index}: partition must be an integer ≥ 0, got ${String(r.partition)}.`, { index, id: r.id });
  if (typeof r.type !== 'string') throw badRecord(`record ${index}: type must be a string ('' for untyped topics).`, { index, id: r.id });
  if (!Number.isInteger(r.schemaVersion) || r.schemaVersion < 1) throw badRecord(`record ${index}: schemaVersion must be an integer ≥ 1.`, { index, id: r.id });
  if (!Number.isFinite(r.publishedAtMs)) throw badRecord(`record ${index}: publishedAtMs must be a finite number.`, { index, id: r.id });
  if (r.headers !== undefined) {
    if (typeof r.headers !== 'object' || r.headers === null) throw badRecord(`record ${index}: headers must be an object of strings.`, { index, id: r.id });
    for (const v of Object.values(r.headers)) if (typeof v !== 'string') throw badRecord(`record ${index}: every header value must be a string.`, { index, id: r.id });
  }
}

/** The message body of a record: one JSON line of fields, `\n`, the encoded payload. */
export function encodeRecord(r: NewLogRecord): Uint8Array {
  const payload = encodePayload(r.data);
  const meta: RecordMeta = { i: r.id, p: r.partition, t: r.type, v: r.schemaVersion, at: r.publishedAtMs, e: payload.encoding === 'json' ? 'j' : 's' };
  if (r.key !== undefined) meta.k = r.key;
  if (r.headers !== undefined) meta.h = { ...r.headers };
  return Buffer.from(`${JSON.stringify(meta)}\n${payload.text}`, 'utf8');
}

const corrupt = (topic: string, offset: number, why: string): TroupeError =>
  new TroupeError('corrupt-record', `Offset ${offset} of topic '${topic}' is not a Troupe record (${why}); something else published on the topic's subject. Remove it (nats stream rmm) or move the consumer past it.`, { topic, offset });

const isStringRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/** Splits a body into its meta and payload text, checking every field; throws `corrupt-record`. */
function splitBody(body: Uint8Array, topic: string, offset: number): { meta: RecordMeta; text: string } {
  const all = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const nl = all.indexOf('\n');
  if (nl < 0) throw corrupt(topic, offset, 'no metadata line');
  let m: unknown;
  try { m = JSON.parse(all.slice(0, nl)); } catch { throw corrupt(topic, offset, 'metadata is not JSON'); }
  const meta = m as Partial<RecordMeta> | null;
  if (typeof meta !== 'object' || meta === null || typeof meta.i !== 'string' || !Number.isInteger(meta.p) || typeof meta.t !== 'string' ||
    !Number.isInteger(meta.v) || typeof meta.at !== 'number' || (meta.e !== 'j' && meta.e !== 's') ||
    (meta.k !== undefined && typeof meta.k !== 'string') || (meta.h !== undefined && !isStringRecord(meta.h))) {
    throw corrupt(topic, offset, 'metadata fields missing or mistyped');
  }
  return { meta: meta as RecordMeta, text: all.slice(nl + 1) };
}

/** Decodes a stored body into a record; throws `corrupt-record` for anything else. */
export function decodeRecord(body: Uint8Array, topic: string, source: string, offset: number): LogRecord {
  const { meta, text } = splitBody(body, topic, offset);
  let data: unknown;
  try { data = decodePayload(meta.e === 'j' ? 'json' : 'superjson', text); } catch { throw corrupt(topic, offset, 'payload does not decode'); }
  return {
    topic, source, offset, id: meta.i, partition: meta.p, type: meta.t, schemaVersion: meta.v, data, publishedAtMs: meta.at,
    ...(meta.k !== undefined ? { key: meta.k } : {}), ...(meta.h !== undefined ? { headers: meta.h } : {}),
  };
}

/** The retention-relevant facts of a stored body without decoding the payload: publish time and payload bytes. */
export function recordStats(body: Uint8Array, topic: string, offset: number): { publishedAtMs: number; payloadBytes: number } {
  const { meta, text } = splitBody(body, topic, offset);
  return { publishedAtMs: meta.at, payloadBytes: Buffer.byteLength(text, 'utf8') };
}

/** A cursor as stored in the KV bucket. */
export function encodeCursor(c: CursorState): Uint8Array {
  return Buffer.from(JSON.stringify({ o: c.offset, g: c.generation, w: c.owner }), 'utf8');
}

/** Decodes a stored cursor; throws `corrupt-record` naming the key when it is not one. */
export function decodeCursor(body: Uint8Array, key: string): CursorState {
  let v: unknown;
  try { v = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')); } catch { v = undefined; }
  const c = v as { o?: unknown; g?: unknown; w?: unknown } | undefined;
  if (typeof c !== 'object' || c === null || !Number.isInteger(c.o) || !Number.isInteger(c.g) || (c.w !== null && typeof c.w !== 'string')) {
    throw new TroupeError('corrupt-record', `Cursor key '${key}' in the JetStream cursor bucket does not hold a Troupe cursor; delete the key (nats kv del) to restart that consumer from the start.`, { key });
  }
  return { offset: c.o as number, generation: c.g as number, owner: c.w as string | null };
}

/** A dead letter's body: the entry with the record's payload encoded. */
export function encodeDeadLetter(entry: DeadLetterRecord): Uint8Array {
  const { data, ...rest } = entry.record;
  const payload = encodePayload(data);
  return Buffer.from(JSON.stringify({ ...entry, record: rest, enc: payload.encoding, payload: payload.text }), 'utf8');
}

/** Decodes a dead letter body; undefined when it is not one (skipped by the reader, never thrown). */
export function decodeDeadLetter(body: Uint8Array): DeadLetterRecord | undefined {
  try {
    const v = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as {
      record: Omit<LogRecord, 'data'>; consumer: string; error: string; attempts: number; deadAtMs: number; enc: PayloadEncoding; payload: string;
    };
    if (typeof v.record !== 'object' || v.record === null || typeof v.record.id !== 'string' || typeof v.consumer !== 'string' || (v.enc !== 'json' && v.enc !== 'superjson') || typeof v.payload !== 'string') return undefined;
    return { record: { ...v.record, data: decodePayload(v.enc, v.payload) }, consumer: v.consumer, error: String(v.error), attempts: Number(v.attempts), deadAtMs: Number(v.deadAtMs) };
  } catch {
    return undefined;
  }
}
