// The cluster-wide recovery budget as pure functions: who owns it, and the owner's table of
// permits (leases held by coordinators, a FIFO queue of those waiting) kept from their reports.

/** A permit a coordinator holds (`id`: the instance's address), with the time its lease has left. */
export interface HeldPermit {
  readonly id: string;
  readonly service: string;
  readonly remainingMs: number;
}

/** A permit a coordinator wants: a restart or redeploy of instance `id` waits for it. `ttlMs`: the lease it asks for. */
export interface WantedPermit {
  readonly id: string;
  readonly service: string;
  readonly ttlMs: number;
}

/** What a coordinator reports of itself (its whole state: reports are idempotent and may repeat). */
export interface PermitReport {
  /** The coordinator's address (one holder per coordinator incarnation). */
  readonly holder: string;
  readonly node: string;
  readonly held: readonly HeldPermit[];
  readonly wanted: readonly WantedPermit[];
}

/** A permit granted (or adopted from a holder's report), until released, its holder gone, or `expiresAtMs`. */
export interface Lease {
  readonly id: string;
  readonly service: string;
  readonly holder: string;
  readonly node: string;
  readonly expiresAtMs: number;
}

/** A permit waiting, first come first served. */
export interface Waiting {
  readonly id: string;
  readonly service: string;
  readonly holder: string;
  readonly node: string;
  readonly ttlMs: number;
}

/** The owner's table. Invariant: an id is leased at most once per holder, and queued only when no holder leases it. */
export interface PermitTable {
  readonly leases: readonly Lease[];
  readonly queue: readonly Waiting[];
}

export const EMPTY_TABLE: PermitTable = Object.freeze({ leases: Object.freeze([]), queue: Object.freeze([]) });

/** A permit someone else holds: the instance is being recovered through `by`'s coordinator. */
export interface Taken {
  readonly id: string;
  readonly by: string;
}

/**
 * The table after `report`: the holder's leases it neither holds nor wants any more are released
 * (a lease granted but not yet heard of by the holder is still wanted, so it stays); those it
 * holds are refreshed to its remaining time, and adopted when the table lacks them (granted by an
 * earlier owner: `adopted` counts them, even past the budget — they run already); its queue
 * entries follow its wanted list (new ones join the end, in its order) except ids another holder
 * leases.
 */
export function applyReport(t: PermitTable, r: PermitReport, nowMs: number): { readonly table: PermitTable; readonly adopted: number } {
  const held = new Map(r.held.map((h) => [h.id, h]));
  const wanted = new Map(r.wanted.map((w) => [w.id, w]));
  const leases: Lease[] = [];
  const mine = new Set<string>();
  for (const l of t.leases) {
    if (l.holder !== r.holder) { leases.push(l); continue; }
    const h = held.get(l.id);
    if (h !== undefined) { leases.push({ ...l, expiresAtMs: nowMs + h.remainingMs }); mine.add(l.id); }
    else if (wanted.has(l.id)) { leases.push(l); mine.add(l.id); }
  }
  let adopted = 0;
  for (const h of r.held) {
    if (mine.has(h.id)) continue;
    leases.push({ id: h.id, service: h.service, holder: r.holder, node: r.node, expiresAtMs: nowMs + h.remainingMs });
    mine.add(h.id);
    adopted++;
  }
  const leased = new Set(leases.map((l) => l.id));
  const queue: Waiting[] = [];
  const queued = new Set<string>();
  for (const q of t.queue) {
    if (q.holder !== r.holder) { queue.push(q); continue; }
    if (wanted.has(q.id) && !leased.has(q.id)) { queue.push(q); queued.add(q.id); }
  }
  for (const w of r.wanted) {
    if (queued.has(w.id) || leased.has(w.id)) continue;
    queue.push({ id: w.id, service: w.service, holder: r.holder, node: r.node, ttlMs: w.ttlMs });
    queued.add(w.id);
  }
  return { table: { leases, queue }, adopted };
}

/** The table without `holder` (its coordinator or node is gone): its leases free, its queue entries leave. */
export function dropHolder(t: PermitTable, holder: string): PermitTable {
  return { leases: t.leases.filter((l) => l.holder !== holder), queue: t.queue.filter((q) => q.holder !== holder) };
}

/** The table without the leases that expired by `nowMs`. */
export function expire(t: PermitTable, nowMs: number): PermitTable {
  return t.leases.every((l) => l.expiresAtMs > nowMs) ? t : { leases: t.leases.filter((l) => l.expiresAtMs > nowMs), queue: t.queue };
}

/** When the next lease expires (undefined: none held). */
export function nextExpiry(t: PermitTable): number | undefined {
  let next: number | undefined;
  for (const l of t.leases) if (next === undefined || l.expiresAtMs < next) next = l.expiresAtMs;
  return next;
}

/** Grants from the head of the queue while fewer than `budget` leases are held; entries for ids leased meanwhile leave the queue. */
export function grant(t: PermitTable, budget: number, nowMs: number): { readonly table: PermitTable; readonly granted: readonly Lease[] } {
  const leases = [...t.leases];
  const leased = new Set(leases.map((l) => l.id));
  const granted: Lease[] = [];
  const queue: Waiting[] = [];
  for (const q of t.queue) {
    if (leased.has(q.id)) continue;
    if (leases.length >= budget) { queue.push(q); continue; }
    const lease: Lease = { id: q.id, service: q.service, holder: q.holder, node: q.node, expiresAtMs: nowMs + q.ttlMs };
    leases.push(lease);
    leased.add(q.id);
    granted.push(lease);
  }
  return { table: { leases, queue }, granted };
}

/** What the owner answers `holder`, which wants `wanted`: its leases, its place in the queue, and what other holders lease. */
export function answerFor(t: PermitTable, holder: string, wanted: readonly string[]): { readonly granted: readonly string[]; readonly queued: readonly string[]; readonly taken: readonly Taken[] } {
  const granted = t.leases.filter((l) => l.holder === holder).map((l) => l.id);
  const queued = t.queue.filter((q) => q.holder === holder).map((q) => q.id);
  const taken: Taken[] = [];
  for (const id of wanted) {
    const other = t.leases.find((l) => l.id === id && l.holder !== holder);
    if (other !== undefined && !granted.includes(id)) taken.push({ id, by: other.node });
  }
  return { granted, queued, taken };
}

/** A coordinator that may own the budget, as one node sees it. */
export interface OwnerCandidate {
  readonly node: string;
  readonly address: string;
  /** Its member's incarnation (lower: started earlier, older). */
  readonly incarnation: number;
  /** Whether its member is up, and reachable from the node that chooses. */
  readonly up: boolean;
  readonly reachable: boolean;
}

/**
 * The owner of the budget: the oldest coordinator (lowest member incarnation, then node name)
 * whose member is up and reachable from here — as a cluster singleton lives on the oldest member.
 * Every node that sees the same members picks the same one; a node that cannot reach the oldest
 * picks the next (undefined: none).
 */
export function chooseOwner(candidates: readonly OwnerCandidate[]): OwnerCandidate | undefined {
  let best: OwnerCandidate | undefined;
  for (const c of candidates) {
    if (!c.up || !c.reachable) continue;
    if (best === undefined || c.incarnation < best.incarnation || (c.incarnation === best.incarnation && c.node < best.node)) best = c;
  }
  return best;
}
