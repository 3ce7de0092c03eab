// Index checkpoints of the file journal: open loads them and scans only the bytes after them, so
// events appended after a checkpoint are found; a damaged or stale checkpoint is ignored, reported,
// and its segment scanned in full — the journal reads the same either way.

import { mkdtemp, open as openFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createFileJournal, type FileJournal, type FileJournalOptions, type RecoveryEvent } from '../../../actors/journal/file-journal.ts';
import type { StoredEvent } from '../../../actors/journal/journal.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';

interface Ctx { dir: string; events: RecoveryEvent[]; journals: FileJournal[]; open(extra?: Partial<FileJournalOptions>): Promise<FileJournal> }
const test = suite<Ctx>('file journal: index checkpoints');

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'troupe-ckpt-'));
  ctx.events = [];
  ctx.journals = [];
  let clock = 0;
  ctx.open = async (extra = {}) => {
    const j = await createFileJournal({
      dir: ctx.dir, clock: { now: () => ++clock }, ids: createIdSource(createSeededRandom(5)), fsync: 'never',
      segmentBytes: 4096, maxFlushBytes: 4096, log: () => undefined, onRecovery: (e) => ctx.events.push(e), ...extra,
    });
    ctx.journals.push(j);
    return j;
  };
});

test.after.each(async (ctx) => {
  for (const j of ctx.journals) await j.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

const files = async (dir: string, ext: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith(ext)).sort().map((n) => join(dir, n));
const write = async (j: FileJournal, from: number, to: number): Promise<void> => {
  for (let i = from; i < to; i++) await j.append(`s-${i % 7}`, [{ type: 't', data: { i, pad: 'y'.repeat(i % 50) } }], { expectedVersion: 'any' });
};
const summary = async (j: FileJournal): Promise<unknown> => {
  const all: StoredEvent[] = await j.readAll();
  const streams = await Promise.all(Array.from({ length: 7 }, (_, k) => j.readStream(`s-${k}`)));
  return { all: all.map((e) => [e.stream, e.version, e.position, e.data]), streams: streams.map((s) => s.map((e) => e.position)) };
};

test('sealed segments get a checkpoint; open uses them and finds every event appended after the last one', async (ctx) => {
  const j = await ctx.open();
  await write(j, 0, 300);
  const before = await summary(j);
  const segs = await files(ctx.dir, '.seg');
  const idx = await files(ctx.dir, '.idx');
  await j.close();
  assert.ok(segs.length > 3);
  assert.is(idx.length, segs.length - 1, 'one checkpoint per sealed segment while open');
  assert.is((await files(ctx.dir, '.idx')).length, segs.length, 'and one for the active segment at close');

  const j2 = await ctx.open();
  assert.equal(await summary(j2), before);
  assert.equal(ctx.events, []);
  await write(j2, 300, 330); // after the checkpoints
  const more = await summary(j2);
  await j2.close();

  const j3 = await ctx.open();
  assert.equal(await summary(j3), more);
  assert.is((await j3.append('s-0', [{ type: 'next', data: 0 }], { expectedVersion: 'any' })).positions[0], 331);
});

test('events appended after a checkpoint of the active segment are found after a crash (no close)', async (ctx) => {
  const j = await ctx.open();
  await write(j, 0, 20);
  await j.close(); // checkpoint of the active segment covers 20 events
  const j2 = await ctx.open();
  await write(j2, 20, 25);
  const expected = await summary(j2);
  // Simulate a crash: copy the directory state as it is now (no close, so no new checkpoint).
  const copy = await mkdtemp(join(tmpdir(), 'troupe-ckpt-copy-'));
  try {
    for (const n of await readdir(ctx.dir)) {
      if (n === 'LOCK' || n === 'snapshots') continue;
      const fh = await openFile(join(ctx.dir, n), 'r');
      await writeFile(join(copy, n), await fh.readFile());
      await fh.close();
    }
    const j3 = await createFileJournal({ dir: copy, clock: { now: () => 0 }, ids: createIdSource(createSeededRandom(6)), fsync: 'never', segmentBytes: 4096, maxFlushBytes: 4096, log: () => undefined });
    assert.equal(await summary(j3), expected);
    assert.equal(j3.stats().recovery, []);
    await j3.close();
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});

test('the active segment is checkpointed as it grows (every 8 MiB): a crash leaves only the tail after it to scan', async (ctx) => {
  const j = await ctx.open({ segmentBytes: 64 * 1024 * 1024, maxFlushBytes: 1024 * 1024 });
  const big = 'z'.repeat(4000);
  for (let b = 0; b < 24; b++) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => j.append(`big-${i % 5}`, [{ type: 't', data: { b, i, big } }], { expectedVersion: 'any' })));
  }
  await j.append('big-0', [{ type: 'last', data: 0 }], { expectedVersion: 'any' }); // lets the checkpoint queued by the last flush finish
  const expected = (await j.readAll()).map((e) => [e.stream, e.version, e.position]);
  const copy = await mkdtemp(join(tmpdir(), 'troupe-ckpt-copy-'));
  try {
    const names = await readdir(ctx.dir);
    assert.ok(names.includes('00000000000000000001.idx'), 'a checkpoint of the active segment exists before any close');
    for (const n of names) {
      if (n === 'LOCK' || n === 'snapshots' || n.endsWith('.tmp')) continue;
      const fh = await openFile(join(ctx.dir, n), 'r');
      await writeFile(join(copy, n), await fh.readFile());
      await fh.close();
    }
    const events: RecoveryEvent[] = [];
    const j2 = await createFileJournal({ dir: copy, clock: { now: () => 0 }, ids: createIdSource(createSeededRandom(6)), fsync: 'never', log: () => undefined, onRecovery: (e) => events.push(e) });
    assert.equal((await j2.readAll()).map((e) => [e.stream, e.version, e.position]), expected);
    assert.equal(events, [], 'the checkpoint was used, not ignored');
    await j2.close();
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
});

test('a corrupt checkpoint is ignored and reported; its segment is scanned in full and reads are unchanged', async (ctx) => {
  const j = await ctx.open();
  await write(j, 0, 300);
  const before = await summary(j);
  await j.close();
  const [firstIdx, secondIdx] = await files(ctx.dir, '.idx');
  const fh = await openFile(firstIdx, 'r+');
  await fh.write(Buffer.from([0xff, 0xee]), 0, 2, 60); // inside the offsets table
  await fh.close();
  await writeFile(secondIdx, 'garbage');
  const j2 = await ctx.open();
  assert.equal(await summary(j2), before);
  assert.equal(ctx.events.map((e) => e.type === 'checkpoint-ignored' && e.file), [firstIdx, secondIdx]);
  await j2.close();
  ctx.events.length = 0;
  const j3 = await ctx.open();
  assert.equal(ctx.events, [], 'the scanned segments got fresh checkpoints');
  assert.equal(await summary(j3), before);
});

test('a checkpoint that does not match its segment (stale, or naming other records) is ignored', async (ctx) => {
  const j = await ctx.open();
  await write(j, 0, 100);
  await j.close();
  const segs = await files(ctx.dir, '.seg');
  const idx = await files(ctx.dir, '.idx');
  // Swap two checkpoints: each is intact (CRC fine) but describes another segment.
  const a = await openFile(idx[0], 'r').then(async (h) => { const b = await h.readFile(); await h.close(); return b; });
  await writeFile(idx[1], a);
  const j2 = await ctx.open({ indexCheckpoints: false });
  const full = await summary(j2);
  await j2.close();
  ctx.events.length = 0;
  const j3 = await ctx.open();
  assert.equal(await summary(j3), full);
  assert.equal(ctx.events.map((e) => e.type === 'checkpoint-ignored' && e.file), [idx[1]]);
  assert.ok(segs.length > 2);
});

const readFile = async (file: string): Promise<Buffer> => { const h = await openFile(file, 'r'); try { return await h.readFile(); } finally { await h.close(); } };
/** Flips two bytes inside the positions table of a checkpoint (its body, not read at open). */
const damageBody = async (idxFile: string): Promise<void> => {
  const b = await readFile(idxFile);
  const records = b.readUInt32LE(12);
  const fh = await openFile(idxFile, 'r+');
  await fh.write(Buffer.from([0xff, 0xee]), 0, 2, b.length - 4 * records - 8); // the last positions, before the stream ids
  await fh.close();
};

test('open reads sealed segments\' summaries only: versions are exact at once, a damaged body is found on first read, reported, and scanned', async (ctx) => {
  const j = await ctx.open();
  await write(j, 0, 300);
  const before = await summary(j);
  const versions = await Promise.all(Array.from({ length: 7 }, (_, k) => j.streamVersion(`s-${k}`)));
  await j.close();
  const [firstIdx] = await files(ctx.dir, '.idx');
  await damageBody(firstIdx);
  const j2 = await ctx.open();
  assert.equal(ctx.events, [], 'nothing reported at open: the body is not read');
  assert.equal(await Promise.all(Array.from({ length: 7 }, (_, k) => j2.streamVersion(`s-${k}`))), versions);
  await j2.append('s-3', [{ type: 'checked', data: 0 }], { expectedVersion: versions[3] });
  const stale = await j2.append('s-4', [{ type: 'stale', data: 0 }], { expectedVersion: versions[4] - 1 }).then(() => undefined, (e: unknown) => e);
  assert.is((stale as { code?: string }).code, 'concurrency-conflict');
  const after = await summary(j2) as { all: unknown[]; streams: unknown[][] };
  assert.equal(after.all.slice(0, 300), (before as { all: unknown[] }).all);
  assert.equal(ctx.events.map((e) => e.type === 'checkpoint-ignored' && e.file), [firstIdx], 'reported when first read');
  assert.equal(j2.stats().recovery.length, 1);
  await j2.close();
  ctx.events.length = 0;
  const j3 = await ctx.open();
  assert.equal(await summary(j3), after);
  assert.equal(ctx.events, [], 'the scan rewrote the checkpoint');
});

test('a sealed segment changed behind an intact summary is corrupt-record when first read; open and other segments are unaffected', async (ctx) => {
  const j = await ctx.open();
  await write(j, 0, 300);
  const expected = (await j.readAll()).filter((e) => e.position > 100).map((e) => e.position);
  await j.close();
  const [firstSeg] = await files(ctx.dir, '.seg');
  const [firstIdx] = await files(ctx.dir, '.idx');
  await damageBody(firstIdx);
  const seg = await readFile(firstSeg);
  const fh = await openFile(firstSeg, 'r+');
  await fh.write(Buffer.from([seg[200] ^ 0xff]), 0, 1, 200); // inside an early record
  await fh.close();
  const j2 = await ctx.open();
  const err = await j2.readAll({ maxCount: 5 }).then(() => undefined, (e: unknown) => e);
  assert.is((err as { code?: string }).code, 'corrupt-record');
  assert.is((err as { data?: { file?: string } }).data?.file, firstSeg);
  const later = (await j2.readAll({ fromPosition: 101 })).map((e) => e.position);
  assert.ok(later.length > 0);
  assert.equal(later.filter((p) => expected.includes(p)).length, later.length);
});

test('a sealed segment with records after its checkpoint (a crash between its last periodic checkpoint and its seal) opens with every event', async (ctx) => {
  const j = await ctx.open({ segmentBytes: 8192 });
  await write(j, 0, 10);
  await j.close(); // the active first segment's checkpoint covers 10 events
  const [firstIdx] = await files(ctx.dir, '.idx');
  const partial = await readFile(firstIdx);
  const j2 = await ctx.open({ segmentBytes: 8192 });
  await write(j2, 10, 200); // seals the first segment (its checkpoint now covers it whole)
  const expected = await summary(j2);
  await j2.close();
  assert.ok((await files(ctx.dir, '.seg')).length > 2);
  await writeFile(firstIdx, partial); // as if the seal's checkpoint was never written
  const j3 = await ctx.open({ segmentBytes: 8192 });
  assert.equal(await summary(j3), expected);
  assert.equal(ctx.events, []);
  await j3.close();
  const j4 = await ctx.open({ segmentBytes: 8192 });
  assert.equal(await summary(j4), expected);
});

test.run();
