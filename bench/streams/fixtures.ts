// What every streams case shares: the ~100-byte event (the persist suite's `item-added`), the
// handler's small state update (per-SKU running quantity), the bus record body the embedded
// backends store, and where the services are.

import { itemAdded, type ItemAdded } from '../persist/fixtures.ts';
import type { NewLogRecord } from '../../actors/streams/log-source.ts';

export { itemAdded, type ItemAdded };

/** The event every streams case publishes: `item-added` plus `t`, the publish time (µs on the system-wide monotonic clock). */
export interface Stamped extends ItemAdded { readonly t: number }

/** Now on `process.hrtime` in µs: CLOCK_MONOTONIC on Linux, comparable across processes of one machine. */
export const nowUs = (): number => Number(process.hrtime.bigint()) / 1e3;

/**
 * The receiving handler's work, the same in every case: add `qty` to the running quantity of
 * the event's SKU in a Map (up to 100 000 keys), count it, keep the last event.
 */
export class Totals {
  readonly bySku = new Map<string, number>();
  count = 0;
  last: ItemAdded | undefined;
  apply(e: ItemAdded): void {
    this.bySku.set(e.sku, (this.bySku.get(e.sku) ?? 0) + e.qty);
    this.count++;
    this.last = e;
  }
}

/** Keeps every case's totals reachable after its loops (defeats dead-code elimination). */
export const kept: Totals[] = [];

/** The record a bus on topic `orders` with 8 partitions would append (no key, no headers). */
export function busRecord(id: string, partition: number, data: unknown, publishedAtMs: number): NewLogRecord {
  return { id, partition, type: '', schemaVersion: 1, data, publishedAtMs };
}

/** `TROUPE_NATS_URL` (default `nats://127.0.0.1:14222`), as the remote suite reads it. */
export { natsUrl } from '../remote/workload.ts';

/** Seconds elapsed since `t0` (from `process.hrtime.bigint()`). */
export const secondsSince = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Resolves once `done()` holds, polling every `everyMs` (default 1); rejects with `what()` after `timeoutMs` (default 120 000). */
export async function until(done: () => boolean, what: () => string, timeoutMs = 120_000, everyMs = 1): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
