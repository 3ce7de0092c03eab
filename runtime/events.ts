// The system's event stream vocabulary: lifecycle, supervision and dead letters.

import type { TerminationReason } from './behavior.ts';

/** Why a message could not be delivered. */
export type DeadLetterReason =
  | 'actor-stopped' | 'mailbox-full' | 'mailbox-evicted' | 'unknown-recipient' | 'stash-dropped' | 'backoff-overflow' | 'undeliverable'
  // remote delivery
  | 'unknown-message-type' | 'unsupported-version' | 'schema-invalid' | 'node-unreachable' | 'link-overflow'
  | 'malformed-payload'; // a payload from a peer that cannot be read (e.g. a ref that is not an address)

/** Why a system terminated. */
export type SystemTerminationReason =
  | { readonly kind: 'requested' }
  | { readonly kind: 'escalated'; readonly error: unknown };

/**
 * Everything `system.events$` emits. `atMs` is the system clock. Errors are the values thrown.
 * `restarted.restarts` counts restarts of that actor since it was spawned.
 */
export type SystemEvent =
  | { readonly type: 'spawned'; readonly path: string; readonly atMs: number }
  | { readonly type: 'stopped'; readonly path: string; readonly reason: TerminationReason['kind']; readonly atMs: number }
  | { readonly type: 'failed'; readonly path: string; readonly error: unknown; readonly atMs: number }
  | { readonly type: 'restarted'; readonly path: string; readonly cause: unknown; readonly restarts: number; readonly atMs: number }
  | { readonly type: 'escalated'; readonly path: string; readonly child: string; readonly why: 'decider' | 'intensity'; readonly error: unknown; readonly atMs: number }
  | { readonly type: 'dead-letter'; readonly recipient: string; readonly messageType: string | undefined; readonly message: unknown; readonly reason: DeadLetterReason; readonly atMs: number }
  | { readonly type: 'hook-failed'; readonly path: string; readonly signal: string; readonly error: unknown; readonly atMs: number }
  | { readonly type: 'system-terminated'; readonly reason: SystemTerminationReason; readonly atMs: number };

/** The `type` field of a message if it has one (for dead-letter events and traces). */
export function messageTypeOf(msg: unknown): string | undefined {
  if (typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string') return (msg as { type: string }).type;
  return undefined;
}
