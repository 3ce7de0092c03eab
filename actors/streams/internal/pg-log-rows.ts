// Records of the PostgreSQL stream backend: validating what append and deadLetter are given (before
// anything is written), encoding it into column values, and decoding rows back.

import { TroupeError } from '../../../runtime/errors.ts';
import { decodePayload, type PayloadEncoding } from '../../../runtime/payload-codec.ts';
import { encodeChecked } from '../../journal/internal/prepare-events.ts';
import type { CursorState, LogRecord, NewLogRecord } from '../log-source.ts';

/** Longest record id, key, owner and header value, in characters. */
export const MAX_ID_LENGTH = 1024;
/** Longest message type name, in characters. */
export const MAX_TYPE_LENGTH = 200;
const MAX_INT4 = 0x7fffffff;
// A lone surrogate (the `u` flag makes paired ones one code point) or NUL: PostgreSQL text cannot hold either faithfully.
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;

const bad = (where: string, why: string, data: Record<string, unknown> = {}): never => {
  throw new TroupeError('invalid-argument', `${where}: ${why}`, data);
};

/** Throws `invalid-argument` unless `v` is a string of `min`–`max` characters storable as text (no NUL, no lone surrogate). */
export function checkText(v: unknown, name: string, where: string, min: number, max: number): string {
  if (typeof v !== 'string' || v.length < min || v.length > max || UNSTORABLE.test(v)) {
    bad(where, `${name} must be a string of ${min}–${max} characters without NUL or unpaired surrogates, got ${typeof v === 'string' ? `one of length ${v.length}` : typeof v}.`, { field: name });
  }
  return v as string;
}

/** Throws `invalid-argument` unless `v` is an integer in [min, max]. */
export function checkInt(v: unknown, name: string, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    bad(where, `${name} must be an integer from ${min} to ${max}, got ${typeof v === 'number' ? String(v) : typeof v}.`, { [name]: typeof v === 'number' ? v : typeof v });
  }
  return v as number;
}

/** Throws `invalid-argument` unless `v` is a finite number (≥ `min` when given). */
export function checkFinite(v: unknown, name: string, where: string, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    bad(where, `${name} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ''}, got ${typeof v === 'number' ? String(v) : typeof v}.`, { [name]: typeof v === 'number' ? v : typeof v });
  }
  return v as number;
}

/** Partition numbers are stored as PostgreSQL integers. */
export const checkPartition = (v: unknown, where: string): number => checkInt(v, 'partition', where, 0, MAX_INT4);

/** A record's column values, validated and encoded. */
export interface RecordColumns {
  readonly id: string;
  readonly key: string | null;
  readonly partition: number;
  readonly type: string;
  readonly schemaVersion: number;
  readonly encoding: PayloadEncoding;
  readonly data: string;
  readonly headers: string | null;
  readonly publishedAtMs: number;
  readonly bytes: number;
}

/** Validates and encodes one record (`what` names it in errors); throws `invalid-argument` or `schema-invalid`. */
export function recordColumns(r: NewLogRecord, what: string): RecordColumns {
  if (typeof r !== 'object' || r === null) bad(what, 'is not an object: pass { id, partition, type, schemaVersion, data, publishedAtMs }.');
  const id = checkText(r.id, 'id', what, 1, MAX_ID_LENGTH);
  const key = r.key === undefined ? null : checkText(r.key, 'key', what, 0, MAX_ID_LENGTH);
  const partition = checkPartition(r.partition, what);
  const type = checkText(r.type, 'type', what, 0, MAX_TYPE_LENGTH);
  const schemaVersion = checkInt(r.schemaVersion, 'schemaVersion', what, 1, MAX_INT4);
  const publishedAtMs = checkFinite(r.publishedAtMs, 'publishedAtMs', what);
  let headers: string | null = null;
  if (r.headers !== undefined) {
    const h = r.headers as unknown;
    if (typeof h !== 'object' || h === null || Array.isArray(h)) bad(what, 'headers must be an object of string values.');
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      checkText(k, 'a header name', what, 1, MAX_TYPE_LENGTH);
      checkText(v, `header "${k}"`, what, 0, MAX_ID_LENGTH);
    }
    headers = JSON.stringify(h);
  }
  const { encoding, text } = encodeChecked(r.data, what);
  return { id, key, partition, type, schemaVersion, encoding, data: text, headers, publishedAtMs, bytes: Buffer.byteLength(text) };
}

/** A record row as selected by the `read` statement (bigint columns arrive as strings). */
export interface RecordRow {
  log_offset: string; id: string; key: string | null; partition: number; type: string; schema_version: number;
  encoding: PayloadEncoding; data: string; headers: string | null; published_at_ms: number;
}

/** The {@link LogRecord} of a row; `key` and `headers` are absent when they were not given. */
export function toRecord(topic: string, source: string, r: RecordRow): LogRecord {
  const out: { -readonly [K in keyof LogRecord]: LogRecord[K] } = {
    topic, source, offset: Number(r.log_offset), id: r.id, partition: r.partition, type: r.type, schemaVersion: r.schema_version,
    data: decodePayload(r.encoding, r.data), publishedAtMs: r.published_at_ms,
  };
  if (r.key !== null) out.key = r.key;
  if (r.headers !== null) out.headers = JSON.parse(r.headers) as Record<string, string>;
  return out;
}

/** A cursor row (bigint columns arrive as strings). */
export interface CursorRow { log_offset: string; generation: string; owner: string | null }

/** The stored state of a cursor, or the initial state when there is no row. */
export const toCursor = (r: CursorRow | undefined): CursorState =>
  r === undefined ? { offset: 0, generation: 0, owner: null } : { offset: Number(r.log_offset), generation: Number(r.generation), owner: r.owner };
