// How long the file journal takes to open as the log grows: builds a journal of N events (fsync
// 'never', 100-event appends over 1 000 streams), then times open after a clean close (index
// checkpoints for every segment), after a crash (the builder SIGKILLs itself after its last append:
// the active segment has only its last periodic checkpoint, so the tail after it is scanned) and
// with indexCheckpoints: false (a full scan, the old behaviour).
// Each open runs in a fresh process (as a restart does: cold JIT), timed as wall and CPU time —
// CPU time is what to compare when the machine is loaded.
// Usage: npx tsx bench/persist/open-time.ts [--no-full] [events ...]   (default 1000000 2000000)

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { join } from 'node:path';
import { createFileJournal, type FileJournalOptions } from '../../actors/journal/file-journal.ts';
import { journalDeps } from './fixtures.ts';

const STREAMS = 1000;
const BATCH = 100;
const RUNS = 3;

async function build(dir: string, n: number): Promise<void> {
  const j = await createFileJournal({ dir, fsync: 'never', ...journalDeps() });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) {
      const first = next;
      const count = Math.min(BATCH, n - first);
      next += count;
      const events = Array.from({ length: count }, (_, i) => ({ type: 'bench-event', data: { seq: first + i, text: 'payload-of-about-one-hundred-bytes'.padEnd(60, '.') } }));
      await j.append(`stream-${(first / BATCH) % STREAMS}`, events, { expectedVersion: 'any' });
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  process.kill(process.pid, 'SIGKILL'); // a crash: no close, so no final checkpoint
}

/** In a child process: opens `dir` once and prints `<wall ms> <cpu ms>`. */
async function openOnce(dir: string, extra: Partial<FileJournalOptions>, expect: number): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const j = await createFileJournal({ dir, fsync: 'never', log: () => undefined, ...journalDeps(), ...extra });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  if (j.stats().lastPosition !== expect) throw new Error(`opened ${j.stats().lastPosition} events, expected ${expect}`);
  // First access right after open: one whole stream, then the first 1 000 events of the log.
  const t1 = process.hrtime.bigint();
  const one = await j.readStream('stream-7');
  const t2 = process.hrtime.bigint();
  const first = await j.readAll({ maxCount: 1000 });
  const t3 = process.hrtime.bigint();
  if (one.length !== Math.floor(expect / (BATCH * STREAMS)) * BATCH) throw new Error(`stream-7 read ${one.length} events`);
  if (first.length !== Math.min(1000, expect)) throw new Error(`readAll read ${first.length} events`);
  await j.close();
  console.log(`${ms} ${(c.user + c.system) / 1e3} ${Number(t2 - t1) / 1e6} ${Number(t3 - t2) / 1e6}`);
}

/** `[open wall ms, open cpu ms, readStream ms, readAll(1 000) ms]`, measured in a fresh process. */
type Timing = [number, number, number, number];

function timeOpen(dir: string, extra: Partial<FileJournalOptions>, expect: number): Timing {
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--open', dir, String(expect), JSON.stringify(extra)], { encoding: 'utf8' });
  const [wall, cpu, stream, all] = out.trim().split(' ').map(Number);
  return [wall, cpu, stream, all];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: Timing[]): string => `${median(xs.map((x) => x[0])).toFixed(0)} ms (cpu ${median(xs.map((x) => x[1])).toFixed(0)} ms; ` +
  `then readStream ${median(xs.map((x) => x[2])).toFixed(0)} ms, readAll 1000 ${median(xs.map((x) => x[3])).toFixed(0)} ms)`;

async function main(): Promise<void> {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const withFull = !process.argv.includes('--no-full');
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} cpus`);
  for (const n of sizes.length > 0 ? sizes : [1_000_000, 2_000_000]) {
    const dir = mkdtempSync(join(process.env.BENCH_PERSIST_DIR || os.tmpdir(), 'troupe-open-time-'));
    try {
      const t0 = process.hrtime.bigint();
      spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--build', dir, String(n)], { stdio: 'inherit' });
      const buildS = Number(process.hrtime.bigint() - t0) / 1e9;
      const segs = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
      const lastIdx = join(dir, segs[segs.length - 1].replace(/\.seg$/, '.idx'));
      const periodic = existsSync(lastIdx);
      if (periodic) copyFileSync(lastIdx, `${lastIdx}.crash`);
      const clean: Timing[] = [], crash: Timing[] = [], full: Timing[] = [];
      for (let r = 0; r < RUNS; r++) {
        if (periodic) copyFileSync(`${lastIdx}.crash`, lastIdx); else if (existsSync(lastIdx)) unlinkSync(lastIdx);
        crash.push(timeOpen(dir, {}, n));
      }
      for (let r = 0; r < RUNS; r++) clean.push(timeOpen(dir, {}, n));
      if (withFull) for (let r = 0; r < RUNS; r++) full.push(timeOpen(dir, { indexCheckpoints: false }, n));
      console.log(`${n} events, ${segs.length} segments (built in ${buildS.toFixed(1)} s), open (median of ${RUNS}, fresh process each): ` +
        `clean ${fmt(clean)}, after crash ${fmt(crash)}, full scan ${withFull ? fmt(full) : 'not run'} [load ${os.loadavg()[0].toFixed(2)}]`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[2] === '--build') void build(process.argv[3], Number(process.argv[4]));
else if (process.argv[2] === '--open') void openOnce(process.argv[3], JSON.parse(process.argv[5]) as Partial<FileJournalOptions>, Number(process.argv[4]));
else void main();
