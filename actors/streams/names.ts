// The naming rule for topics, consumers (subscription ids and groups) and bus names, checked
// before anything is stored, the same for every backend.

import { TroupeError } from '../../runtime/errors.ts';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,99}$/;

/** True when `name` is 1–100 of `[A-Za-z0-9_.:-]`, not starting with `.`, `:` or `-`, and has no `::` (reserved by the bus). */
export function isValidName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name) && !name.includes('::');
}

/** Returns `name` if valid, else throws `invalid-argument` naming the `kind` (topic, id, group…) and the rule. */
export function checkName(kind: string, name: unknown, where: string): string {
  if (!isValidName(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : typeof name;
    throw new TroupeError('invalid-argument', `${where}: ${kind} ${shown} must be 1–100 characters of letters, digits, _ . : - (starting with a letter, digit or _, no "::"), e.g. "orders" or "billing.v2".`, { [kind]: typeof name === 'string' ? name.slice(0, 101) : typeof name });
  }
  return name;
}
