// A scratch directory shared by every case process of one harness run (built once by the first
// process that needs it), removed by a detached watcher as soon as the harness process exits.
// Outside the harness (no IPC channel) each process builds its own and removes it when done.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { removeScratchDir, scratchDir } from './fixtures.ts';

/** A directory holding a built fixture, and what to do when a case is done with it. */
export interface SharedDir {
  readonly dir: string;
  /** Removes the directory if this process owns it alone; a shared one outlives the process. */
  release(): void;
}

const READY = '.ready';

// Polls the harness pid; once it is gone, removes the directory and exits (ESRCH only: EPERM means alive).
const WATCHER = `const [pid, dir] = process.argv.slice(1);
const t = setInterval(() => {
  try { process.kill(Number(pid), 0); } catch (e) {
    if (e.code !== 'ESRCH') return;
    clearInterval(t);
    require('node:fs').rmSync(dir, { recursive: true, force: true });
  }
}, 500);`;

/**
 * The directory for fixture `key` (a file-name-safe string naming its content, e.g.
 * `replay-1000000`), built by `build` into an empty directory unless this harness run already
 * built it. Lives under `BENCH_PERSIST_DIR` (default `os.tmpdir()`).
 */
export async function sharedDir(key: string, build: (dir: string) => Promise<void>): Promise<SharedDir> {
  const harness = process.ppid;
  if (!process.send || harness <= 1) {
    const dir = scratchDir(key);
    await build(dir);
    return { dir, release: () => removeScratchDir(dir) };
  }
  const root = process.env.BENCH_PERSIST_DIR || os.tmpdir();
  const dir = join(root, `troupe-bench-${key}-run${harness}`);
  if (existsSync(join(dir, READY))) return { dir, release: () => undefined };
  rmSync(dir, { recursive: true, force: true });
  const building = mkdtempSync(join(root, `troupe-bench-${key}-building-`));
  try {
    await build(building);
    writeFileSync(join(building, READY), '');
    renameSync(building, dir);
  } catch (e) {
    rmSync(building, { recursive: true, force: true });
    throw e;
  }
  spawn(process.execPath, ['-e', WATCHER, String(harness), dir], { detached: true, stdio: 'ignore' }).unref();
  return { dir, release: () => undefined };
}
