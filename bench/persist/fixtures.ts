// What every persist case shares: the ~100-byte event they store, the journal's clock and id source,
// scratch directories under os.tmpdir() that are removed however the process ends, and timing.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createIdSource } from '../../runtime/ids.ts';
import { createRealRandom, wallClockMs } from '../../runtime/real-clock.ts';
import type { FsyncPolicy } from '../../actors/journal/file-journal.ts';
import type { JournalDeps } from '../../actors/journal/journal.ts';
import type { CaseOption } from '../harness/suite.ts';

/** The event type every case stores. */
export const EVENT_TYPE = 'item-added';

/** The payload of every stored event: its JSON text is 100–110 bytes. */
export interface ItemAdded {
  readonly writer: number;
  readonly seq: number;
  readonly sku: string;
  readonly qty: number;
  readonly note: string;
}

const NOTE = 'a small event, about one hundred bytes of JSON';

/** The `seq`-th event of writer `writer` (a fresh object per call, as a real producer makes). */
export function itemAdded(writer: number, seq: number): ItemAdded {
  return { writer, seq, sku: `sku-${seq % 100_000}`, qty: (seq % 7) + 1, note: NOTE };
}

/** The clock and id source the journals stamp events with: wall-clock ms, 21-character nanoids. */
export function journalDeps(): JournalDeps {
  return { clock: { now: wallClockMs }, ids: createIdSource(createRealRandom()) };
}

/** Name of writer `w`'s stream (each writer owns one stream). */
export const streamOf = (w: number): string => `bench-${w}`;

const live = new Set<string>();
process.on('exit', () => { for (const d of live) rmSync(d, { recursive: true, force: true }); });

/**
 * A fresh directory under `BENCH_PERSIST_DIR` (default `os.tmpdir()`), removed by
 * {@link removeScratchDir} or, failing that, when the process exits.
 */
export function scratchDir(label: string): string {
  const dir = mkdtempSync(join(process.env.BENCH_PERSIST_DIR || os.tmpdir(), `troupe-bench-${label}-`));
  live.add(dir);
  return dir;
}

/** Removes a directory made by {@link scratchDir}. */
export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Seconds elapsed since `t0` (from `process.hrtime.bigint()`). */
export const secondsSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Reads a positive-integer case option, with its default. */
export function intOption(options: Readonly<Record<string, CaseOption>>, name: string, dflt: number): number {
  const v = options[name] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`option ${name}=${String(v)}: use a positive integer`);
  return v;
}

/** Reads the `fsync` case option (`'always'` or `'never'`); default `'always'`. */
export function fsyncOption(options: Readonly<Record<string, CaseOption>>): FsyncPolicy {
  const v = options.fsync ?? 'always';
  if (v !== 'always' && v !== 'never') throw new Error(`option fsync=${v}: use 'always' or 'never'`);
  return v;
}
