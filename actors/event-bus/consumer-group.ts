// Consumer groups: which member of a group gets an event. Keyed events by rendezvous hashing
// (same key → same member on every node while membership is stable); others round-robin.

import { murmur3 } from '../../runtime/cluster/hash-ring.ts';
import type { DeliveryChannel } from './delivery.ts';

/** A group's members (sorted by subscription id, so every node ranks them alike) and its round-robin cursor. */
export interface ConsumerGroup {
  members: DeliveryChannel[];
  next: number;
}

/** The hash that ranks members for a key: murmur3 (the hash ring's), so every node agrees. */
export function hashString(s: string): number {
  return murmur3(s);
}

/**
 * Picks the member for an event. Candidates are the members whose subscriber is up; when none is
 * up, the durable ones (their buffers keep the event). With a `key`, the candidate with the
 * highest `hashString(key | id)` wins: adding or removing a member only moves that member's keys.
 * Without, round-robin, skipping members whose buffer is full while another has room.
 * Returns undefined when the group has no candidate.
 */
export function pickMember(group: ConsumerGroup, key: string | undefined): DeliveryChannel | undefined {
  let pool = group.members.filter((m) => m.endpoint !== null);
  if (pool.length === 0) pool = group.members.filter((m) => m.reg.durable);
  if (pool.length === 0) return undefined;
  if (key !== undefined) {
    let best = pool[0];
    let bestScore = -1;
    for (const m of pool) {
      const score = hashString(`${key}|${m.reg.id}`);
      if (score > bestScore) { best = m; bestScore = score; }
    }
    return best;
  }
  for (let i = 0; i < pool.length; i++) {
    const m = pool[(group.next + i) % pool.length];
    if (!m.full) {
      group.next = (group.next + i + 1) % pool.length;
      return m;
    }
  }
  return pool[group.next++ % pool.length];
}

/** Adds a member in id order. */
export function addMember(group: ConsumerGroup, member: DeliveryChannel): void {
  group.members = [...group.members.filter((m) => m !== member), member].sort((a, b) => (a.reg.id < b.reg.id ? -1 : a.reg.id > b.reg.id ? 1 : 0));
}
