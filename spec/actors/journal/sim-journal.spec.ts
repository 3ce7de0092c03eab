// The simulated journal: the shared Journal behaviour spec (on a test system's virtual time, with
// latency), then what the simulated disk adds: latency and call order, fsync and what a crash
// keeps (nothing acknowledged with fsync 'always', a prefix of the unsynced writes), full disks.

import * as assert from 'uvu/assert';
import { suite } from '../../helpers/uvu.ts';
import { journalBehaviour, rejectsWith } from '../../helpers/journal-behaviour.ts';
import type { Journal, JournalDeps } from '../../../actors/journal/journal.ts';
import { createSimDisk, createSimJournal, createTestSystem, type SimDisk, type SimDiskOptions, type TestSystem } from '../../../runtime/testing.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import type { SimDiskState } from '../../../actors/journal/sim-disk.ts';

/** A journal whose every call drives `kit` until it settles (the behaviour spec just awaits). */
function driven(kit: TestSystem, j: Journal): Journal {
  const drive = async <T>(p: Promise<T>): Promise<T> => {
    let done = false;
    const settled = p.finally(() => { done = true; });
    settled.catch(() => undefined);
    await kit.runUntil(() => done, 60_000);
    return settled;
  };
  return {
    append: (...a) => drive(j.append(...a)),
    readStream: (...a) => drive(j.readStream(...a)),
    readAll: (...a) => drive(j.readAll(...a)),
    streamVersion: (...a) => drive(j.streamVersion(...a)),
    saveSnapshot: (...a) => drive(j.saveSnapshot(...a)),
    loadSnapshot: (...a) => drive(j.loadSnapshot(...a)),
    close: () => drive(j.close()),
  };
}

const simHarness = (options: SimDiskOptions) => async () => {
  const kit = createTestSystem({ seed: 3 });
  const disk = createSimDisk('n1', options);
  return {
    open: async (deps: JournalDeps) => driven(kit, createSimJournal({ ...deps, disk, scheduler: kit.scheduler, random: kit.random })),
    dispose: async () => { await kit.terminate(); },
  };
};

journalBehaviour('sim journal', { durable: true, harness: simHarness({}) });
journalBehaviour('sim journal (fsync never, 5 ms latency, 4 ms jitter)', { durable: true, harness: simHarness({ fsync: 'never', writeLatencyMs: 5, jitterMs: 4 }) });

const test = suite('sim journal: the simulated disk');

interface World { kit: TestSystem; disk: SimDisk; journal: Journal; reopen(): Journal }
function world(options: SimDiskOptions = {}, seed = 5): World {
  const kit = createTestSystem({ seed });
  const disk = createSimDisk('n1', options);
  const open = (): Journal => createSimJournal({ disk, scheduler: kit.scheduler, random: kit.random, clock: kit.clock, ids: kit.ids });
  return { kit, disk, journal: open(), reopen: open };
}
const ev = (n: number) => ({ type: 'e', data: { n } });
const crash = (w: World): void => (w.disk as SimDiskState).crash(w.kit.random);

test('an append resolves after writeLatencyMs plus whole-ms jitter of virtual time; concurrent appends resolve and become visible in call order', async () => {
  const w = world({ writeLatencyMs: 3, jitterMs: 4 });
  const done: [number, number][] = [];
  const appends = [1, 2, 3, 4, 5, 6].map((n) => w.journal.append('s', [ev(n)], { expectedVersion: 'any' }).then((r) => { done.push([r.positions[0], w.kit.now()]); }));
  await w.kit.runUntilIdle();
  assert.equal(done, [], 'nothing is acknowledged before the disk answers');
  await w.kit.advance(100);
  await Promise.all(appends);
  assert.equal(done.map(([p]) => p), [1, 2, 3, 4, 5, 6]);
  for (const [, at] of done) assert.ok(at >= 3 && at <= 7 && Number.isInteger(at), `acknowledged at ${at} ms`);
  assert.ok(done.every(([, at], i) => i === 0 || at >= done[i - 1][1]), 'no append is acknowledged before an earlier one');
  await w.kit.terminate();
});

