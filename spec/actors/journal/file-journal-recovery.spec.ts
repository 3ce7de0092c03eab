// What the file journal does on open with each kind of damaged tail: a torn partial record is cut,
// reported and quarantined; a bad CRC in the final batch, a deleted last segment and a segment
// truncated at a record boundary are never silently accepted (typed error, or reported with opt-in).

import { mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile, open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createFileJournal, type FileJournal, type FileJournalOptions, type RecoveryEvent } from '../../../actors/journal/file-journal.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { rejectsWith } from '../../helpers/journal-behaviour.ts';

interface Ctx {
  dir: string;
  logs: { level: string; msg: string }[];
  events: RecoveryEvent[];
  journals: FileJournal[];
  open(extra?: Partial<FileJournalOptions>): Promise<FileJournal>;
}
const test = suite<Ctx>('file journal: recovery of damaged tails');

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'troupe-recovery-'));
  ctx.logs = [];
  ctx.events = [];
  ctx.journals = [];
  ctx.open = async (extra = {}) => {
    const j = await createFileJournal({
      dir: ctx.dir, clock: { now: () => 1 }, ids: createIdSource(createSeededRandom(9)), fsync: 'never',
      log: (e) => ctx.logs.push({ level: e.level, msg: e.msg }), onRecovery: (e) => ctx.events.push(e), ...extra,
    });
    ctx.journals.push(j);
    return j;
  };
});

test.after.each(async (ctx) => {
  for (const j of ctx.journals) await j.close();
  await rm(ctx.dir, { recursive: true, force: true });
});

const segments = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort().map((n) => join(dir, n));
const flipByte = async (file: string, at: number): Promise<void> => {
  const fh = await openFile(file, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at);
  b[0] ^= 0x5a;
  await fh.write(b, 0, 1, at);
  await fh.close();
};
/** 150 events acknowledged in 3 group-commit batches of 50 (one append each). */
const batches = async (j: FileJournal): Promise<void> => {
  for (let b = 0; b < 3; b++) {
    await Promise.all(Array.from({ length: 50 }, (_, i) => j.append(`s-${i}`, [{ type: 't', data: { b, i } }], { expectedVersion: b })));
  }
};
const errors = (ctx: Ctx): string[] => ctx.logs.filter((l) => l.level === 'error').map((l) => l.msg);

test('a torn partial final record (an unacknowledged write) is cut, reported with file/offset/bytes, and quarantined', async (ctx) => {
  const j = await ctx.open();
  await batches(j);
  await j.close();
  const [seg] = await segments(ctx.dir);
  const good = await readFile(seg);
  const partial = good.subarray(16, 16 + 70); // the start of a record whose frame claims more bytes than follow
  await writeFile(seg, Buffer.concat([good, partial]));
  const j2 = await ctx.open();
  assert.is((await j2.readAll()).length, 150, 'every acknowledged event is there');
  const cut = ctx.events.filter((e) => e.type === 'truncated');
  assert.equal(cut.map((e) => e.type === 'truncated' && [e.reason, e.file, e.offset, e.bytes]), [['torn-tail', seg, good.length, 70]]);
  const q = cut[0].type === 'truncated' ? cut[0].quarantine : '';
  assert.equal(await readFile(q), partial, 'the cut bytes are kept beside the segment');
  assert.is((await stat(seg)).size, good.length);
  assert.is(errors(ctx).length, 1);
  assert.match(errors(ctx)[0], new RegExp(`cut 70 byte\\(s\\) from ${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at byte ${good.length}`));
  assert.equal(j2.stats().recovery, ctx.events);
});

