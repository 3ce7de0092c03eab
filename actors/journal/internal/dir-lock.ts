// One writer per journal directory: a LOCK file naming its holder by pid, process start time, boot
// id and a token, so a stale lock is recognised even when the pid was reused (node has no flock).
//
// A recorded holder is live only if ALL hold: same boot id, the pid is alive, its start time
// (/proc/<pid>/stat field 22) equals the recorded one, and — when the pid is our own — this
// process really holds the directory (a restarted container's PID 1 finds its predecessor's pid,
// which is its own). Without /proc (not Linux) only pid liveness is checked. Known limit: two live
// processes in different PID namespaces sharing one directory cannot see each other.

import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TroupeError } from '../../../runtime/errors.ts';

/** Who holds a lock, as written in the LOCK file (one JSON object). */
export interface LockHolder {
  readonly pid: number;
  /** Start time of the process in clock ticks since boot; `null` where /proc is missing. */
  readonly startTime: number | null;
  /** /proc/sys/kernel/random/boot_id; `null` where missing. */
  readonly bootId: string | null;
  /** Distinguishes several opens within one process. */
  readonly token: string;
}

/**
 * Directories this process holds, by resolved path. Process-wide on purpose: a lock belongs to a
 * process, as flock(2) locks do, so it cannot live in one journal or one actor system.
 */
const held = new Map<string, string>();
/** Opens by this process so far: makes each token unique within the process (pid + start time + boot id make it unique across). */
let opens = 0;

const readText = (file: string): string | null => {
  try { return readFileSync(file, 'utf8'); } catch { return null; }
};

/** Start time (field 22 of /proc/<pid>/stat), or null when unreadable. */
export function processStartTime(pid: number | 'self'): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3
  const v = Number(fields[19]);
  return Number.isFinite(v) ? v : null;
}

/** The boot id of the running kernel, or null when unreadable. */
export function bootId(): string | null {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** Parses LOCK content; a bare pid (the older format) becomes a holder with unknown start time. */
function parseHolder(text: string): LockHolder | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { pid: Number(t), startTime: null, bootId: null, token: '' };
  try {
    const o = JSON.parse(t) as Partial<LockHolder>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0 || typeof o.token !== 'string') return undefined;
    return {
      pid: o.pid, token: o.token,
      startTime: typeof o.startTime === 'number' ? o.startTime : null,
      bootId: typeof o.bootId === 'string' ? o.bootId : null,
    };
  } catch {
    return undefined;
  }
}

/** Why a recorded holder is stale, or undefined when it is live. Exported for the spec. */
export function staleReason(h: LockHolder, dir: string): string | undefined {
  const myBoot = bootId();
  if (h.bootId !== null && myBoot !== null && h.bootId !== myBoot) return 'written before the last reboot';
  if (h.pid === process.pid) return held.has(resolve(dir)) ? undefined : 'its pid is ours but this process does not hold it (pid reused, e.g. PID 1 in a new container)';
  if (!alive(h.pid)) return 'its process is gone';
  if (h.startTime !== null) {
    const now = processStartTime(h.pid);
    if (now !== null && now !== h.startTime) return 'its pid now belongs to another process';
  }
  return undefined;
}

const describe = (h: LockHolder): string => `process ${h.pid}${h.startTime === null ? '' : ` (started at tick ${h.startTime})`}`;

/**
 * Takes the lock of `dir`; resolves with its release function. Rejects with `journal-locked`
 * (data: `dir`, `holder`) while a live process — this one included — holds it. A stale lock
 * (see the file header) is taken over: moved aside, checked to be the one judged stale, removed.
 */
export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, 'LOCK');
  const token = `${process.pid}.${++opens}`;
  const key = resolve(dir);
  const me: LockHolder = { pid: process.pid, startTime: processStartTime('self'), bootId: bootId(), token };
  const mine = JSON.stringify(me);
  const release = async (): Promise<void> => {
    if (held.get(key) !== token) return;
    held.delete(key);
    if ((await readFile(file, 'utf8').catch(() => '')) === mine) await unlink(file).catch(() => undefined);
  };
  if (held.has(key)) throw locked(dir, { ...me, token: held.get(key) as string }, true);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fh = await open(file, 'wx');
      try { await fh.writeFile(mine); await fh.sync(); } finally { await fh.close(); }
      held.set(key, token);
      return release;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile
    const holder = parseHolder(text);
    if (holder && staleReason(holder, dir) === undefined) throw locked(dir, holder, false);
    // Stale (or unreadable): move it aside under a name only we use, and check we moved what we judged.
    const aside = join(dir, `LOCK.stale-${process.pid}-${attempt}`);
    try { await rename(file, aside); } catch { continue; }
    const moved = await readFile(aside, 'utf8').catch(() => undefined);
    if (moved !== text) await link(aside, file).catch(() => undefined); // someone else's fresh lock: put it back
    await unlink(aside).catch(() => undefined);
  }
  throw new TroupeError('journal-locked', `Could not take the lock of journal directory ${dir}: other processes keep taking it.`, { dir });
}

function locked(dir: string, holder: LockHolder, self: boolean): TroupeError {
  return new TroupeError('journal-locked',
    `Journal directory ${dir} is already open ${self ? 'in this process' : `by ${describe(holder)}`}: one journal may write a directory at a time. ` +
    `Close the other one first${self ? '' : `; if that process is really gone, delete ${join(dir, 'LOCK')}`}.`,
    { dir, holder });
}
