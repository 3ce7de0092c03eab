// The in-memory journal: the Journal contract with nothing durable, for unit tests and samples.
// Payloads are stored encoded and decoded on read, so it behaves like the durable adapters.

import { decodePayload, type PayloadEncoding } from '../../runtime/payload-codec.ts';
import type {
  AppendOptions, AppendResult, Journal, JournalDeps, NewEvent, ReadAllOptions, ReadStreamOptions, Snapshot, StoredEvent,
} from './journal.ts';
import { checkOptionalInt, checkSnapshotVersion, concurrencyConflict, journalClosed } from './internal/guards.ts';
import { encodeChecked, prepareAppend, type PreparedEvent } from './internal/prepare-events.ts';
import { assertStreamName } from './stream-name.ts';

/** Options of {@link createMemoryJournal}: the clock and id source events are stamped with. */
export type MemoryJournalOptions = JournalDeps;

interface Row extends PreparedEvent { readonly stream: string; readonly version: number; readonly position: number }
interface SnapshotRow { readonly version: number; readonly encoding: PayloadEncoding; readonly text: string; readonly savedAtMs: number }

const toStored = (r: Row): StoredEvent => ({
  stream: r.stream, version: r.version, position: r.position, type: r.type, schemaVersion: r.schemaVersion,
  data: decodePayload(r.encoding, r.dataText), meta: r.meta,
});

/**
 * Creates a journal held in memory. Positions start at 1 and have no gaps; appends are durable
 * for the life of the object only. Every call resolves on a microtask.
 *
 * @example
 * const journal = createMemoryJournal({ clock: scheduler.clock, ids: createIdSource(createSeededRandom(1)) });
 * await journal.append('cart-1', [{ type: 'opened', data: {} }], { expectedVersion: 0 });
 */
export function createMemoryJournal(options: MemoryJournalOptions): Journal {
  const deps: JournalDeps = { clock: options.clock, ids: options.ids };
  const all: Row[] = [];
  const streams = new Map<string, Row[]>();
  const snapshots = new Map<string, SnapshotRow>();
  let closed = false;

  const open = (): void => { if (closed) throw journalClosed(); };

  return {
    async append(stream: string, events: readonly NewEvent[], opts: AppendOptions): Promise<AppendResult> {
      open();
      const { expected, prepared } = prepareAppend(stream, events, opts, deps);
      const rows = streams.get(stream) ?? [];
      if (expected !== 'any' && expected !== rows.length) throw concurrencyConflict(stream, expected, rows.length);
      const versions: number[] = [], positions: number[] = [];
      for (const p of prepared) {
        const row: Row = { ...p, stream, version: rows.length + 1, position: all.length + 1 };
        rows.push(row);
        all.push(row);
        versions.push(row.version);
        positions.push(row.position);
      }
      streams.set(stream, rows);
      return { streamVersion: rows.length, versions, positions };
    },

    async readStream(stream: string, opts: ReadStreamOptions = {}): Promise<StoredEvent[]> {
      open();
      assertStreamName(stream);
      checkOptionalInt(opts.fromVersion, 'fromVersion', 0);
      checkOptionalInt(opts.maxCount, 'maxCount', 0);
      const rows = streams.get(stream) ?? [];
      const from = Math.max(1, opts.fromVersion ?? 1) - 1;
      return rows.slice(from, from + (opts.maxCount ?? Infinity)).map(toStored);
    },

    async readAll(opts: ReadAllOptions = {}): Promise<StoredEvent[]> {
      open();
      checkOptionalInt(opts.fromPosition, 'fromPosition', 0);
      checkOptionalInt(opts.maxCount, 'maxCount', 0);
      const from = Math.max(1, opts.fromPosition ?? 1) - 1;
      return all.slice(from, from + (opts.maxCount ?? Infinity)).map(toStored);
    },

    async streamVersion(stream: string): Promise<number> {
      open();
      assertStreamName(stream);
      return streams.get(stream)?.length ?? 0;
    },

    async saveSnapshot(stream: string, version: number, state: unknown): Promise<void> {
      open();
      assertStreamName(stream);
      checkSnapshotVersion(stream, version, streams.get(stream)?.length ?? 0);
      const { encoding, text } = encodeChecked(state, `the snapshot of "${stream}"`);
      const prev = snapshots.get(stream);
      if (prev && prev.version > version) return;
      snapshots.set(stream, { version, encoding, text, savedAtMs: deps.clock.now() });
    },

    async loadSnapshot(stream: string): Promise<Snapshot | undefined> {
      open();
      assertStreamName(stream);
      const s = snapshots.get(stream);
      return s && { stream, version: s.version, state: decodePayload(s.encoding, s.text), savedAtMs: s.savedAtMs };
    },

    async close(): Promise<void> { closed = true; },
  };
}