test('a bad CRC in the final group-commit batch is corrupt-record naming file and offset; nothing is changed', async (ctx) => {
  const j = await ctx.open({ indexCheckpoints: false });
  await batches(j);
  await j.close();
  const [seg] = await segments(ctx.dir);
  const size = (await stat(seg)).size;
  await flipByte(seg, size - 5); // inside the last record of the last batch: its length is intact
  const err = await rejectsWith(ctx.open(), 'corrupt-record');
  assert.is(err.data.file, seg);
  assert.ok(typeof err.data.offset === 'number' && (err.data.offset as number) < size);
  assert.is((await stat(seg)).size, size, 'a refused open leaves the file as it was');
  assert.equal(await readdir(ctx.dir).then((n) => n.filter((f) => f.endsWith('.quarantine'))), []);

  // Opting in: the events before the damage are kept, the rest quarantined and reported.
  const j2 = await ctx.open({ onDamage: 'quarantine' });
  const n = (await j2.readAll()).length;
  assert.is(n, 149, 'only the damaged record (its own append) is cut');
  const cut = ctx.events.find((e) => e.type === 'truncated');
  assert.ok(cut && cut.type === 'truncated' && cut.reason === 'corruption' && cut.file === seg && cut.offset + cut.bytes === size);
  assert.ok(ctx.events.some((e) => e.type === 'data-lost' && e.expectedLastPosition === 150 && e.foundLastPosition === 149), 'the lost event is reported against HEAD');
  assert.ok(errors(ctx).length >= 2);
});

test('damage followed by valid records is corrupt-record even when it looks like a partial record', async (ctx) => {
  const j = await ctx.open({ indexCheckpoints: false });
  await batches(j);
  await j.close();
  const [seg] = await segments(ctx.dir);
  const fh = await openFile(seg, 'r+');
  const big = Buffer.alloc(4);
  big.writeUInt32LE(0x7fffffff); // the first record's length now claims far past the end of the file
  await fh.write(big, 0, 4, 16);
  await fh.close();
  await rejectsWith(ctx.open(), 'corrupt-record');
});

test('a deleted last segment is journal-data-lost (HEAD marker), or reported when accepted', async (ctx) => {
  const j = await ctx.open({ segmentBytes: 4096, maxFlushBytes: 4096 });
  for (let i = 0; i < 120; i++) await j.append('s', [{ type: 't', data: { i, pad: 'x'.repeat(40) } }], { expectedVersion: i });
  await j.close();
  const segs = await segments(ctx.dir);
  assert.ok(segs.length >= 3);
  const last = segs[segs.length - 1];
  await unlink(last);
  const err = await rejectsWith(ctx.open({ segmentBytes: 4096, maxFlushBytes: 4096 }), 'journal-data-lost');
  assert.is(err.data.reason, 'segment-missing');
  assert.is(err.data.file, last);
  assert.is(err.data.expectedLastPosition, 120);
  const j2 = await ctx.open({ segmentBytes: 4096, maxFlushBytes: 4096, onDamage: 'quarantine' });
  const kept = (await j2.readAll()).length;
  assert.ok(kept < 120 && kept > 0);
  assert.equal(ctx.events.filter((e) => e.type === 'data-lost'), [{ type: 'data-lost', reason: 'segment-missing', file: last, expectedLastPosition: 120, foundLastPosition: kept }]);
  assert.ok(errors(ctx).some((m) => m.includes('HEAD recorded 120')));
  await j2.close();
  ctx.events.length = 0;
  const j3 = await ctx.open({ segmentBytes: 4096, maxFlushBytes: 4096 });
  assert.equal(ctx.events, [], 'once accepted, the loss is not reported again');
  await j3.append('s', [{ type: 'after', data: 1 }], { expectedVersion: kept });
});

test('a segment truncated at a record boundary is journal-data-lost', async (ctx) => {
  const j = await ctx.open({ indexCheckpoints: false });
  await batches(j);
  await j.close();
  const [seg] = await segments(ctx.dir);
  const content = await readFile(seg);
  // Find the end of the 100th record by walking the frames (u32 length + u32 crc + payload).
  let off = 16;
  for (let r = 0; r < 100; r++) off += 8 + content.readUInt32LE(off);
  await truncate(seg, off);
  const err = await rejectsWith(ctx.open(), 'journal-data-lost');
  assert.is(err.data.reason, 'segment-short');
  assert.is(err.data.foundLastPosition, 100);
  assert.is(err.data.expectedLastPosition, 150);
  assert.match(err.message, /50 acknowledged event/);
});

test('a journal without a HEAD file (written by an older version) opens and gets one', async (ctx) => {
  const j = await ctx.open();
  await batches(j);
  await j.close();
  await unlink(join(ctx.dir, 'HEAD'));
  const j2 = await ctx.open();
  assert.is((await j2.readAll()).length, 150);
  await j2.close();
  const [seg] = await segments(ctx.dir);
  await truncate(seg, (await stat(seg)).size - 1);
  await rejectsWith(ctx.open(), 'journal-data-lost');
});

test.run();
