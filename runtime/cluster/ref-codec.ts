// Actor refs inside payloads that cross nodes: replaced by their address on the way out, revived
// as refs (local or remote) on the way in. Only plain objects and arrays are walked.

import { ActorRef } from '../actor-ref.ts';

/** The wire form of a ref: an object with this single key holding the address. */
export const REF_KEY = '$troupe.ref';

const SAME = Symbol('same');

/**
 * Replaces every ActorRef in `value` (through plain objects and arrays) by `{ [REF_KEY]: address }`,
 * copying only what changes. `found` says whether any ref was replaced.
 */
export function refsToWire(value: unknown, address: (ref: ActorRef<unknown>) => string): { value: unknown; found: boolean } {
  const out = toWire(value, address, 0);
  return out === SAME ? { value, found: false } : { value: out, found: true };
}

function toWire(v: unknown, address: (ref: ActorRef<unknown>) => string, depth: number): unknown {
  if (typeof v !== 'object' || v === null || depth > 64) return SAME;
  if (v instanceof ActorRef) return { [REF_KEY]: address(v) };
  if (Array.isArray(v)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      const r = toWire(v[i], address, depth + 1);
      if (r !== SAME) { copy ??= v.slice(); copy[i] = r; }
    }
    return copy ?? SAME;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return SAME;
  let copy: Record<string, unknown> | null = null;
  for (const k in v) {
    const r = toWire((v as Record<string, unknown>)[k], address, depth + 1);
    if (r !== SAME) { copy ??= { ...(v as Record<string, unknown>) }; copy[k] = r; }
  }
  return copy ?? SAME;
}

/** What {@link refsFromWire} gives: the payload with refs revived, or the first ref that is not an address. */
export type RevivedRefs = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly address: string };

/**
 * Revives refs written by {@link refsToWire}, in place (the value was just decoded). Total: when
 * `revive` returns undefined (the text is not an address) it stops and reports that text; the
 * value is then partly revived and must be dropped.
 */
export function refsFromWire(value: unknown, revive: (address: string) => ActorRef<unknown> | undefined): RevivedRefs {
  const bad: { address?: string } = {};
  const out = fromWire(value, revive, 0, bad);
  return bad.address === undefined ? { ok: true, value: out } : { ok: false, address: bad.address };
}

function fromWire(v: unknown, revive: (address: string) => ActorRef<unknown> | undefined, depth: number, bad: { address?: string }): unknown {
  if (typeof v !== 'object' || v === null || depth > 64 || bad.address !== undefined) return v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = fromWire(v[i], revive, depth + 1, bad);
    return v;
  }
  const o = v as Record<string, unknown>;
  const a = Object.hasOwn(o, REF_KEY) ? o[REF_KEY] : undefined;
  if (typeof a === 'string') {
    let keys = 0;
    for (const _ in o) keys++;
    if (keys === 1) {
      const ref = revive(a);
      if (ref === undefined) bad.address = a;
      return ref ?? v;
    }
  }
  // Own keys only: a decoded payload is a plain object, and `__proto__` stays an own data key.
  for (const k of Object.keys(o)) o[k] = fromWire(o[k], revive, depth + 1, bad);
  return v;
}
