// An actor's address: which system, which node, which path, which incarnation. Serializable, so
// a transport can resolve it to a remote endpoint through the same seam as a local one.

import { TroupeError } from './errors.ts';

/** Where an actor lives. `uid` tells incarnations of the same path apart. */
export interface Address {
  readonly system: string;
  readonly node: string;
  readonly path: string;
  readonly uid: number;
}

/**
 * Formats an address as `troupe://<system>@<node><path>#<uid>`.
 * @example formatAddress({ system: 'shop', node: 'n1', path: '/user/orders', uid: 7 }) // 'troupe://shop@n1/user/orders#7'
 */
export function formatAddress(a: Address): string {
  return `troupe://${a.system}@${a.node}${a.path}#${a.uid}`;
}

const ADDRESS = /^troupe:\/\/([^@/#\s]+)@([^/#\s]+)(\/[^#\s]*)#(\d+)$/;

/**
 * Parses `text` as an address without throwing: undefined when it is not what
 * {@link formatAddress} produces (or its uid is not a safe integer). Use it on input from the
 * network, where a bad address is reported and dropped, never thrown.
 *
 * @example tryParseAddress('garbage') // undefined
 */
export function tryParseAddress(text: unknown): Address | undefined {
  if (typeof text !== 'string') return undefined;
  const m = ADDRESS.exec(text);
  if (!m) return undefined;
  const uid = Number(m[4]);
  return Number.isSafeInteger(uid) ? { system: m[1], node: m[2], path: m[3], uid } : undefined;
}

/** Parses what {@link formatAddress} produced; anything else is an `invalid-argument` error. */
export function parseAddress(text: string): Address {
  const a = tryParseAddress(text);
  if (a === undefined) {
    throw new TroupeError('invalid-argument', `"${String(text).slice(0, 80)}" is not an actor address; expected troupe://<system>@<node>/<path>#<uid>.`);
  }
  return a;
}
