// A simulated disk for one node of a simulation: what its journal wrote, which of it is synced,
// and what a crash leaves (synced writes, a random prefix of the unsynced ones, or nothing of them).

import { TroupeError } from '../../runtime/errors.ts';
import type { Random } from '../../runtime/random.ts';
import type { PreparedEvent } from './internal/prepare-events.ts';
import type { PayloadEncoding } from '../../runtime/payload-codec.ts';

/**
 * How a simulated disk behaves; every field is optional (defaults written next to each). All
 * delays are virtual milliseconds; every draw comes from the simulation's seeded random.
 */
export interface SimDiskOptions {
  /** Time an append takes to be written (and, with fsync `'always'`, synced). Default `1`. */
  readonly writeLatencyMs?: number;
  /** Extra time per append, a whole number of ms drawn from [0, jitterMs]. Default `1`. */
  readonly jitterMs?: number;
  /** Time a read takes. Default `0` (it still resolves as a step of its own). */
  readonly readLatencyMs?: number;
  /**
   * `'always'` (default): an append resolves once synced, so a crash never loses an acknowledged
   * append. `'never'`: it resolves once written; the disk syncs every `syncEveryMs`, and a crash
   * loses what was not synced yet, acknowledged or not.
   */
  readonly fsync?: 'always' | 'never';
  /** With fsync `'never'`: how often written data is synced. Default `1_000`. */
  readonly syncEveryMs?: number;
  /**
   * What a crash does to unsynced appends. `true` (default): a random prefix of them survives and
   * the append after it is torn — recovery cuts it, as the file journal cuts a torn tail. `false`:
   * every unsynced append is lost.
   */
  readonly tornWrites?: boolean;
  /** Bytes the disk holds (payloads and types, plus 64 per event); beyond, appends fail with `storage-full`. Default `Infinity`. */
  readonly capacityBytes?: number;
  /** Probability that an append fails with `storage-full` (a transiently full disk). Default `0`. */
  readonly fullRate?: number;
}

/** The options with their defaults filled in. */
export type ResolvedSimDiskOptions = Required<SimDiskOptions>;

/** The defaults of {@link SimDiskOptions}. */
export const DEFAULT_SIM_DISK: ResolvedSimDiskOptions = Object.freeze({
  writeLatencyMs: 1, jitterMs: 1, readLatencyMs: 0, fsync: 'always', syncEveryMs: 1_000, tornWrites: true, capacityBytes: Infinity, fullRate: 0,
});

/** @internal One append as written: its stream, events and the versions and positions they took. */
export interface DiskAppend {
  readonly stream: string;
  readonly events: readonly PreparedEvent[];
  readonly firstVersion: number;
  readonly firstPosition: number;
  readonly bytes: number;
}

/** @internal A snapshot as written. */
export interface DiskSnapshot {
  readonly stream: string;
  readonly version: number;
  readonly encoding: PayloadEncoding;
  readonly text: string;
  readonly savedAtMs: number;
}

/** What a simulated disk went through. */
export interface SimDiskStats {
  readonly appends: number;
  readonly bytes: number;
  readonly crashes: number;
  /** Unsynced appends a crash kept (they reached the disk in time). */
  readonly survivedUnsynced: number;
  /** Unsynced appends crashes lost, torn ones included. */
  readonly lost: number;
  /** Appends a crash tore (cut on recovery). */
  readonly torn: number;
  /** Appends refused with `storage-full`. */
  readonly refusedFull: number;
}

/** One node's simulated disk; it outlives the node's crashes. */
export interface SimDisk {
  readonly name: string;
  readonly options: ResolvedSimDiskOptions;
  /** Every write fails with `storage-full` until {@link SimDisk.free}. */
  fill(): void;
  free(): void;
  readonly full: boolean;
  stats(): SimDiskStats;
}

/** @internal The disk's contents and its crash model, used by the simulated journal. */
export class SimDiskState implements SimDisk {
  readonly durable: DiskAppend[] = [];
  readonly unsynced: DiskAppend[] = [];
  readonly snapshots = new Map<string, DiskSnapshot>();
  readonly unsyncedSnapshots: DiskSnapshot[] = [];
  /** Bumped by each crash: a journal opened before it is dead. */
  epoch = 0;
  used = 0;
  private filled = false;
  private counts = { appends: 0, crashes: 0, survivedUnsynced: 0, lost: 0, torn: 0, refusedFull: 0 };

  constructor(readonly name: string, readonly options: ResolvedSimDiskOptions) {}

