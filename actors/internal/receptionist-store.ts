// The receptionist's view: this node's registrations plus a replica of every other node's,
// merged per key into a sorted, cached listing, and the observers told when a listing changes.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { sameMetadata, type InstanceMetadata, type ServiceInstance } from './receptionist-service.ts';

/** One registration as stored (and as sent to peers, `address` aside). */
export interface StoredEntry {
  readonly key: string;
  readonly ref: ActorRef<unknown>;
  readonly node: string;
  readonly metadata: InstanceMetadata;
}

/** Who wants to hear about a key's listing. */
export interface ListingObserver {
  next(list: readonly ServiceInstance<unknown>[]): void;
  complete(): void;
}

/** key → (ref address → entry). */
type Table = Map<string, Map<string, StoredEntry>>;

const EMPTY: readonly ServiceInstance<unknown>[] = Object.freeze([]);

/**
 * The merged registry of one receptionist. Mutators return the keys whose listing changed and
 * leave notifying to {@link ReceptionistStore.notify}, so a batch of changes emits once per key.
 * Listings are frozen arrays sorted by node, then address; the same array is returned until
 * the key's listing changes (routers rely on that identity to rebuild their tables lazily).
 */
export class ReceptionistStore {
  private readonly local: Table = new Map();
  private readonly replicas = new Map<string, Table>();
  private readonly cache = new Map<string, readonly ServiceInstance<unknown>[]>();
  private readonly observers = new Map<string, Set<ListingObserver>>();
  private closed = false;

  constructor(readonly node: string) {}

  /** Adds or updates a local registration; returns whether anything changed. */
  putLocal(key: string, ref: ActorRef<unknown>, metadata: InstanceMetadata): boolean {
    return this.touched(key, put(this.local, { key, ref, node: this.node, metadata }));
  }

  /** Removes a local registration; returns whether it existed. */
  removeLocal(key: string, address: string): boolean {
    return this.touched(key, remove(this.local, key, address));
  }

  /** Removes every local registration of one actor; returns the keys it was registered under. */
  removeLocalActor(address: string): string[] {
    const keys: string[] = [];
    for (const [key, byRef] of this.local) if (byRef.has(address)) keys.push(key);
    for (const key of keys) this.touched(key, remove(this.local, key, address));
    return keys;
  }

  /** Every local registration, keys in insertion order. */
  localEntries(): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const byRef of this.local.values()) out.push(...byRef.values());
    return out;
  }

  /** Replaces the replica of `node` by `entries`; returns the keys whose listing changed. */
  replaceNode(node: string, entries: readonly StoredEntry[]): Set<string> {
    const old = this.replicas.get(node) ?? new Map();
    const next: Table = new Map();
    for (const e of entries) put(next, { ...e, node });
    const changed = new Set<string>();
    for (const key of new Set([...old.keys(), ...next.keys()])) {
      if (!sameTable(old.get(key), next.get(key))) changed.add(key);
    }
    if (next.size === 0) this.replicas.delete(node); else this.replicas.set(node, next);
    this.invalidate(changed);
    return changed;
  }

  /** Adds or updates one registration in the replica of `node`; returns whether it changed anything. */
  putRemote(node: string, key: string, ref: ActorRef<unknown>, metadata: InstanceMetadata): boolean {
    let table = this.replicas.get(node);
    if (table === undefined) { table = new Map(); this.replicas.set(node, table); }
    return this.touched(key, put(table, { key, ref, node, metadata }));
  }

  /** Removes one registration from the replica of `node`; returns whether it existed. */
  removeRemote(node: string, key: string, address: string): boolean {
    const table = this.replicas.get(node);
    if (table === undefined) return false;
    const changed = remove(table, key, address);
    if (table.size === 0) this.replicas.delete(node);
    return this.touched(key, changed);
  }

  /** Forgets everything `node` registered; returns the keys whose listing changed. */
  dropNode(node: string): Set<string> {
    const table = this.replicas.get(node);
    this.replicas.delete(node);
    const changed = new Set(table?.keys() ?? []);
    this.invalidate(changed);
    return changed;
  }

  /** The current listing of `key` (frozen, stable identity until it changes). */
  instances(key: string): readonly ServiceInstance<unknown>[] {
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const all: StoredEntry[] = [...(this.local.get(key)?.values() ?? [])];
    for (const table of this.replicas.values()) all.push(...(table.get(key)?.values() ?? []));
    const list = all.length === 0 ? EMPTY : Object.freeze(all
      .map((e) => ({ address: String(e.ref), e }))
      .sort((a, b) => (a.e.node < b.e.node ? -1 : a.e.node > b.e.node ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
      .map(({ e }) => Object.freeze({ ref: e.ref, node: e.node, metadata: e.metadata })));
    this.cache.set(key, list);
    return list;
  }

  /** Adds an observer of `key`; returns the function that removes it. A closed store completes it at once. */
  observe(key: string, observer: ListingObserver): () => void {
    if (this.closed) { observer.complete(); return () => {}; }
    let set = this.observers.get(key);
    if (set === undefined) { set = new Set(); this.observers.set(key, set); }
    set.add(observer);
    return () => {
      set.delete(observer);
      if (set.size === 0 && this.observers.get(key) === set) this.observers.delete(key);
    };
  }

  /** Tells the observers of each key its new listing. */
  notify(keys: Iterable<string>): void {
    for (const key of keys) {
      this.cache.delete(key);
      const set = this.observers.get(key);
      if (set === undefined) continue;
      const list = this.instances(key);
      for (const o of [...set]) o.next(list);
    }
  }

  /** Completes every observer; later observers complete at once. */
  close(): void {
    this.closed = true;
    const all = [...this.observers.values()].flatMap((s) => [...s]);
    this.observers.clear();
    for (const o of all) o.complete();
  }

  private touched(key: string, changed: boolean): boolean {
    if (changed) this.cache.delete(key);
    return changed;
  }

  private invalidate(keys: Iterable<string>): void {
    for (const key of keys) this.cache.delete(key);
  }
}

function put(table: Table, e: StoredEntry): boolean {
  const address = String(e.ref);
  let byRef = table.get(e.key);
  const old = byRef?.get(address);
  if (old !== undefined && sameMetadata(old.metadata, e.metadata)) return false;
  if (byRef === undefined) { byRef = new Map(); table.set(e.key, byRef); }
  byRef.set(address, e);
  return true;
}

function remove(table: Table, key: string, address: string): boolean {
  const byRef = table.get(key);
  if (byRef === undefined || !byRef.delete(address)) return false;
  if (byRef.size === 0) table.delete(key);
  return true;
}

function sameTable(a: Map<string, StoredEntry> | undefined, b: Map<string, StoredEntry> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.size !== b.size) return false;
  for (const [address, e] of a) {
    const f = b.get(address);
    if (f === undefined || !sameMetadata(e.metadata, f.metadata)) return false;
  }
  return true;
}
