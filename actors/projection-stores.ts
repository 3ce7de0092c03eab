// Where projections keep their read model and checkpoint: the ProjectionStore contract, an
// atomic in-memory store, and an at-least-once store for targets that cannot commit atomically.

import { TroupeError } from '../runtime/errors.ts';
import { conflict, type CheckpointStore } from './internal/projection-checkpoints.ts';

export { createMemoryCheckpoints, createFileCheckpoints, type CheckpointStore } from './internal/projection-checkpoints.ts';
export { createPgProjectionStore, type PgProjectionStore, type PgProjectionStoreOptions } from './internal/projection-pg-store.ts';

/** One batch a projection commits: the checkpoint it read from and the one to store. */
export interface CheckpointMove {
  /** The checkpoint the projection believes is stored (the last position it applied; 0 = none). */
  readonly from: number;
  /** The position of the batch's last event: the checkpoint after this commit. */
  readonly to: number;
}

/**
 * Where a projection's read model and checkpoint live. `T` is what the handler gets to write
 * with (a transaction, a client, a model).
 *
 * The contract, "exactly-once in effect":
 * - `atomic: true` — `commit` runs `apply` (the handler, once per event of the batch) and stores
 *   `to` as one all-or-nothing step, and rejects with `concurrency-conflict` (applying nothing)
 *   when the stored checkpoint is not `from` (another instance of the projection moved it). After
 *   a crash the projection resumes from the stored checkpoint and no event's effect is applied twice.
 * - `atomic: false` — `apply` writes straight to the target, then the checkpoint is saved. A crash
 *   between the two makes the projection hand those events to the handler again: handlers on such
 *   stores must be idempotent (upsert by event id or position, or remember the last position applied).
 */
export interface ProjectionStore<T> {
  readonly atomic: boolean;
  /** The stored checkpoint of `projection` (0 when it has none). */
  loadCheckpoint(projection: string): Promise<number>;
  /** Applies one batch and moves the checkpoint (see the contract above). */
  commit(projection: string, move: CheckpointMove, apply: (tx: T) => Promise<void>): Promise<void>;
  /** Empties the read model of `projection` and sets its checkpoint to 0 (for a rebuild). */
  reset(projection: string): Promise<void>;
}

/** A read-only view of an in-memory read model: string keys to values (treat values as immutable). */
export interface MemoryModel<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  keys(): string[];
  readonly size: number;
}

/** What a handler writes with on a memory store: the model as it will be if the batch commits. */
export interface MemoryModelTx<V> extends MemoryModel<V> {
  set(key: string, value: V): void;
  delete(key: string): void;
}

/** The in-memory store: a key-value read model plus the checkpoint, committed together. */
export interface MemoryProjectionStore<V> extends ProjectionStore<MemoryModelTx<V>>, MemoryModel<V> {
  /** The stored checkpoint (0 before the first commit). */
  checkpoint(): number;
}

const DELETED: unique symbol = Symbol('deleted');

/**
 * Creates an atomic in-memory store for one projection (a second projection name is rejected with
 * `invalid-argument`; names `<projection>/<part>` are checkpoints of the same projection, kept
 * apart — a partitioned consumer keeps one per partition, see `transactional`). A batch's writes are staged and become visible, with the checkpoint, only
 * when every handler call of the batch succeeded; a throwing handler leaves model and checkpoint as they were.
 *
 * @example
 * const store = createMemoryProjectionStore<number>();
 * createProjection({ system, journal, name: 'balances', store, handle: (e, tx) => tx.set(e.stream, (tx.get(e.stream) ?? 0) + 1) });
 */
export function createMemoryProjectionStore<V = unknown>(): MemoryProjectionStore<V> {
  const model = new Map<string, V>();
  const checkpoints = new Map<string, number>();
  let owner: string | undefined;
  const own = (projection: string): void => {
    const base = projection.split('/')[0];
    owner ??= base;
    if (owner !== base) {
      throw new TroupeError('invalid-argument', `This memory projection store belongs to projection "${owner}", not "${projection}": create one store per projection.`, { owner, projection });
    }
  };
  return {
    atomic: true,
    get: (key) => model.get(key),
    has: (key) => model.has(key),
    keys: () => [...model.keys()],
    get size() { return model.size; },
    checkpoint: () => checkpoints.get(owner ?? '') ?? 0,
    async loadCheckpoint(projection) { own(projection); return checkpoints.get(projection) ?? 0; },
    async commit(projection, move, apply) {
      own(projection);
      const at = (): number => checkpoints.get(projection) ?? 0;
      if (at() !== move.from) throw conflict(projection, move.from, at());
      const staged = new Map<string, V | typeof DELETED>();
      const read = (key: string): V | undefined => {
        if (!staged.has(key)) return model.get(key);
        const s = staged.get(key);
        return s === DELETED ? undefined : s;
      };
      const keys = (): string[] => [...new Set([...model.keys(), ...staged.keys()])].filter((k) => staged.get(k) !== DELETED);
      await apply({
        get: read,
        has: (key) => (staged.has(key) ? staged.get(key) !== DELETED : model.has(key)),
        keys,
        get size() { return keys().length; },
        set: (key, value) => { staged.set(key, value); },
        delete: (key) => { staged.set(key, DELETED); },
      });
      if (at() !== move.from) throw conflict(projection, move.from, at());
      for (const [k, v] of staged) { if (v === DELETED) model.delete(k); else model.set(k, v); }
      checkpoints.set(projection, move.to);
    },
    async reset(projection) { own(projection); model.clear(); checkpoints.clear(); },
  };
}

/** Options of {@link createAtLeastOnceStore}. */
export interface AtLeastOnceStoreOptions<T> {
  /** What handlers write to (a client, an index, a mailer…), passed to every handler call. */
  readonly target: T;
  /** Where checkpoints are saved, after each batch's handlers finished. */
  readonly checkpoints: CheckpointStore;
  /** Empties the target for a rebuild; default: nothing (handlers then overwrite on replay). */
  readonly reset?: (target: T, projection: string) => void | Promise<void>;
}

/**
 * Creates a non-atomic store (`atomic: false`): handlers write to `target` directly, then the
 * checkpoint is saved. After a crash between the two the batch is handed to the handlers again,
 * so they must be idempotent (see {@link ProjectionStore}). The `from` check runs before the
 * batch, which catches a second instance but cannot fence it.
 *
 * @example
 * const store = createAtLeastOnceStore({ target: searchIndex, checkpoints: await createFileCheckpoints('./data/checkpoints') });
 */
export function createAtLeastOnceStore<T>(options: AtLeastOnceStoreOptions<T>): ProjectionStore<T> {
  const { target, checkpoints } = options;
  return {
    atomic: false,
    loadCheckpoint: (projection) => checkpoints.load(projection),
    async commit(projection, move, apply) {
      const stored = await checkpoints.load(projection);
      if (stored !== move.from) throw conflict(projection, move.from, stored);
      await apply(target);
      await checkpoints.save(projection, move.to);
    },
    async reset(projection) {
      await options.reset?.(target, projection);
      await checkpoints.save(projection, 0);
    },
  };
}
