// The stream-name rule: which names a journal accepts, checked before anything is stored.

import { TroupeError } from '../../runtime/errors.ts';

/** Longest accepted stream name, in characters. */
export const MAX_STREAM_NAME_LENGTH = 200;

const STREAM_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * True when `name` is a valid stream name: 1–200 characters, each one of `A–Z a–z 0–9 _ . : -`.
 * Names starting with `$` are reserved for the system (and `$` is not in the set at all), so
 * user streams can never collide with system streams such as a future `$all`.
 * @example isValidStreamName('cart-42') // true; isValidStreamName('a/b') // false
 */
export function isValidStreamName(name: unknown): name is string {
  return typeof name === 'string' && STREAM_NAME.test(name);
}

/** Throws `TroupeError('invalid-stream')` unless `name` is a valid stream name. */
export function assertStreamName(name: unknown): asserts name is string {
  if (isValidStreamName(name)) return;
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : typeof name;
  throw new TroupeError('invalid-stream',
    `Stream name ${shown} is not allowed: use 1–${MAX_STREAM_NAME_LENGTH} characters from A–Z a–z 0–9 _ . : - ` +
    `(for example "order-42" or "cart:42"); "$" names are reserved for the system.`,
    { stream: typeof name === 'string' ? name.slice(0, MAX_STREAM_NAME_LENGTH + 1) : String(typeof name) });
}
