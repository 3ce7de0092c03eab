// Projections, the journal's head: its last global position, found with a galloping search of
// single-event reads (the Journal interface has no "last position" call; positions may have gaps).

import type { Journal } from '../journal/journal.ts';

/**
 * The journal's last global position, searching upward from `known` (a position that exists, or
 * 0): about 2·log2(head − known) `readAll({ maxCount: 1 })` calls. Returns `known` when nothing
 * lies after it.
 */
export async function journalHead(journal: Journal, known: number): Promise<number> {
  const firstFrom = async (p: number): Promise<number | undefined> => (await journal.readAll({ fromPosition: p, maxCount: 1 }))[0]?.position;
  let lo = Math.max(0, known); // invariant: lo is 0 or an event's position
  let hi: number; // invariant: no event at or after hi
  for (let step = 1; ; step *= 2) {
    const q = await firstFrom(lo + step);
    if (q === undefined) { hi = lo + step; break; }
    lo = q;
  }
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const q = await firstFrom(mid);
    if (q === undefined) hi = mid;
    else lo = q;
  }
  return lo;
}
