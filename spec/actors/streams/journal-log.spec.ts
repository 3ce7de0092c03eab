import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { createFileLogBackend, createMemoryLogBackend } from '../../../actors/streams/embedded-backends.ts';
import { createJournalLog } from '../../../actors/streams/journal-log.ts';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import { withAppendHints } from '../../../actors/projection.ts';
import { logSourceBehaviour, rec } from '../../helpers/log-source-behaviour.ts';
import { test } from '../../helpers/uvu.ts';

const clock = { now: () => 0 };
let ids = 0;
const idSource = () => `id-${++ids}`;

logSourceBehaviour('memory', async () => {
  const b = createMemoryLogBackend({ name: 'n1', clock, ids: idSource });
  return { source: b.local, cleanup: () => b.close() };
});

logSourceBehaviour('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-log-'));
  let b = await createFileLogBackend({ dir, name: 'n1', clock, ids: idSource });
  return {
    get source() { return b.local; },
    reopen: async () => { await b.close(); b = await createFileLogBackend({ dir, name: 'n1', clock, ids: idSource }); return b.local; },
    cleanup: async () => { await b.close(); await rm(dir, { recursive: true, force: true }); },
  };
});

test('a derived topic carries the journal events of its category, keyed by stream, offsets = global positions', async () => {
  const journal = withAppendHints(createMemoryJournal({ clock, ids: idSource }));
  const log = createJournalLog({ name: 'n1', journal, derived: { 'order-events': { category: 'order' } }, partitions: 4 });
  const heard: number[] = [];
  log.watch('order-events', (p) => heard.push(p));
  await journal.append('order-1', [{ type: 'placed', data: { total: 3 } }], { expectedVersion: 0 });
  await journal.append('invoice-1', [{ type: 'issued', data: {} }], { expectedVersion: 0 });
  const r = await journal.append('order-2', [{ type: 'placed', data: { total: 4 } }, { type: 'paid', data: {} }], { expectedVersion: 0 });
  const read = await log.read('order-events', 1, 10);
  assert.equal(read.map((e) => [e.key, e.type, e.offset]), [['order-1', 'placed', 1], ['order-2', 'placed', 3], ['order-2', 'paid', 4]]);
  assert.is(read[1].partition, read[2].partition, 'one stream, one partition');
  assert.equal(await log.read('order-events', 4, 10).then((x) => x.map((e) => e.offset)), [4]);
  assert.is((await log.head('order-events')).last, r.positions[1]);
  assert.ok(heard.length >= 3, 'appends through a hinting journal wake watchers');
  try { await log.append('order-events', [rec()]); assert.unreachable('append to a derived topic'); } catch (e) { assert.is((e as { code: string }).code, 'invalid-argument'); }
});

test.run();
