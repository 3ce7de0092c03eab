// Specs for the faulty journal wrapper over the memory journal on virtual time: I/O errors and a
// full disk write nothing, an fsync error writes and still fails, slow storage waits on the
// scheduler, probabilities are seeded, faults are undone by id, bad faults are refused.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { withJournalFaults, type JournalFault } from '../../../actors/chaos/journal-faults.ts';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { createVirtualScheduler } from '../../../runtime/virtual-clock.ts';

function setup(seed = 1) {
  const scheduler = createVirtualScheduler(0, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });
  const inner = createMemoryJournal({ clock: scheduler.clock, ids: createIdSource(createSeededRandom(1)) });
  const journal = withJournalFaults(inner, { scheduler, random: createSeededRandom(seed) });
  const ev = (n: number) => [{ type: 'added', data: { n } }];
  return { scheduler, inner, journal, ev };
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try { await p; return 'ok'; } catch (e) { return isTroupeError(e) ? e.code : `not a TroupeError: ${String(e)}`; }
};

test('io-error and full: appends reject before storage, nothing written; reads still work; remove heals', async () => {
  const { journal, inner, ev } = setup();
  await journal.append('s', ev(1), { expectedVersion: 0 });
  journal.faults.set('disk', { mode: 'full' });
  assert.is(await code(journal.append('s', ev(2), { expectedVersion: 1 })), 'storage-full');
  assert.is(await code(journal.saveSnapshot('s', 1, { n: 1 })), 'storage-full');
  assert.is((await journal.readStream('s')).length, 1, 'reads are not affected by a full disk');
  journal.faults.set('eio', { mode: 'io-error', ops: ['append', 'readStream'] });
  assert.is(await code(journal.readStream('s')), 'io-error');
  assert.equal(journal.faults.ids(), ['disk', 'eio']);
  assert.is(await inner.streamVersion('s'), 1, 'nothing was written');
  assert.ok(journal.faults.remove('disk'));
  assert.ok(journal.faults.remove('eio'));
  assert.is(journal.faults.remove('eio'), false);
  assert.equal((await journal.append('s', ev(2), { expectedVersion: 1 })).streamVersion, 2, 'appends work again');
  assert.equal(journal.faults.stats(), { failed: 3, delayed: 0 });
});

test('fsync-error: the events are stored, yet the caller gets io-error with written: true', async () => {
  const { journal, inner, ev } = setup();
  journal.faults.set('fsync', { mode: 'fsync-error' });
  try {
    await journal.append('s', ev(1), { expectedVersion: 0 });
    assert.unreachable('the append should fail');
  } catch (e) {
    assert.ok(isTroupeError(e, 'io-error'));
    assert.is((e as TroupeError).data.written, true);
    assert.match((e as Error).message, /read the stream back/);
  }
  assert.is(await inner.streamVersion('s'), 1, 'the write happened: the outcome was unknown, not failed');
});

test('slow: calls wait their latency on the scheduler (virtual time), in order', async () => {
  const { journal, scheduler, ev } = setup();
  journal.faults.set('slow', { mode: 'slow', latencyMs: 250, ops: ['append', 'readStream'] });
  let done: number | undefined;
  const p = journal.append('s', ev(1), { expectedVersion: 0 }).then(() => { done = scheduler.clock.now(); });
  await new Promise((r) => setImmediate(r));
  assert.is(done, undefined, 'not before its latency');
  scheduler.fireNextDue(1_000);
  await p;
  assert.is(done, 250);
  assert.is(journal.faults.stats().delayed, 1);
});

test('probability: a seeded fraction of calls fail, the same ones for the same seed', async () => {
  const run = async (seed: number): Promise<string> => {
    const { journal, ev } = setup(seed);
    journal.faults.set('flaky', { mode: 'io-error', probability: 0.25 });
    let out = '';
    for (let i = 0; i < 200; i++) out += (await code(journal.append(`s${i}`, ev(i), { expectedVersion: 'any' }))) === 'ok' ? '.' : 'x';
    return out;
  };
  const a = await run(3);
  const failures = [...a].filter((c) => c === 'x').length;
  assert.ok(failures > 30 && failures < 70, `about 25 %: ${failures}`);
  assert.is(await run(3), a, 'same seed, same calls fail');
});

test('bad faults are refused with invalid-argument naming the field; the scheduler is required', () => {
  const { journal, inner } = setup();
  const cases: [unknown, string][] = [
    [{ mode: 'melt' }, 'mode'],
    [{ mode: 'io-error', probability: 0 }, 'probability'],
    [{ mode: 'slow', latencyMs: -5 }, 'latencyMs'],
    [{ mode: 'full', ops: ['readAll'] }, 'ops'],
    [{ mode: 'io-error', ops: [] }, 'ops'],
    [{ mode: 'io-error', when: 'now' }, 'when'],
  ];
  for (const [f, field] of cases) {
    try {
      journal.faults.set('x', f as JournalFault);
      assert.unreachable(JSON.stringify(f));
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'), String(e));
      assert.is((e as TroupeError).data.field, field, (e as Error).message);
    }
  }
  assert.equal(journal.faults.ids(), []);
  try {
    withJournalFaults(inner, {} as never);
    assert.unreachable();
  } catch (e) {
    assert.ok(isTroupeError(e, 'invalid-argument'));
  }
});

test.run();
