// A journal wrapper that fails on purpose: I/O errors, a full disk, fsync failures after the
// write, and slow storage — set and cleared by id, drawn from a seeded random, timed on a scheduler.

import type { Scheduler } from '../../runtime/clock.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { createSeededRandom, type Random } from '../../runtime/random.ts';
import type { Journal } from '../journal/journal.ts';

/**
 * How a faulty journal misbehaves: `'io-error'` — the call rejects with `io-error` before it
 * reaches storage (nothing written); `'full'` — writes reject with `storage-full` (nothing
 * written); `'fsync-error'` — the write reaches storage, then the call rejects with `io-error`
 * (its outcome is unknown to the caller: the events are in fact stored, as after a failed
 * fsync); `'slow'` — the call waits `latencyMs` before it goes to storage.
 */
export type JournalFaultMode = 'io-error' | 'full' | 'fsync-error' | 'slow';

/** The journal calls a fault can affect. */
export type JournalOp = 'append' | 'readStream' | 'readAll' | 'streamVersion' | 'saveSnapshot' | 'loadSnapshot';

/** One journal fault. */
export interface JournalFault {
  readonly mode: JournalFaultMode;
  /** Probability in (0, 1] that an affected call is hit, drawn per call. Default 1. */
  readonly probability?: number;
  /** Extra milliseconds per affected call, for `'slow'`. Default 100. */
  readonly latencyMs?: number;
  /** Calls affected. Default: the writes (`append`, `saveSnapshot`); `'slow'` and `'io-error'` may name reads too. */
  readonly ops?: readonly JournalOp[];
}

/** The controls of a faulty journal. */
export interface JournalFaults {
  /** Sets (or replaces) fault `id`. Throws `invalid-argument` naming the field for a bad fault. */
  set(id: string, fault: JournalFault): void;
  /** Removes fault `id`; false when there was none. */
  remove(id: string): boolean;
  clear(): void;
  ids(): string[];
  reseed(seed: number): void;
  /** Calls failed and delayed so far by the faults. */
  stats(): { readonly failed: number; readonly delayed: number };
}

/** A journal with fault controls; see {@link withJournalFaults}. */
export interface FaultyJournal extends Journal {
  readonly faults: JournalFaults;
}

/** Options of {@link withJournalFaults}: the scheduler `'slow'` waits on (required), the random of `probability` (default seeded 1). */
export interface JournalFaultOptions {
  readonly scheduler: Scheduler;
  readonly random?: Random;
}

const MODES = new Set<JournalFaultMode>(['io-error', 'full', 'fsync-error', 'slow']);
const OPS = new Set<JournalOp>(['append', 'readStream', 'readAll', 'streamVersion', 'saveSnapshot', 'loadSnapshot']);
const WRITES: readonly JournalOp[] = ['append', 'saveSnapshot'];
const FIELDS = new Set(['mode', 'probability', 'latencyMs', 'ops']);

interface Resolved { readonly id: string; readonly mode: JournalFaultMode; readonly probability: number; readonly latencyMs: number; readonly ops: ReadonlySet<JournalOp> }

/** Checks a journal fault; throws `invalid-argument` with `data.field` for the first bad field. */
export function checkJournalFault(fault: JournalFault, where = 'journal fault'): Omit<Resolved, 'id'> {
  const bad = (field: string, why: string): TroupeError => new TroupeError('invalid-argument', `${where}: ${field} ${why}`, { field });
  if (typeof fault !== 'object' || fault === null) throw bad('fault', "must be an object like { mode: 'full' }.");
  for (const k of Object.keys(fault)) if (!FIELDS.has(k)) throw bad(k, `is not a journal fault field; use ${[...FIELDS].join(', ')}.`);
  if (!MODES.has(fault.mode)) throw bad('mode', `must be one of ${[...MODES].join(', ')}, got ${JSON.stringify(fault.mode)}.`);
  const probability = fault.probability ?? 1;
  if (typeof probability !== 'number' || !(probability > 0 && probability <= 1)) throw bad('probability', `must be a number in (0, 1] (default 1), got ${String(probability)}.`);
  const latencyMs = fault.latencyMs ?? 100;
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0) throw bad('latencyMs', `must be a finite number of milliseconds ≥ 0 (default 100), got ${String(latencyMs)}.`);
  const ops = fault.ops ?? WRITES;
  if (!Array.isArray(ops) || ops.length === 0 || ops.some((o) => !OPS.has(o))) throw bad('ops', `must be a non-empty list of ${[...OPS].join(', ')}, got ${JSON.stringify(ops)?.slice(0, 80)}.`);
  if ((fault.mode === 'full' || fault.mode === 'fsync-error') && ops.some((o) => !WRITES.includes(o))) throw bad('ops', `of '${fault.mode}' can only name writes (append, saveSnapshot).`);
  return { mode: fault.mode, probability, latencyMs, ops: new Set(ops) };
}