test("fsync 'always': a crash keeps every acknowledged append; of those in flight, a seeded prefix survives (the next one torn), the rest is lost", async () => {
  const survivors = new Set<number>();
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const w = world({}, seed);
    await driven(w.kit, w.journal).append('s', [ev(0)], { expectedVersion: 0 });
    for (let n = 1; n <= 4; n++) void w.journal.append('s', [ev(n)], { expectedVersion: 'any' }).catch(() => undefined);
    crash(w);
    const after = driven(w.kit, w.reopen());
    const kept = (await after.readStream('s')).map((e) => (e.data as { n: number }).n);
    assert.equal(kept, Array.from({ length: kept.length }, (_, i) => i), 'the acknowledged append, then a prefix of the in-flight ones');
    survivors.add(kept.length - 1);
    const stats = w.disk.stats();
    assert.equal([stats.crashes, stats.survivedUnsynced + stats.lost], [1, 4]);
    assert.is(stats.torn, kept.length - 1 < 4 ? 1 : 0);
    // the old journal died with its node
    await rejectsWith(w.journal.append('s', [ev(9)], { expectedVersion: 'any' }), 'journal-closed');
    await w.kit.terminate();
  }
  assert.ok(survivors.size > 1, `the seed decides how much of the unsynced writes survive: ${[...survivors]}`);
});

test('tornWrites false: a crash loses every unsynced append', async () => {
  const w = world({ tornWrites: false });
  await driven(w.kit, w.journal).append('s', [ev(0)], { expectedVersion: 0 });
  for (let n = 1; n <= 3; n++) void w.journal.append('s', [ev(n)], { expectedVersion: 'any' }).catch(() => undefined);
  crash(w);
  assert.equal((await driven(w.kit, w.reopen()).readStream('s')).map((e) => e.data), [{ n: 0 }]);
  assert.equal(w.disk.stats().lost, 3);
  await w.kit.terminate();
});

test("fsync 'never': acknowledged appends are lost by a crash until the disk syncs (every syncEveryMs)", async () => {
  const w = world({ fsync: 'never', syncEveryMs: 500, tornWrites: false });
  const j = driven(w.kit, w.journal);
  await j.append('s', [ev(1)], { expectedVersion: 0 });
  assert.equal((await j.readStream('s')).length, 1, 'acknowledged and readable');
  crash(w);
  assert.equal(await driven(w.kit, w.reopen()).readStream('s'), [], 'but not synced: lost');

  const w2 = world({ fsync: 'never', syncEveryMs: 500, tornWrites: false });
  await driven(w2.kit, w2.journal).append('s', [ev(1)], { expectedVersion: 0 });
  await w2.kit.advance(600);
  crash(w2);
  assert.equal((await driven(w2.kit, w2.reopen()).readStream('s')).length, 1, 'synced by then: kept');
  await w.kit.terminate();
  await w2.kit.terminate();
});

test('a full disk refuses appends with storage-full and stores nothing; the journal goes on once there is room', async () => {
  const w = world({ capacityBytes: 400 });
  const j = driven(w.kit, w.journal);
  await j.append('s', [ev(1)], { expectedVersion: 0 });
  const full = await rejectsWith(j.append('s', [{ type: 'big', data: { pad: 'x'.repeat(500) } }], { expectedVersion: 1 }), 'storage-full');
  assert.match(full.message, /disk of n1 is full/);
  assert.is(await j.streamVersion('s'), 1, 'nothing of the refused append was stored');
  w.disk.fill();
  await rejectsWith(j.append('s', [ev(2)], { expectedVersion: 1 }), 'storage-full');
  w.disk.free();
  assert.is((await j.append('s', [ev(2)], { expectedVersion: 1 })).streamVersion, 2);
  assert.is(w.disk.stats().refusedFull, 2);
  await w.kit.terminate();
});

test('fullRate: a seeded share of appends is refused (a transiently full disk), the same ones for the same seed', async () => {
  const refusedWith = async (seed: number): Promise<number[]> => {
    const w = world({ fullRate: 0.3 }, seed);
    const j = driven(w.kit, w.journal);
    const refused: number[] = [];
    for (let n = 0; n < 30; n++) {
      try { await j.append('s', [ev(n)], { expectedVersion: 'any' }); } catch (e) { assert.ok(isTroupeError(e, 'storage-full')); refused.push(n); }
    }
    await w.kit.terminate();
    return refused;
  };
  const one = await refusedWith(9);
  assert.ok(one.length > 3 && one.length < 20, `refused ${one.length} of 30`);
  assert.equal(await refusedWith(9), one);
});

test('bad disk options are refused, naming the field', () => {
  for (const [o, field] of [[{ fullRate: 2 }, 'fullRate'], [{ jitterMs: 0.5 }, 'jitterMs'], [{ fsync: 'sometimes' }, 'fsync'], [{ writeLatencyMs: -1 }, 'writeLatencyMs']] as const) {
    assert.throws(() => createSimDisk('x', o as SimDiskOptions), (e: unknown) => isTroupeError(e, 'invalid-argument') && (e as Error).message.includes(field), field);
  }
});

test.run();
