// Remote death watch messages between nodes (watch, unwatch, terminated), decoded totally from a
// peer's payload: a typed message or the reason it was dropped, never a throw.

import { tryParseAddress, type Address } from '../../address.ts';
import type { TerminationReason } from '../../behavior.ts';

/** A remote death watch message, checked. Address texts are kept as the peer wrote them. */
export type WatchMessage =
  | { readonly type: 'actor.watch' | 'actor.unwatch'; readonly target: string; readonly watcher: Address; readonly watcherText: string }
  | { readonly type: 'actor.terminated'; readonly ref: Address; readonly refText: string; readonly watcher: string; readonly reason: TerminationReason['kind'] };

/** What {@link decodeWatchMessage} gives: the message, or why it was dropped (ready to report). */
export type DecodedWatchMessage = { readonly ok: true; readonly message: WatchMessage } | { readonly ok: false; readonly reason: string };

const REASONS: ReadonlySet<string> = new Set<TerminationReason['kind']>(['normal', 'shutdown', 'failure', 'killed', 'node-down']);
const quote = (x: unknown): string => (typeof x === 'string' ? JSON.stringify(x.slice(0, 80)) : typeof x);

/**
 * Decodes the payload of a system envelope of `type` from a peer. Every address the receiver
 * will parse is parsed here; the target and watcher addresses that are only looked up locally
 * must be strings. An unknown termination reason reads as `normal` (a newer peer may add one).
 *
 * @example decodeWatchMessage('actor.watch', { target: 'troupe://s@b/user/x#1', watcher: 'garbage' }).ok // false
 */
export function decodeWatchMessage(type: string, payload: unknown): DecodedWatchMessage {
  const fail = (why: string): DecodedWatchMessage => ({ ok: false, reason: `system message '${type.slice(0, 80)}' dropped: ${why}` });
  if (type !== 'actor.watch' && type !== 'actor.unwatch' && type !== 'actor.terminated') return fail('unknown system message type');
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return fail('its payload is not an object');
  const p = payload as Record<string, unknown>;
  if (type === 'actor.terminated') {
    const ref = tryParseAddress(p.ref);
    if (ref === undefined) return fail(`ref ${quote(p.ref)} is not an actor address`);
    if (typeof p.watcher !== 'string') return fail(`watcher ${quote(p.watcher)} is not an address text`);
    const reason = typeof p.reason === 'string' && REASONS.has(p.reason) ? p.reason as TerminationReason['kind'] : 'normal';
    return { ok: true, message: { type, ref, refText: p.ref as string, watcher: p.watcher, reason } };
  }
  if (typeof p.target !== 'string') return fail(`target ${quote(p.target)} is not an address text`);
  const watcher = tryParseAddress(p.watcher);
  if (watcher === undefined) return fail(`watcher ${quote(p.watcher)} is not an actor address`);
  return { ok: true, message: { type, target: p.target, watcher, watcherText: p.watcher as string } };
}
