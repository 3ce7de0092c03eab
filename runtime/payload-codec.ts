// Payload encoding: plain JSON where a value is plain JSON (the fast path), superjson only where
// a value holds Date, Map, Set, BigInt, undefined, RegExp or Error — so most messages never pay for it.

import superjson from 'superjson';
import { TroupeError } from './errors.ts';

/** How a payload was encoded: `json` (plain JSON.stringify) or `superjson`. */
export type PayloadEncoding = 'json' | 'superjson';

/** An encoded payload: its encoding tag and text. */
export interface EncodedPayload {
  readonly encoding: PayloadEncoding;
  readonly text: string;
}

/**
 * True when `value` survives a JSON round trip unchanged: null, booleans, finite numbers,
 * strings, arrays and plain objects of those (no undefined properties, no class instances).
 */
export function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isPlainJson(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in value) if (!isPlainJson((value as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/**
 * Encodes a payload, choosing JSON when it is plain and superjson otherwise.
 * @example encodePayload({ at: order.placedAt }).encoding // 'superjson' when placedAt is a Date
 */
export function encodePayload(value: unknown): EncodedPayload {
  if (isPlainJson(value)) return { encoding: 'json', text: JSON.stringify(value) };
  return { encoding: 'superjson', text: superjson.stringify(value) };
}

/** Decodes what {@link encodePayload} produced; malformed text is a `malformed-frame` error. */
export function decodePayload(encoding: PayloadEncoding, text: string): unknown {
  try {
    return encoding === 'json' ? JSON.parse(text) : superjson.parse(text);
  } catch (e) {
    throw new TroupeError('malformed-frame', `Payload is not valid ${encoding}: ${(e as Error).message}`, { encoding }, { cause: e });
  }
}
