// The file journal's directory lock: a lock left by a dead process is taken over even when its pid
// was reused (another process, or our own pid as PID 1 in a new PID namespace), and a live holder
// is refused with `journal-locked` naming it. Child processes are bounded and stopped by their pid.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createFileJournal } from '../../../actors/journal/file-journal.ts';
import { bootId, processStartTime } from '../../../actors/journal/internal/dir-lock.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { rejectsWith } from '../../helpers/journal-behaviour.ts';

const CHILD = fileURLToPath(new URL('../../helpers/journal-lock-child.ts', import.meta.url));

interface Ctx { dir: string; children: Set<ChildProcess> }
const test = suite<Ctx>('file journal: directory lock', { dir: '', children: new Set() }, { limitMs: 60_000 });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'troupe-lock-'));
  ctx.children = new Set();
});

test.after.each(async (ctx) => {
  for (const c of ctx.children) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  await rm(ctx.dir, { recursive: true, force: true });
});

const open = (dir: string) => createFileJournal({ dir, clock: { now: () => 0 }, ids: createIdSource(createSeededRandom(1)), fsync: 'never' });

/** Runs the child (optionally under `prefix`, e.g. unshare) and resolves with its first stdout line. */
function runChild(ctx: Ctx, mode: string, prefix: string[] = []): { child: ChildProcess; line: Promise<string>; exited: Promise<void> } {
  const argv = [...prefix, process.execPath, '--import', 'tsx', CHILD, ctx.dir, mode];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  ctx.children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => { buf += d; const i = buf.indexOf('\n'); if (i >= 0) resolve(buf.slice(0, i)); });
    child.once('exit', (code, signal) => reject(new Error(`child ${mode} exited (${code ?? signal}) before printing a line; output: ${JSON.stringify(buf)}`)));
  });
  line.catch(() => undefined);
  return { child, line, exited };
}

const writeLock = (dir: string, holder: object | string): Promise<void> =>
  writeFile(join(dir, 'LOCK'), typeof holder === 'string' ? holder : JSON.stringify(holder));

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
const unshareProbe = spawnSync(UNSHARE[0], [...UNSHARE.slice(1), 'true'], { encoding: 'utf8', timeout: 10_000 });
const unshareReason = unshareProbe.error ? unshareProbe.error.message : unshareProbe.status !== 0 ? (unshareProbe.stderr.trim() || `exit ${unshareProbe.status}`) : undefined;

const pidOneCase = 'after SIGKILL as PID 1 of a PID namespace, the next PID 1 in a new namespace opens the journal';
if (unshareReason === undefined) {
  test(pidOneCase, async (ctx) => {
    const first = runChild(ctx, 'crash', UNSHARE);
    assert.is(await first.line, 'ready 1', 'the child is PID 1 in its namespace');
    await first.exited;
    const lock = JSON.parse(await readFile(join(ctx.dir, 'LOCK'), 'utf8')) as { pid: number };
    assert.is(lock.pid, 1, 'the killed process left its LOCK behind');
    const second = runChild(ctx, 'reopen', UNSHARE);
    assert.is(await second.line, 'opened 1 1', 'the restarted PID 1 opened the journal and sees the acknowledged event');
    await second.exited;
    assert.is(second.child.exitCode, 0);
    assert.not.ok(existsSync(join(ctx.dir, 'LOCK')), 'the clean close released the lock');
  });
} else {
  console.log(`  [skip] file journal lock: "${pidOneCase}" is skipped: unshare --pid is not permitted here (${unshareReason}).`);
  test.skip(pidOneCase, () => undefined);
}

test('a live holder in another process is refused with journal-locked naming it; its exit frees the directory', async (ctx) => {
  const holder = runChild(ctx, 'hold');
  const pid = Number((await holder.line).split(' ')[1]);
  assert.is(pid, holder.child.pid);
  const err = await rejectsWith(open(ctx.dir), 'journal-locked');
  assert.is((err.data.holder as { pid: number }).pid, pid);
  assert.match(err.message, new RegExp(`process ${pid}`));
  holder.child.stdin?.end();
  await holder.exited;
  const j = await open(ctx.dir);
  await j.close();
});

test('a LOCK left by a SIGKILLed process is taken over', async (ctx) => {
  const holder = runChild(ctx, 'hold');
  await holder.line;
  process.kill(holder.child.pid as number, 'SIGKILL');
  await holder.exited;
  assert.ok(existsSync(join(ctx.dir, 'LOCK')));
  const j = await open(ctx.dir);
  await j.close();
});

test('pid reuse: a live pid whose start time differs from the recorded one is stale', async ({ dir }) => {
  const ppid = process.ppid;
  const start = processStartTime(ppid);
  if (start === null) return; // no /proc: only pid liveness can be checked (covered above)
  await writeLock(dir, { pid: ppid, startTime: start + 1, bootId: bootId(), token: 'old' });
  const j = await open(dir);
  await j.close();
});

test('a live pid with its recorded start time and boot id holds the lock', async ({ dir }) => {
  const ppid = process.ppid;
  await writeLock(dir, { pid: ppid, startTime: processStartTime(ppid), bootId: bootId(), token: 'other' });
  const err = await rejectsWith(open(dir), 'journal-locked');
  assert.equal(err.data.holder, { pid: ppid, startTime: processStartTime(ppid), bootId: bootId(), token: 'other' });
});

test('a LOCK written before the last reboot is stale, whatever its pid', async ({ dir }) => {
  await writeLock(dir, { pid: process.ppid, startTime: processStartTime(process.ppid), bootId: 'another-boot', token: 'x' });
  const j = await open(dir);
  await j.close();
});

test('our own pid in a LOCK this process does not hold (PID 1 restarted) is stale; one this process holds is refused', async ({ dir }) => {
  await writeLock(dir, { pid: process.pid, startTime: processStartTime('self'), bootId: bootId(), token: 'predecessor' });
  const j = await open(dir);
  const err = await rejectsWith(open(dir), 'journal-locked');
  assert.match(err.message, /in this process/);
  await j.close();
  assert.not.ok(existsSync(join(dir, 'LOCK')));
});

test('an older LOCK holding only a pid: stale when that pid is dead or ours, held when it is another live process', async ({ dir }) => {
  await writeLock(dir, String(process.pid));
  await (await open(dir)).close();
  await writeLock(dir, String(process.ppid));
  await rejectsWith(open(dir), 'journal-locked');
  await writeLock(dir, 'not a lock');
  await (await open(dir)).close();
});

test.run();
