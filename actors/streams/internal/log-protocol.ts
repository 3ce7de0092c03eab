// The protocol of a node's log server: how consumers on other nodes read this node's topic logs,
// move their cursors in it, keep dead letters there and hear of new appends.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import type { MessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { registerReceptionistMessages } from '../../internal/receptionist-protocol.ts';
import type { CursorState, DeadLetterRecord, LogHead, LogRecord, Retention } from '../log-source.ts';

/** One operation on the server's log, as data (the LogSource method and its arguments). */
export type LogOp =
  | { readonly op: 'read'; readonly topic: string; readonly fromOffset: number; readonly maxCount: number }
  | { readonly op: 'head'; readonly topic: string }
  | { readonly op: 'cursor'; readonly topic: string; readonly consumer: string; readonly partition: number }
  | { readonly op: 'claim'; readonly topic: string; readonly consumer: string; readonly partition: number; readonly owner: string; readonly seenGeneration: number }
  | { readonly op: 'commit'; readonly topic: string; readonly consumer: string; readonly partition: number; readonly offset: number; readonly generation: number }
  | { readonly op: 'release'; readonly topic: string; readonly consumer: string; readonly partition: number; readonly generation: number }
  | { readonly op: 'dead-letter'; readonly topic: string; readonly entry: DeadLetterRecord }
  | { readonly op: 'dead-letters'; readonly topic: string; readonly consumer: string }
  | { readonly op: 'purge'; readonly topic: string; readonly consumer: string; readonly ids: readonly string[] }
  | { readonly op: 'trim'; readonly topic: string; readonly retention: Retention; readonly nowMs: number };

/** What an operation resolves with. */
export type LogOpValue = LogRecord[] | LogHead | CursorState | DeadLetterRecord[] | number | null;

/** The server's answer: the value, or the error's code, message and data (rebuilt as a TroupeError by the caller). */
export type LogReply =
  | { readonly ok: true; readonly value: LogOpValue }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly data: Record<string, unknown> };

/** A notification that `topic` on `source` grew to `last`. */
export interface AppendedMsg { readonly type: 'bus.log.appended'; readonly source: string; readonly topic: string; readonly last: number }

/** Everything a log server accepts. All cross nodes. */
export type LogServerMsg =
  | { readonly type: 'bus.log.request'; readonly request: LogOp; readonly replyTo: ActorRef<LogReply> }
  | { readonly type: 'bus.log.watch'; readonly topic: string; readonly watcher: ActorRef<AppendedMsg> }
  | { readonly type: 'bus.log.unwatch'; readonly topic: string; readonly watcher: ActorRef<AppendedMsg> }
  | { readonly type: 'bus.log.watcher-down'; readonly watcher: string };

const isObj = (p: unknown): p is Record<string, unknown> => typeof p === 'object' && p !== null;
const OPS = new Set(['read', 'head', 'cursor', 'claim', 'commit', 'release', 'dead-letter', 'dead-letters', 'purge', 'trim']);

/** The types that cross nodes (version 1) with the shape check each validator runs; the server checks arguments again. */
export const STREAM_MESSAGE_TYPES: Readonly<Record<string, (p: Record<string, unknown>) => boolean>> = Object.freeze({
  'bus.log.request': (p) => isObj(p.request) && typeof p.request.op === 'string' && OPS.has(p.request.op) && typeof p.request.topic === 'string',
  'bus.log.watch': (p) => typeof p.topic === 'string' && isObj(p.watcher),
  'bus.log.unwatch': (p) => typeof p.topic === 'string' && isObj(p.watcher),
  'bus.log.appended': (p) => typeof p.source === 'string' && typeof p.topic === 'string' && typeof p.last === 'number',
});

/**
 * Declares the event bus's remote message types in `registry`, and the receptionist's (groups
 * find their members through one); do it on every node of a cluster that creates a bus.
 * Declaring them twice is harmless.
 * @example const registry = registerEventBusMessages(createMessageRegistry());
 */
export function registerEventBusMessages(registry: MessageRegistry): MessageRegistry {
  registerReceptionistMessages(registry);
  for (const [type, check] of Object.entries(STREAM_MESSAGE_TYPES)) {
    if (registry.has(type)) continue;
    registry.define(type, {
      version: 1,
      validate: (p) => (isObj(p) && check(p)) || `${type} payload is malformed`,
    });
  }
  return registry;
}
