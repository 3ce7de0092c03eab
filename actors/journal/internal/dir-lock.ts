// One writer per journal directory: a LOCK file holding the owner's pid, taken over only when
// that process is gone (so a crashed writer does not block recovery).

import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TroupeError } from '../../../runtime/errors.ts';

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/**
 * Takes the lock of `dir`; resolves with its release function. Rejects with `invalid-argument`
 * if a live process (this one included) holds it.
 */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'LOCK');
  const release = async (): Promise<void> => { await unlink(file).catch(() => undefined); };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      try { await fh.writeFile(String(process.pid)); } finally { await fh.close(); }
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
      throw new TroupeError('invalid-argument',
        `Journal directory ${dir} is already open${owner === process.pid ? ' in this process' : ` by process ${owner}`}: one journal may write a directory at a time. Close the other one first.`,
        { dir, owner });
    }
    // The owner is gone (crashed): take the lock over.
    await writeFile(file, String(process.pid)).catch(() => undefined);
    const now = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (now === process.pid) return release;
  }
  throw new TroupeError('invalid-argument', `Could not take the lock of journal directory ${dir}: another process keeps taking it.`, { dir });
}
