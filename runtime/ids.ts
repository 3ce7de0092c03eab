// Ids drawn from the system's seeded random, so a replayed run names things the same way.

import { customRandom, urlAlphabet } from 'nanoid';
import type { Random } from './random.ts';

/** Produces unique string ids. */
export type IdSource = () => string;

/**
 * A nanoid source fed by a seeded random (21 url-safe characters by default).
 * @example const id = createIdSource(createSeededRandom(1)); id() // deterministic
 */
export function createIdSource(random: Random, size = 21): IdSource {
  return customRandom(urlAlphabet, size, (n) => random.bytes(n));
}
