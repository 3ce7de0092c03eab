// The file journal: the shared Journal behaviour spec (default options, and tiny segments so every
// test crosses segment boundaries), then group commit, rolling, recovery and corruption handling.

import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createFileJournal, type FileJournal, type FileJournalOptions } from '../../../actors/journal/file-journal.ts';
import type { JournalDeps } from '../../../actors/journal/journal.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { journalBehaviour, rejectsWith } from '../../helpers/journal-behaviour.ts';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'troupe-journal-'));

const fileHarness = (extra: Partial<FileJournalOptions>) => async () => {
  const dir = await tempDir();
  return {
    open: (deps: JournalDeps) => createFileJournal({ ...deps, ...extra, dir }),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
};

journalBehaviour('file journal', { durable: true, harness: fileHarness({}) });
journalBehaviour('file journal (4 KiB segments, fsync never)', { durable: true, harness: fileHarness({ segmentBytes: 4096, maxFlushBytes: 4096, fsync: 'never' }) });

interface Ctx { dir: string; open(extra?: Partial<FileJournalOptions>): Promise<FileJournal>; journals: FileJournal[]; logs: string[] }
const test = suite<Ctx>('file journal: storage');

test.before.each(async (ctx) => {
  ctx.dir = await tempDir();
  ctx.journals = [];
  ctx.logs = [];
  let clock = 0;
  const deps: JournalDeps = { clock: { now: () => ++clock }, ids: createIdSource(createSeededRandom(3)) };
  ctx.open = async (extra = {}) => {
    const j = await createFileJournal({ ...deps, dir: ctx.dir, log: (e) => ctx.logs.push(`${e.level}: ${e.msg}`), ...extra });
    ctx.journals.push(j);
    return j;
  };
});

test.after.each(async (ctx) => {
  for (const j of ctx.journals) await j.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

const segmentsOf = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort().map((n) => join(dir, n));
const lastSegment = async (dir: string): Promise<string> => (await segmentsOf(dir)).pop() as string;
const flipByte = async (file: string, at: number): Promise<void> => {
  const fh = await open(file, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at);
  b[0] ^= 0x5a;
  await fh.write(b, 0, 1, at);
  await fh.close();
};
const fill = async (j: FileJournal, n: number, stream = 's'): Promise<void> => {
  for (let i = 0; i < n; i++) await j.append(stream, [{ type: 't', data: { i, pad: 'x'.repeat(40) } }], { expectedVersion: 'any' });
};

test('group commit: appends issued together share a flush instead of one fsync each', async ({ open: openJ }) => {
  const j = await openJ();
  await Promise.all(Array.from({ length: 100 }, (_, i) => j.append(`g-${i}`, [{ type: 't', data: i }], { expectedVersion: 0 })));
  assert.ok(j.stats().flushes <= 2, `flushes: ${j.stats().flushes}`);
  assert.is((await j.readAll()).length, 100);
  const before = j.stats().flushes;
  for (let i = 0; i < 5; i++) await j.append('seq', [{ type: 't', data: i }], { expectedVersion: i });
  assert.is(j.stats().flushes, before + 5, 'each awaited append is its own flush');
});

test('appends issued without awaiting are stored in call order', async ({ open: openJ }) => {
  const j = await openJ();
  await Promise.all(Array.from({ length: 50 }, (_, i) => j.append('ordered', [{ type: 't', data: i }], { expectedVersion: 'any' })));
  assert.equal((await j.readStream('ordered')).map((e) => e.data), Array.from({ length: 50 }, (_, i) => i));
});

test('segments roll at segmentBytes and reads span them, before and after reopening', async (ctx) => {
  const j = await ctx.open({ segmentBytes: 4096 });
  await fill(j, 200, 'a');
  await fill(j, 50, 'b');
  assert.ok(j.stats().segments > 3, `segments: ${j.stats().segments}`);
  for (const f of await segmentsOf(ctx.dir)) assert.ok((await stat(f)).size <= 4096);
  const before = await j.readAll();
  await j.close();
  const j2 = await ctx.open({ segmentBytes: 4096 });
  assert.equal(await j2.readAll(), before);
  assert.equal((await j2.readStream('a', { fromVersion: 150, maxCount: 3 })).map((e) => (e.data as { i: number }).i), [149, 150, 151]);
  assert.is(j2.stats().recoveredTornBytes, 0);
});

test('a torn tail (a partly written record) is cut on open; earlier events stay and appending resumes', async (ctx) => {
  const j = await ctx.open();
  await fill(j, 10);
  await j.close();
  const seg = await lastSegment(ctx.dir);
  const content = await readFile(seg);
  await writeFile(seg, Buffer.concat([content, content.subarray(16, 60)]));
  const j2 = await ctx.open();
  assert.is(j2.stats().recoveredTornBytes, 44);
  assert.is((await j2.readAll()).length, 10);
  await j2.append('s', [{ type: 'after', data: 1 }], { expectedVersion: 10 });
  await j2.close();
  const j3 = await ctx.open();
  assert.equal((await j3.readStream('s')).map((e) => e.version), Array.from({ length: 11 }, (_, i) => i + 1));
});

test('an append cut off mid-way on disk is dropped whole on open (appends are atomic)', async (ctx) => {
  const j = await ctx.open();
  await fill(j, 3);
  const sizeBefore = (await stat(await lastSegment(ctx.dir))).size;
  const headBefore = await readFile(join(ctx.dir, 'HEAD')); // as a crash before the next flush finished leaves it
  await j.append('s', [1, 2, 3].map((n) => ({ type: 'multi', data: { n } })), { expectedVersion: 3 });
  await j.close();
  const seg = await lastSegment(ctx.dir);
  const size = (await stat(seg)).size;
  await truncate(seg, size - 10);
  await writeFile(join(ctx.dir, 'HEAD'), headBefore);
  const j2 = await ctx.open();
  assert.is(j2.stats().recoveredTornBytes, size - 10 - sizeBefore);
  assert.equal(j2.stats().recovery.flatMap((e) => e.type === 'truncated' ? [[e.reason, e.offset, e.bytes]] : []), [['torn-tail', sizeBefore, size - 10 - sizeBefore]]);
  assert.equal((await j2.readStream('s')).map((e) => e.type), ['t', 't', 't']);
  assert.is(await j2.streamVersion('s'), 3);
});

test('a damaged record with later flushes after it is corrupt-record, not silently cut', async (ctx) => {
  const j = await ctx.open();
  await fill(j, 20);
  await j.close();
  await flipByte(await lastSegment(ctx.dir), 16 + 8 + 50);
  const err = await rejectsWith(ctx.open({ indexCheckpoints: false }), 'corrupt-record');
  assert.match(err.message, /byte 16/);
  await rejectsWith(ctx.open({ indexCheckpoints: false }), 'corrupt-record');
  const j2 = await ctx.open(); // the index checkpoint written at close covers it: found when read
  await rejectsWith(j2.readAll(), 'corrupt-record');
});

test('a damaged record in a sealed segment is corrupt-record (at open without checkpoints, else when read)', async (ctx) => {
  const j = await ctx.open({ segmentBytes: 4096 });
  await fill(j, 100);
  await j.close();
  const [first] = await segmentsOf(ctx.dir);
  await flipByte(first, 2000);
  await rejectsWith(ctx.open({ segmentBytes: 4096, indexCheckpoints: false }), 'corrupt-record');
  const j2 = await ctx.open({ segmentBytes: 4096 });
  await rejectsWith(j2.readAll(), 'corrupt-record');
});

test('a record damaged after open is never served: reads reject with corrupt-record', async (ctx) => {
  const j = await ctx.open();
  await fill(j, 5, 'a');
  await fill(j, 5, 'b');
  await flipByte(await lastSegment(ctx.dir), 16 + 8 + 60);
  await rejectsWith(j.readStream('a'), 'corrupt-record');
  await rejectsWith(j.readAll(), 'corrupt-record');
  assert.is((await j.readStream('b')).length, 5);
});

test('a damaged snapshot file is corrupt-record', async (ctx) => {
  const j = await ctx.open();
  await fill(j, 2);
  await j.saveSnapshot('s', 2, { big: 'state' });
  const [snap] = await readdir(join(ctx.dir, 'snapshots'));
  await flipByte(join(ctx.dir, 'snapshots', snap), 20);
  await rejectsWith(j.loadSnapshot('s'), 'corrupt-record');
});

test('one journal per directory: a second open is refused until the first closes', async (ctx) => {
  const j = await ctx.open();
  await rejectsWith(ctx.open(), 'journal-locked');
  await j.close();
  const j2 = await ctx.open();
  await fill(j2, 1);
});

test('an append larger than maxFlushBytes is refused whole; options are checked', async (ctx) => {
  const j = await ctx.open({ maxFlushBytes: 4096 });
  await rejectsWith(j.append('big', [{ type: 't', data: 'x'.repeat(5000) }], { expectedVersion: 0 }), 'invalid-argument');
  await rejectsWith(j.append('big', Array.from({ length: 50 }, () => ({ type: 't', data: 'y'.repeat(100) })), { expectedVersion: 0 }), 'invalid-argument');
  assert.is(await j.streamVersion('big'), 0);
  await j.append('big', [{ type: 't', data: 'z'.repeat(3000) }], { expectedVersion: 0 });
  await rejectsWith(createFileJournal({ dir: ctx.dir, clock: { now: () => 0 }, ids: () => 'x', segmentBytes: 10 }), 'invalid-argument');
});

test.run();
