// The streams crash spec's shared vocabulary (event ids, keys, where each node keeps its records)
// and its checker: from the publisher's acknowledged publishes and one consumer's own effect
// records, every lost, doubled, reordered or unknown event, as a list of readable problems.

import { readFileSync } from 'node:fs';
import type { StoredEvent } from '../../actors/journal/journal.ts';

export const CRASH_TOPIC = 'crash-orders';
/** Keys the publisher cycles through (seq mod KEYS): a key spans many events, spread over partitions. */
export const CRASH_KEYS = 13;
/** The remote message a group member sends the ledger (declared in every node's registry). */
export const LEDGER_APPLY = 'crash.ledger.apply';

/** The payload of every published event. */
export interface CrashEvent {
  readonly seq: number;
}

export const eventId = (seq: number): string => `ev-${String(seq).padStart(6, '0')}`;
export const keyOf = (seq: number): string => `k${seq % CRASH_KEYS}`;

/** The effect streams: one per applied event id; appended with `expectedVersion: 0`, so a second application conflicts. */
export const EFFECT_PREFIX = 'fx.';
export const effectStream = (id: string): string => `${EFFECT_PREFIX}${id}`;

/** What an effect record holds (the event, and who applied it on which delivery attempt). */
export interface EffectData {
  readonly id: string;
  readonly seq: number;
  readonly key: string;
  readonly by: string;
  readonly attempt: number;
}

/** An effect record as read back: its data and its global position in the consumer's effect journal. */
export interface EffectRecord extends EffectData {
  readonly position: number;
}

/** The effect records of a journal (its `fx.` streams), in the order they were applied (global position). */
export function effectRecords(all: readonly StoredEvent[]): EffectRecord[] {
  return all.filter((e) => e.stream.startsWith(EFFECT_PREFIX)).map((e) => ({ ...(e.data as EffectData), position: e.position }));
}

/**
 * The sequence numbers in the publisher's acknowledgement file: one `seq\n` line per publish that
 * resolved, fsynced. A last line without its newline (cut by a kill) does not count.
 */
export function readAcked(file: string): number[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or an unterminated (torn) line
  return lines.map(Number);
}

/**
 * Checks one consumer's effect records against the acknowledged publishes:
 * (1) every acknowledged seq has a record (none lost); (2) no event id has two records (none applied
 * twice in effect); (3) per key, first applications (in the order they were applied) have
 * increasing seqs: publish order kept (a redelivery repeats events already applied; the effect
 * store suppresses it, so it leaves no record — a repeat that did leave one is counted by (2));
 * plus every record names a seq that was published (≤ `maxPublished`) with its own key and id.
 * Returns the problems found (empty = all good), each naming the event.
 */
export function checkEffects(consumer: string, acked: readonly number[], records: readonly EffectRecord[], maxPublished: number): string[] {
  const problems: string[] = [];
  const count = new Map<string, number>();
  for (const r of records) count.set(r.id, (count.get(r.id) ?? 0) + 1);
  const lost = acked.filter((s) => !count.has(eventId(s)));
  if (lost.length > 0) problems.push(`${consumer}: ${lost.length} acknowledged event(s) never applied (lost): ${lost.slice(0, 20).map(eventId).join(', ')}`);
  const twice = [...count].filter(([, n]) => n > 1);
  if (twice.length > 0) problems.push(`${consumer}: ${twice.length} event(s) applied more than once: ${twice.slice(0, 20).map(([id, n]) => `${id}×${n}`).join(', ')}`);
  const last = new Map<string, EffectRecord>();
  const seen = new Set<string>();
  for (const r of [...records].sort((a, b) => a.position - b.position)) {
    if (!(r.seq >= 1 && r.seq <= maxPublished) || r.id !== eventId(r.seq) || r.key !== keyOf(r.seq)) {
      problems.push(`${consumer}: record at position ${r.position} is not an event that was published: ${JSON.stringify(r)}`);
      continue;
    }
    if (seen.has(r.id)) continue; // a repeat: reported above as applied twice, not as an order break
    seen.add(r.id);
    const before = last.get(r.key);
    if (before !== undefined && before.seq > r.seq) {
      problems.push(`${consumer}: key ${r.key} out of order: ${r.id} (by ${r.by}, attempt ${r.attempt}, position ${r.position}) applied after ${before.id} (by ${before.by}, position ${before.position})`);
    } else {
      last.set(r.key, r);
    }
  }
  return problems;
}
