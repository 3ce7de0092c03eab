// Event-sourced actors, the event codec: turning decided events into journal records (checked
// against the registry before anything is written) and stored records back into events.

import { isTroupeError } from '../../runtime/errors.ts';
import type { MessageRegistry } from '../../runtime/wire/message-registry.ts';
import type { NewEvent, StoredEvent } from '../journal/journal.ts';

/** Why a command failed, as plain data: a {@link CommandErrorCode}, a message saying what to do, and structured facts. */
export interface CommandError {
  readonly code: CommandErrorCode;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The closed vocabulary of command failures: `rejected` (decide said no), the journal's and the
 * registry's typed errors (`concurrency-conflict`, `schema-invalid`, `unsupported-version`,
 * `unknown-message-type`, `invalid-stream`), and `journal-failed` (outcome unknown; the actor
 * restarts and recovers).
 */
export type CommandErrorCode =
  | 'rejected' | 'concurrency-conflict' | 'schema-invalid' | 'unsupported-version' | 'unknown-message-type' | 'invalid-stream' | 'journal-failed';

const TYPED: readonly CommandErrorCode[] = ['concurrency-conflict', 'schema-invalid', 'unsupported-version', 'unknown-message-type', 'invalid-stream'];

/** How events map to records: their type name, their schema version, the registry that checks them. */
export interface EventCodec<E> {
  readonly eventType: (evt: E) => string;
  readonly eventVersion: ((evt: E) => number) | undefined;
  readonly registry: MessageRegistry | undefined;
}

/** The default event type: the event's own `type` field. */
export function defaultEventType(evt: unknown): string {
  const t = (evt as { type?: unknown } | null)?.type;
  return typeof t === 'string' ? t : '';
}

/**
 * Encodes decided events. Each record's `data` is the whole event; its `schemaVersion` is
 * `eventVersion(evt)`, else the registry's current version of its type, else 1. With a registry,
 * each event goes through `registry.decode` (upcast if older, then validated) and the decoded
 * value is what `apply` sees, exactly as on recovery. Returns the typed failure instead of throwing.
 */
export function encodeEvents<E>(events: readonly E[], codec: EventCodec<E>): { ok: true; records: NewEvent[]; decoded: E[] } | { ok: false; error: CommandError } {
  const records: NewEvent[] = [];
  const decoded: E[] = [];
  for (let i = 0; i < events.length; i++) {
    const evt = events[i];
    try {
      const type = codec.eventType(evt);
      if (typeof type !== 'string' || type.length === 0) {
        return fail('schema-invalid', `Event ${i} has no type: give events a string \`type\` field, or pass eventType(evt) to defineEventSourced.`, { index: i });
      }
      const registry = codec.registry;
      const schemaVersion = codec.eventVersion?.(evt) ?? (registry?.has(type) ? registry.versionOf(type) : 1);
      decoded.push(registry === undefined ? evt : registry.decode(type, schemaVersion, evt) as E);
      records.push({ type, schemaVersion, data: evt });
    } catch (e) {
      const known = toFailure(e);
      if (known) return { ok: false, error: { ...known, data: { ...known.data, index: i } } };
      throw e;
    }
  }
  return { ok: true, records, decoded };
}

/** Turns a stored record back into an event: through `registry.decode` when there is a registry. */
export function decodeStored<E>(registry: MessageRegistry | undefined): (e: StoredEvent) => E {
  return registry === undefined ? (e) => e.data as E : (e) => registry.decode(e.type, e.schemaVersion, e.data) as E;
}

/** The typed failure for a TroupeError the caller can act on, or undefined for anything else. */
export function toFailure(e: unknown): CommandError | undefined {
  if (!isTroupeError(e)) return undefined;
  const code = TYPED.find((c) => c === e.code);
  return code === undefined ? undefined : { code, message: e.message, data: { ...e.data } };
}

function fail(code: CommandErrorCode, message: string, data: Record<string, unknown>): { ok: false; error: CommandError } {
  return { ok: false, error: { code, message, data } };
}
