// The simulated journal: the Journal contract on a simulated disk, on a simulation's clock and
// seeded random — write latency, fsync, torn writes and full disks — behaving as the file journal
// does through the interface (call-order appends, reads see what is acknowledged, recovery on open).

import type { Scheduler } from '../../runtime/clock.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { decodePayload } from '../../runtime/payload-codec.ts';
import type { Random } from '../../runtime/random.ts';
import type {
  AppendOptions, AppendResult, Journal, JournalDeps, NewEvent, ReadAllOptions, ReadStreamOptions, Snapshot, StoredEvent,
} from './journal.ts';
import { checkOptionalInt, checkSnapshotVersion, concurrencyConflict, journalClosed } from './internal/guards.ts';
import { encodeChecked, prepareAppend, type PreparedEvent } from './internal/prepare-events.ts';
import type { DiskAppend, SimDisk, SimDiskState } from './sim-disk.ts';
import type { FlushObserver } from './internal/group-commit.ts';
import { assertStreamName } from './stream-name.ts';

/** Options of {@link createSimJournal}. */
export interface SimJournalOptions extends JournalDeps {
  /** The disk it stores on (see `createSimDisk`, or `sim.disk(node)` of a simulated cluster). */
  readonly disk: SimDisk;
  /** The simulation's scheduler (the node's): every latency is a timer on it. */
  readonly scheduler: Scheduler;
  /** The simulation's seeded random: jitter and full-disk draws. */
  readonly random: Random;
}

interface Row extends PreparedEvent { readonly stream: string; readonly version: number; readonly position: number }

/** A {@link Journal} on a simulated disk, with what it found on open. */
export interface SimJournal extends Journal {
  readonly disk: SimDisk;
  /** @internal Times every write (latency, and the sync with fsync `'always'`) on `observer.clock`, as the file journal times its flushes; used by `observeJournal`. */
  observeFlushes(observer: FlushObserver | null): void;
}

/**
 * Opens a journal on a simulated disk: it recovers what the disk kept (synced appends, and what a
 * crash left of the unsynced ones) and goes on from there. Appends take `writeLatencyMs` plus a
 * whole number of ms of jitter, complete in call order and are visible to reads once they resolve;
 * with fsync `'always'` they are durable then. An append refused by a full disk rejects with
 * `storage-full` and stores nothing (the journal stays usable). After the disk's node crashed,
 * every call rejects with `journal-closed` (open a new journal on the disk). Reads resolve as a
 * step of their own (after `readLatencyMs`).
 *
 * @example
 * const disk = createSimDisk('n1');
 * const journal = createSimJournal({ disk, scheduler: kit.scheduler, random: kit.random, clock: kit.clock, ids: kit.ids });
 */
