// The "can this payload be stored and read back" check for values off the plain-JSON fast path.

import { TroupeError } from '../../../runtime/errors.ts';

/**
 * Throws `TroupeError('schema-invalid')` unless `value` round-trips through the payload codec:
 * plain data, Date, Map, Set, RegExp, Error, BigInt, undefined and non-finite numbers pass;
 * functions, symbols, cycles and other class instances (which would come back as plain objects,
 * or not at all) fail. `what` names the value in the message (e.g. `event 2 of "cart-1"`).
 */
export function assertSerializable(value: unknown, what: string): void {
  const ancestors = new Set<object>();
  const fail = (path: string, why: string): never => {
    throw new TroupeError('schema-invalid',
      `The payload of ${what} cannot be stored: ${path || 'the value'} ${why}. Store plain data ` +
      `(objects, arrays, strings, numbers, booleans, null, Date, Map, Set, BigInt) instead.`,
      { path: path || '$' });
  };
  const walk = (v: unknown, path: string): void => {
    switch (typeof v) {
      case 'string': case 'number': case 'boolean': case 'bigint': case 'undefined':
        return;
      case 'function': return fail(path, 'is a function');
      case 'symbol': return fail(path, 'is a symbol');
      default: break;
    }
    if (v === null) return;
    const o = v as object;
    if (ancestors.has(o)) return fail(path, 'refers back to itself (a cycle)');
    if (o instanceof Date || o instanceof RegExp || o instanceof Error) return;
    ancestors.add(o);
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) walk(o[i], `${path}[${i}]`);
    } else if (o instanceof Map) {
      let i = 0;
      for (const [k, x] of o) { walk(k, `${path}<key ${i}>`); walk(x, `${path}<value ${i}>`); i++; }
    } else if (o instanceof Set) {
      let i = 0;
      for (const x of o) walk(x, `${path}<item ${i++}>`);
    } else {
      const proto = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) {
        fail(path, `is an instance of ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'a class'}`);
      }
      for (const k of Object.keys(o)) walk((o as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (Object.getOwnPropertySymbols(o).length > 0) fail(path, 'has symbol keys');
    }
    ancestors.delete(o);
  };
  try {
    walk(value, '');
  } catch (e) {
    if (e instanceof RangeError) fail('', 'is nested too deeply');
    throw e;
  }
}
