// Turning the events given to append into validated, encoded records, shared by every adapter,
// so bad input fails the same way everywhere and before anything is stored.

import { TroupeError } from '../../../runtime/errors.ts';
import { encodePayload, type PayloadEncoding } from '../../../runtime/payload-codec.ts';
import type { AppendOptions, EventMeta, ExpectedVersion, JournalDeps, NewEvent } from '../journal.ts';
import { assertStreamName } from '../stream-name.ts';
import { checkExpectedVersion } from './guards.ts';
import { assertSerializable } from './serializable.ts';

/** Longest event type name, in characters. */
export const MAX_TYPE_LENGTH = 200;
/** Longest id / correlation id / causation id, in characters. */
export const MAX_ID_LENGTH = 1024;
/** Longest traceparent kept in event metadata, in characters. */
export const MAX_TRACEPARENT_LENGTH = 512;

/** An event ready to be stored: validated, with its payload encoded and its meta complete. */
export interface PreparedEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly encoding: PayloadEncoding;
  readonly dataText: string;
  readonly meta: EventMeta;
}

const invalid = (what: string, why: string, details: Record<string, unknown> = {}): never => {
  throw new TroupeError('schema-invalid', `${what} ${why}`, details);
};

const checkId = (v: unknown, field: string, what: string): void => {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_LENGTH || v.includes('\u0000')) {
    invalid(what, `has meta.${field} ${typeof v === 'string' ? `of length ${v.length}` : `of type ${typeof v}`}: use a string of 1–${MAX_ID_LENGTH} characters without NUL.`, { field });
  }
};

/** Encodes `value` with the payload codec, or throws `schema-invalid` naming `what`. */
export function encodeChecked(value: unknown, what: string): { encoding: PayloadEncoding; text: string } {
  let encoded;
  try {
    encoded = encodePayload(value);
  } catch (e) {
    throw new TroupeError('schema-invalid', `The payload of ${what} cannot be encoded: ${(e as Error).message}. Store plain data instead.`, {}, { cause: e });
  }
  if (encoded.encoding !== 'json') assertSerializable(value, what);
  return encoded;
}

/**
 * Validates and encodes `events` for `stream`: a type of 1–200 characters, a positive integer
 * schemaVersion (default 1), a serializable payload, string ids. Missing `meta.id` comes from
 * `deps.ids`, missing `meta.timestampMs` from `deps.clock`. Throws `schema-invalid` (or
 * `invalid-argument` for an empty list) before the caller writes anything.
 */
export function prepareEvents(stream: string, events: readonly NewEvent[], deps: JournalDeps): PreparedEvent[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw new TroupeError('invalid-argument', `append to "${stream}" needs a non-empty array of events.`, { stream });
  }
  const out: PreparedEvent[] = new Array(events.length);
  let now: number | undefined;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const what = `event ${i} of "${stream}"`;
    if (typeof e !== 'object' || e === null) invalid(what, 'is not an object: pass { type, data }.');
    const { type, data, meta } = e;
    if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH || type.includes('\u0000')) {
      invalid(what, `has type ${JSON.stringify(type)}: use a string of 1–${MAX_TYPE_LENGTH} characters without NUL.`);
    }
    const schemaVersion = e.schemaVersion ?? 1;
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > 0x7fffffff) {
      invalid(what, `has schemaVersion ${String(schemaVersion)}: use a positive integer (default 1).`);
    }
    const { encoding, text } = encodeChecked(data, what);
    let id: string, timestampMs: number;
    let correlationId: string | undefined, causationId: string | undefined, traceparent: string | undefined;
    if (meta === undefined) {
      id = deps.ids();
      timestampMs = now ??= deps.clock.now();
    } else {
      if (typeof meta !== 'object' || meta === null) invalid(what, 'has a meta that is not an object.');
      id = meta.id ?? deps.ids();
      checkId(id, 'id', what);
      if (meta.correlationId !== undefined) checkId(meta.correlationId, 'correlationId', what);
      if (meta.causationId !== undefined) checkId(meta.causationId, 'causationId', what);
      if (meta.traceparent !== undefined) {
        const tp = meta.traceparent as unknown;
        if (typeof tp !== 'string' || tp.length === 0 || tp.length > MAX_TRACEPARENT_LENGTH || tp.includes('\u0000')) {
          invalid(what, `has meta.traceparent ${typeof tp === 'string' ? `of length ${tp.length}` : `of type ${typeof tp}`}: use a W3C traceparent (a string of 1–${MAX_TRACEPARENT_LENGTH} characters).`, { field: 'traceparent' });
        }
      }
      correlationId = meta.correlationId;
      causationId = meta.causationId;
      traceparent = meta.traceparent;
      timestampMs = meta.timestampMs ?? (now ??= deps.clock.now());
      if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
        invalid(what, `has meta.timestampMs ${String(timestampMs)}: use a finite number of milliseconds.`);
      }
    }
    out[i] = { type, schemaVersion, encoding, dataText: text, meta: makeMeta(id, timestampMs, correlationId, causationId, traceparent) };
  }
  return out;
}

/** Builds an {@link EventMeta} with a fixed key order, omitting absent optional fields. */
export function makeMeta(id: string, timestampMs: number, correlationId?: string, causationId?: string, traceparent?: string): EventMeta {
  if (correlationId === undefined && causationId === undefined && traceparent === undefined) return { id, timestampMs };
  const m: { id: string; correlationId?: string; causationId?: string; traceparent?: string; timestampMs: number } = { id, timestampMs };
  if (correlationId !== undefined) m.correlationId = correlationId;
  if (causationId !== undefined) m.causationId = causationId;
  if (traceparent !== undefined) m.traceparent = traceparent;
  return m;
}

/**
 * Everything every adapter checks before an append touches storage: the stream name
 * (`invalid-stream`), the expected version (`invalid-argument`) and the events (see
 * {@link prepareEvents}). Returns the expected version and the prepared events.
 */
export function prepareAppend(stream: string, events: readonly NewEvent[], opts: AppendOptions, deps: JournalDeps): { expected: ExpectedVersion; prepared: PreparedEvent[] } {
  assertStreamName(stream);
  const expected = opts?.expectedVersion;
  checkExpectedVersion(stream, expected);
  return { expected, prepared: prepareEvents(stream, events, deps) };
}