  fill(): void { this.filled = true; }
  free(): void { this.filled = false; }
  get full(): boolean { return this.filled; }

  /** Whether an append of `bytes` is refused (full, over capacity, or the transient-full draw). */
  refuses(bytes: number, random: Random): boolean {
    const o = this.options;
    if (this.filled || this.used + bytes > o.capacityBytes || (o.fullRate > 0 && random.next() < o.fullRate)) {
      this.counts.refusedFull++;
      return true;
    }
    return false;
  }

  storageFull(): TroupeError {
    return new TroupeError('storage-full', `The simulated disk of ${this.name} is full: nothing of this append was stored. Free space (disk.free(), or wait for the disk-full fault to end) and append again.`, { disk: this.name });
  }

  write(a: DiskAppend): void {
    this.unsynced.push(a);
    this.used += a.bytes;
    this.counts.appends++;
  }

  /** Makes every unsynced append up to and including `a` durable (appends are written in order). */
  syncThrough(a: DiskAppend): void {
    const i = this.unsynced.indexOf(a);
    if (i < 0) return;
    for (const x of this.unsynced.splice(0, i + 1)) this.durable.push(x);
  }

  syncAll(): void {
    for (const x of this.unsynced.splice(0)) this.durable.push(x);
    for (const s of this.unsyncedSnapshots.splice(0)) this.keepSnapshot(s);
  }

  writeSnapshot(s: DiskSnapshot, synced: boolean): void {
    if (synced) this.keepSnapshot(s);
    else this.unsyncedSnapshots.push(s);
  }

  private keepSnapshot(s: DiskSnapshot): void {
    const prev = this.snapshots.get(s.stream);
    if (prev === undefined || prev.version <= s.version) this.snapshots.set(s.stream, s);
  }

  /**
   * The node died: synced data stays; of the unsynced appends a random prefix survives (torn
   * writes) or none; unsynced snapshots are lost. Journals opened before are dead from now on.
   */
  crash(random: Random): void {
    this.epoch++;
    this.counts.crashes++;
    const n = this.unsynced.length;
    const keep = n > 0 && this.options.tornWrites ? random.int(n + 1) : 0;
    const kept = this.unsynced.splice(0, keep);
    for (const x of kept) this.durable.push(x);
    for (const x of this.unsynced.splice(0)) this.used -= x.bytes;
    this.counts.survivedUnsynced += keep;
    this.counts.lost += n - keep;
    if (keep < n && this.options.tornWrites) this.counts.torn++;
    this.unsyncedSnapshots.length = 0;
  }

  stats(): SimDiskStats {
    return { ...this.counts, bytes: this.used };
  }
}

/**
 * Creates a simulated disk named `name` (usually the node's). Simulated clusters make one per
 * node themselves (`sim.disk(node)`); make one yourself to give a test system a simulated journal.
 * @example const disk = createSimDisk('n1', { fsync: 'never' });
 */
export function createSimDisk(name: string, options: SimDiskOptions = {}): SimDisk {
  return new SimDiskState(name, resolveSimDiskOptions(options));
}

/** Fills in the defaults; throws `invalid-argument` naming a field out of range. */
export function resolveSimDiskOptions(o: SimDiskOptions = {}): ResolvedSimDiskOptions {
  const r = { ...DEFAULT_SIM_DISK, ...o };
  const bad = (k: string, why: string): never => { throw new TroupeError('invalid-argument', `Simulated disk option ${k} ${why}, got ${String((r as Record<string, unknown>)[k])}.`, { [k]: (r as Record<string, unknown>)[k] }); };
  for (const k of ['writeLatencyMs', 'readLatencyMs'] as const) if (!(Number.isFinite(r[k]) && r[k] >= 0)) bad(k, 'must be a finite number ≥ 0');
  if (!(Number.isInteger(r.jitterMs) && r.jitterMs >= 0)) bad('jitterMs', 'must be a whole number ≥ 0');
  if (!(Number.isFinite(r.syncEveryMs) && r.syncEveryMs > 0)) bad('syncEveryMs', 'must be a finite number > 0');
  if (!(r.capacityBytes > 0)) bad('capacityBytes', 'must be > 0');
  if (!(r.fullRate >= 0 && r.fullRate <= 1)) bad('fullRate', 'is a probability in [0, 1]');
  if (r.fsync !== 'always' && r.fsync !== 'never') bad('fsync', "must be 'always' or 'never'");
  if (typeof r.tornWrites !== 'boolean') bad('tornWrites', 'must be a boolean');
  return Object.freeze(r);
}
