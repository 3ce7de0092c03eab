// readAllPages: pages cover the journal once, in order, from a position on.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import { readAllPages } from '../../../actors/journal/read-all-pages.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';

test('pages visit every event once in global order, each at most pageSize long', async () => {
  const journal = createMemoryJournal({ clock: { now: () => 0 }, ids: createIdSource(createSeededRandom(1)) });
  for (let i = 0; i < 25; i++) await journal.append(`s${i % 4}`, [{ type: 't', data: i }], { expectedVersion: 'any' });
  const sizes: number[] = [];
  const seen: unknown[] = [];
  for await (const page of readAllPages(journal, { pageSize: 10 })) { sizes.push(page.length); seen.push(...page.map((e) => e.data)); }
  assert.equal(sizes, [10, 10, 5]);
  assert.equal(seen, Array.from({ length: 25 }, (_, i) => i));
  const tail: unknown[] = [];
  for await (const page of readAllPages(journal, { fromPosition: 23 })) tail.push(...page.map((e) => e.data));
  assert.equal(tail, [22, 23, 24]);
});

test.run();
