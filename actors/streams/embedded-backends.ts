// The embedded backends: a memory log (tests, single process) and a file log (the default for a
// node: durable, fsynced, group-committed), both a journal underneath, one log per node.

import { TroupeError } from '../../runtime/errors.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { IdSource } from '../../runtime/ids.ts';
import { createFileJournal, type FileJournalOptions } from '../journal/file-journal.ts';
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
  readonly clock?: Clock;
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

/**
 * The default durable backend: this node's events in a file journal (fsynced before `publish`
 * resolves, group-committed). Consumers on other nodes read this node's log through it.
 * @example const backend = await createFileLogBackend({ dir: './data/bus', name: node.system.node });
 */
export async function createFileLogBackend(options: FileLogOptions): Promise<LogBackend> {
  if (options.journal === undefined && (typeof options.dir !== 'string' || options.dir.length === 0)) {
    throw new TroupeError('invalid-argument', 'createFileLogBackend: give `dir` (a folder for the log) or `journal` (a journal to borrow, e.g. the node\'s own).');
  }
  let n = 0;
  const journal = options.journal ?? await createFileJournal({
    ...options.journalOptions, dir: options.dir!, clock: options.clock ?? { now: () => 0 }, ids: options.ids ?? (() => `f${++n}`),
  });
  const local = createJournalLog({ name: options.name ?? 'local', journal, derived: options.derived, partitions: options.partitions });
  return {
    kind: 'file', shared: false, local,
    close: async () => { await local.close(); if (options.journal === undefined) await journal.close(); },
  };
}
