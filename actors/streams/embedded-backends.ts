// The embedded backends: a memory log (tests, single process) and a file log (the default for a
// node: durable, fsynced, group-committed), both a journal underneath, one log per node.

import { isTroupeError, TroupeError } from '../../runtime/errors.ts';
import { createIdSource } from '../../runtime/ids.ts';
import { createRealRandom, wallClockMs } from '../../runtime/real-clock.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { IdSource } from '../../runtime/ids.ts';
import { createFileJournal, type FileJournal, type FileJournalOptions } from '../journal/file-journal.ts';
import type { Journal } from '../journal/journal.ts';
import { createMemoryJournal } from '../journal/memory-journal.ts';
import { createJournalLog, type DerivedTopic } from './journal-log.ts';
import type { LogBackend } from './log-source.ts';

/** Options shared by the embedded backends. */
export interface EmbeddedLogOptions {
  /** The log's name: on a cluster node, pass the node name (the bus does when it creates the backend for you). Default `'local'`. */
  readonly name?: string;
  /** Topics derived from the journal's own streams (see {@link DerivedTopic}); needs `journal` to be the one your entities write to. */
  readonly derived?: Readonly<Record<string, DerivedTopic>>;
  /** Partitions used to place a derived topic's events; default 8 (give topics derived from it the same count). */
  readonly partitions?: number;
}

/** Options of {@link createMemoryLogBackend}: a journal to borrow, else a fresh memory journal on `clock`/`ids`. */
export interface MemoryLogOptions extends EmbeddedLogOptions {
  readonly journal?: Journal;
  readonly clock?: Clock;
  readonly ids?: IdSource;
}

/** Options of {@link createFileLogBackend}: a journal to borrow (e.g. the node's own), or a folder to open one in. */
export interface FileLogOptions extends EmbeddedLogOptions {
  readonly journal?: Journal;
  /** Folder of a journal the backend opens and owns (closed with the backend). */
  readonly dir?: string;
  /** Time stamps of the journal it opens; default the wall clock (`{ now: wallClockMs }`). */
  readonly clock?: Clock;
  /** Ids of the journal's own events (cursor changes, dead letters); default random ids. */
  readonly ids?: IdSource;
  /** Passed to the file journal it opens (segment size, fsync…). */
  readonly journalOptions?: Partial<Omit<FileJournalOptions, 'dir' | 'clock' | 'ids'>>;
}

const fallbackClock: Clock = { now: () => 0 };

/**
 * A memory backend: topic logs, cursors and dead letters in a memory journal. Nothing survives
 * the process; for tests and single-process tools.
 * @example const bus = createEventBus(system, { backend: createMemoryLogBackend() });
 */
export function createMemoryLogBackend(options: MemoryLogOptions = {}): LogBackend {
  let n = 0;
  const journal = options.journal ?? createMemoryJournal({ clock: options.clock ?? fallbackClock, ids: options.ids ?? (() => `m${++n}`) });
  const local = createJournalLog({ name: options.name ?? 'local', journal, derived: options.derived, partitions: options.partitions });
  return {
    kind: 'memory', shared: false, local,
    close: async () => { await local.close(); if (options.journal === undefined) await journal.close(); },
  };
}

/** The code of the OS error behind a journal failure (a journal closes itself after a failed write, with the cause attached). */
function osCode(e: unknown): string | undefined {
  for (let x: unknown = e, depth = 0; x !== undefined && x !== null && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * A journal that reopens itself after a failed write closed it (disk full, I/O error): the
 * failed appends were rejected and stored nothing (reopening cuts any torn tail, with a report),
 * and the next call opens the folder again. A full disk is reported as `storage-full`.
 */
function reopeningJournal(open: () => Promise<FileJournal>, first: FileJournal): Journal {
  let current: FileJournal = first;
  let broken = false;
  let reopening: Promise<void> | undefined;
  let closed = false;
  const heal = async (): Promise<void> => {
    if (!broken || closed) return;
    reopening ??= (async () => {
      try {
        await current.close().catch(() => undefined);
        current = await open();
        broken = false;
      } finally { reopening = undefined; }
    })();
    await reopening;
  };
  const mapped = (e: unknown): unknown => {
    if (isTroupeError(e, 'journal-closed') && !closed) broken = true;
    const code = osCode(e);
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      return new TroupeError('storage-full', `The stream log's disk is full (${code}): nothing of this call was stored. Free space; the next call reopens the log and goes on.`, { cause: code }, { cause: e });
    }
    return e;
  };
  const call = async <T>(f: (j: FileJournal) => Promise<T>): Promise<T> => {
    try { await heal(); } catch (e) { throw mapped(e); }
    try { return await f(current); } catch (e) { throw mapped(e); }
  };
  return {
    append: (stream, events, o) => call((j) => j.append(stream, events, o)),
    readStream: (stream, o) => call((j) => j.readStream(stream, o)),
    readAll: (o) => call((j) => j.readAll(o)),
    streamVersion: (stream) => call((j) => j.streamVersion(stream)),
    saveSnapshot: (stream, version, state) => call((j) => j.saveSnapshot(stream, version, state)),
    loadSnapshot: (stream) => call((j) => j.loadSnapshot(stream)),
    close: async () => { closed = true; await reopening?.catch(() => undefined); await current.close(); },
  };
}

/**
 * The default durable backend: this node's events in a file journal (fsynced before `publish`
 * resolves, group-committed). Consumers on other nodes read this node's log through it. When it
 * opens the journal itself (`dir`), a write failure such as a full disk rejects the calls in
 * flight (`storage-full` for ENOSPC; nothing half-written) and the next call reopens the journal,
 * so publishing and consuming go on once there is room again.
 * @example const backend = await createFileLogBackend({ dir: './data/bus', name: node.system.node });
 */
export async function createFileLogBackend(options: FileLogOptions): Promise<LogBackend> {
  if (options.journal === undefined && (typeof options.dir !== 'string' || options.dir.length === 0)) {
    throw new TroupeError('invalid-argument', 'createFileLogBackend: give `dir` (a folder for the log) or `journal` (a journal to borrow, e.g. the node\'s own).');
  }
  // A file log lives on a real disk: without a clock and ids from a system, it uses the real ones.
  const clock = options.clock ?? { now: wallClockMs };
  const ids = options.ids ?? createIdSource(createRealRandom());
  const open = (): Promise<FileJournal> => createFileJournal({ ...options.journalOptions, dir: options.dir!, clock, ids });
  const journal = options.journal ?? reopeningJournal(open, await open());
  const local = createJournalLog({ name: options.name ?? 'local', journal, derived: options.derived, partitions: options.partitions });
  return {
    kind: 'file', shared: false, local,
    close: async () => { await local.close(); if (options.journal === undefined) await journal.close(); },
  };
}