export function createSimJournal(options: SimJournalOptions): SimJournal {
  const disk = options.disk as SimDiskState;
  const { scheduler, random } = options;
  const deps: JournalDeps = { clock: options.clock, ids: options.ids };
  const o = disk.options;
  const epoch = disk.epoch;
  const all: Row[] = [];
  const streams = new Map<string, Row[]>();
  /** Versions reserved per stream and positions reserved overall, by appends in flight too. */
  const reservedVersion = new Map<string, number>();
  let reservedPosition = 0;
  let lastDoneAt = 0;
  let inFlight = 0;
  /** Writes in call order; one is taken in (synced, visible, resolved) only after those before it, as group commit does. */
  const writes: { readonly a: DiskAppend | null; done: boolean; readonly resolve: () => void; readonly t0: number }[] = [];
  let closed = false;
  let syncArmed = false;
  let idle: (() => void)[] = [];
  let flushObserver: FlushObserver | null = null;

  const show = (a: DiskAppend): void => {
    const rows = streams.get(a.stream) ?? [];
    for (let i = 0; i < a.events.length; i++) {
      const p = a.events[i];
      // written out: on Node 20 a spread that adds keys (`{ ...p, stream }`) costs ~1.5 µs per key
      const row: Row = { type: p.type, schemaVersion: p.schemaVersion, encoding: p.encoding, dataText: p.dataText, meta: p.meta, stream: a.stream, version: a.firstVersion + i, position: a.firstPosition + i };
      rows.push(row);
      all.push(row);
    }
    streams.set(a.stream, rows);
  };
  // what the disk holds: synced, and written but not synced (a crash decides about those, not a reopen)
  for (const a of [...disk.durable, ...disk.unsynced]) {
    show(a);
    reservedVersion.set(a.stream, a.firstVersion + a.events.length - 1);
    reservedPosition = a.firstPosition + a.events.length - 1;
  }

  const guard = (): void => {
    if (closed) throw journalClosed();
    alive();
  };
  const alive = (): void => {
    if (disk.epoch !== epoch) throw new TroupeError('journal-closed', `The node of simulated disk ${disk.name} crashed: this journal died with it. Open a new journal on the disk (sim.journal(node) after the restart).`, { disk: disk.name });
  };
  const after = (ms: number): Promise<void> => new Promise((resolve) => {
    if (ms > 0) scheduler.startTimer(ms, resolve); else scheduler.soon(resolve);
  });
  /** Appends complete in call order: each one no sooner than the one before. */
  const writeDelay = (): number => {
    const now = scheduler.clock.now();
    const at = Math.max(now + o.writeLatencyMs + (o.jitterMs > 0 ? random.int(o.jitterMs + 1) : 0), lastDoneAt);
    lastDoneAt = at;
    return at - now;
  };
  /** Waits out a write's latency, then for every write before it: completions keep call order even at one instant. */
  const written = (a: DiskAppend | null): Promise<void> => new Promise((resolve) => {
    const w = { a, done: false, resolve, t0: flushObserver === null ? 0 : flushObserver.clock.now() };
    writes.push(w);
    scheduler.startTimer(writeDelay(), () => {
      w.done = true;
      while (writes.length > 0 && writes[0].done) {
        const head = writes.shift()!;
        if (head.a !== null && disk.epoch === epoch) {
          if (o.fsync === 'always') disk.syncThrough(head.a); else armSync();
          show(head.a);
          if (flushObserver !== null) flushObserver.flushed(flushObserver.clock.now() - head.t0, head.a.bytes);
        }
        head.resolve();
      }
    });
  });
  const armSync = (): void => {
    if (syncArmed || o.fsync !== 'never') return;
    syncArmed = true;
    scheduler.startTimer(o.syncEveryMs, () => { syncArmed = false; if (disk.epoch === epoch) disk.syncAll(); });
  };
  const settled = (): void => {
    if (--inFlight === 0) for (const f of idle.splice(0)) f();
  };
  const read = async <T>(f: () => T): Promise<T> => {
    guard();
    await after(o.readLatencyMs);
    alive();
    return f();
  };
  const toStored = (r: Row): StoredEvent => ({
    stream: r.stream, version: r.version, position: r.position, type: r.type, schemaVersion: r.schemaVersion,
    data: decodePayload(r.encoding, r.dataText), meta: r.meta,
  });

  return {
    disk,

    observeFlushes: (observer) => { flushObserver = observer; },

    async append(stream: string, events: readonly NewEvent[], opts: AppendOptions): Promise<AppendResult> {
      guard();
      const { expected, prepared } = prepareAppend(stream, events, opts, deps);
      const current = reservedVersion.get(stream) ?? 0;
      if (expected !== 'any' && expected !== current) throw concurrencyConflict(stream, expected, current);
      let bytes = 0;
      for (const p of prepared) bytes += p.dataText.length + p.type.length + 64;
      inFlight++;
      try {
        if (disk.refuses(bytes, random)) {
          await written(null);
          throw disk.storageFull();
        }
        const a: DiskAppend = { stream, events: prepared, firstVersion: current + 1, firstPosition: reservedPosition + 1, bytes };
        reservedVersion.set(stream, current + prepared.length);
        reservedPosition += prepared.length;
        disk.write(a);
        await written(a);
        alive();
        const versions: number[] = [], positions: number[] = [];
        for (let i = 0; i < prepared.length; i++) { versions.push(a.firstVersion + i); positions.push(a.firstPosition + i); }
        return { streamVersion: a.firstVersion + prepared.length - 1, versions, positions };
      } finally {
        settled();
      }
    },

    readStream(stream: string, opts: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      return read(() => {
        assertStreamName(stream);
        checkOptionalInt(opts.fromVersion, 'fromVersion', 0);
        checkOptionalInt(opts.maxCount, 'maxCount', 0);
        const from = Math.max(1, opts.fromVersion ?? 1) - 1;
        return (streams.get(stream) ?? []).slice(from, from + (opts.maxCount ?? Infinity)).map(toStored);
      });
    },

    readAll(opts: ReadAllOptions = {}): Promise<StoredEvent[]> {
      return read(() => {
        checkOptionalInt(opts.fromPosition, 'fromPosition', 0);
        checkOptionalInt(opts.maxCount, 'maxCount', 0);
        const from = Math.max(1, opts.fromPosition ?? 1);
        // positions are dense from 1 in a simulated journal: position p is all[p - 1]
        return all.slice(from - 1, from - 1 + (opts.maxCount ?? Infinity)).map(toStored);
      });
    },

    streamVersion(stream: string): Promise<number> {
      return read(() => { assertStreamName(stream); return streams.get(stream)?.length ?? 0; });
    },

    async saveSnapshot(stream: string, version: number, state: unknown): Promise<void> {
      guard();
      assertStreamName(stream);
      checkSnapshotVersion(stream, version, streams.get(stream)?.length ?? 0);
      const { encoding, text } = encodeChecked(state, `the snapshot of "${stream}"`);
      inFlight++;
      try {
        const s = { stream, version, encoding, text, savedAtMs: deps.clock.now() };
        await written(null);
        alive();
        disk.writeSnapshot(s, o.fsync === 'always');
        armSync();
      } finally {
        settled();
      }
    },

    loadSnapshot(stream: string): Promise<Snapshot | undefined> {
      return read(() => {
        assertStreamName(stream);
        let s = disk.snapshots.get(stream);
        for (const x of disk.unsyncedSnapshots) if (x.stream === stream && (s === undefined || x.version >= s.version)) s = x;
        return s && { stream, version: s.version, state: decodePayload(s.encoding, s.text), savedAtMs: s.savedAtMs };
      });
    },

    async close(): Promise<void> {
      closed = true;
      if (inFlight > 0 && disk.epoch === epoch) await new Promise<void>((r) => { idle.push(r); });
      idle = [];
      if (disk.epoch === epoch) disk.syncAll(); // closing flushes, as the file journal does
    },
  };
}