/**
 * Wraps a journal so chaos can make it fail. With no fault set every call goes straight to
 * `inner`. For each call, the faults that name its operation are looked at in the order they
 * were set: `'slow'` ones add their latency, then the first failing one whose probability draw
 * hits decides (`'io-error'` and `'full'` before the call reaches `inner`, `'fsync-error'`
 * after it). `close` is never faulted.
 *
 * @example
 * const journal = withJournalFaults(createFileJournal({ dir, clock, ids }), { scheduler: system.scheduler });
 * journal.faults.set('disk', { mode: 'full' });        // appends reject with storage-full
 * journal.faults.remove('disk');
 */
export function withJournalFaults(inner: Journal, options: JournalFaultOptions): FaultyJournal {
  if (typeof options?.scheduler?.startTimer !== 'function') throw new TroupeError('invalid-argument', 'withJournalFaults: options.scheduler is required (the system\'s scheduler: slow storage waits on it).', { field: 'scheduler' });
  const { scheduler } = options;
  let random = options.random ?? createSeededRandom(1);
  const active: Resolved[] = [];
  const counts = { failed: 0, delayed: 0 };

  const wait = (ms: number): Promise<void> => new Promise((resolve) => { scheduler.startTimer(ms, resolve); });
  const ioError = (op: JournalOp, f: Resolved, after: boolean): TroupeError => new TroupeError('io-error',
    after
      ? `Journal ${op} was written but its fsync failed (fault '${f.id}'): the outcome is unknown to the caller; read the stream back before retrying.`
      : `Journal ${op} failed with an I/O error (fault '${f.id}'); nothing was written — retry later.`,
    { op, fault: f.id, written: after });

  const call = async <T>(op: JournalOp, run: () => Promise<T>): Promise<T> => {
    if (active.length === 0) return run();
    let delay = 0;
    let failing: Resolved | undefined;
    for (const f of active) {
      if (!f.ops.has(op)) continue;
      if (f.mode === 'slow') { delay += f.latencyMs; continue; }
      if (failing === undefined && (f.probability >= 1 || random.next() < f.probability)) failing = f;
    }
    if (delay > 0) { counts.delayed++; await wait(delay); }
    if (failing === undefined) return run();
    counts.failed++;
    if (failing.mode === 'full') throw new TroupeError('storage-full', `Journal ${op} failed: no space left on the device (fault '${failing.id}'); nothing was written — free space and retry.`, { op, fault: failing.id });
    if (failing.mode === 'io-error') throw ioError(op, failing, false);
    await run();
    throw ioError(op, failing, true);
  };

  const faults: JournalFaults = {
    set(id, fault) {
      if (typeof id !== 'string' || id === '') throw new TroupeError('invalid-argument', 'journal fault: needs a non-empty string id.', { field: 'id' });
      const r = { id, ...checkJournalFault(fault, `journal fault '${id}'`) };
      faults.remove(id);
      active.push(r);
    },
    remove(id) {
      const i = active.findIndex((f) => f.id === id);
      if (i < 0) return false;
      active.splice(i, 1);
      return true;
    },
    clear() { active.length = 0; },
    ids: () => active.map((f) => f.id),
    reseed(seed) { random = createSeededRandom(seed); },
    stats: () => ({ ...counts }),
  };

  return {
    faults,
    append: (stream, events, o) => call('append', () => inner.append(stream, events, o)),
    readStream: (stream, o) => call('readStream', () => inner.readStream(stream, o)),
    readAll: (o) => call('readAll', () => inner.readAll(o)),
    streamVersion: (stream) => call('streamVersion', () => inner.streamVersion(stream)),
    saveSnapshot: (stream, version, state) => call('saveSnapshot', () => inner.saveSnapshot(stream, version, state)),
    loadSnapshot: (stream) => call('loadSnapshot', () => inner.loadSnapshot(stream)),
    close: () => inner.close(),
  };
}
