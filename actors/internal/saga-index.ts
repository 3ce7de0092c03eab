// The index stream `sagas:<name>`: which sagas of a definition were registered and which closed,
// so `resumeSagas` finds the unfinished ones without scanning the whole journal.

import type { Journal } from '../journal/journal.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { SagaEnd } from '../saga.ts';

/** Why a saga left the index: it ended, or it was registered but its own stream never began. */
export type SagaCloseReason = SagaEnd | 'never-started';

/** One index event. */
type IndexRecord =
  | { readonly type: 'saga-registered'; readonly sagaId: string }
  | { readonly type: 'saga-closed'; readonly sagaId: string; readonly reason: SagaCloseReason };

/** What the index snapshot holds: the ids open as of its version. */
interface IndexSnapshot { readonly open: readonly string[] }

/** The index stream of saga `name` (saga streams start with `saga-`, so the two never collide). */
export function sagaIndexStream(name: string): string {
  return `sagas:${name}`;
}

const append = async (journal: Journal, name: string, r: IndexRecord): Promise<void> => {
  await journal.append(sagaIndexStream(name), [{ type: r.type, data: r }], { expectedVersion: 'any' });
};

/** Registers a saga before its own stream begins (so a crash in between leaves it findable). */
export function registerSaga(journal: Journal, name: string, sagaId: string): Promise<void> {
  return append(journal, name, { type: 'saga-registered', sagaId });
}

/** Marks a saga closed: resumeSagas no longer looks at it. */
export function closeSaga(journal: Journal, name: string, sagaId: string, reason: SagaCloseReason): Promise<void> {
  return append(journal, name, { type: 'saga-closed', sagaId, reason });
}

/**
 * The ids registered and not closed, in registration order. Starts from the index snapshot,
 * reads what came after it, and saves a new snapshot when it read anything.
 */
export async function openSagaIds(journal: Journal, name: string): Promise<string[]> {
  const stream = sagaIndexStream(name);
  const snap = await journal.loadSnapshot(stream);
  const open = new Set<string>(snap === undefined ? [] : snapshotIds(snap.state, stream));
  const events = await journal.readStream(stream, { fromVersion: (snap?.version ?? 0) + 1 });
  for (const e of events) {
    const r = e.data as Partial<IndexRecord> | null;
    if (typeof r?.sagaId !== 'string' || r.type !== e.type) {
      throw new TroupeError('schema-invalid', `Event ${e.version} of ${stream} is not a saga index record: the index must be written by sagas only.`, { stream, version: e.version });
    }
    if (r.type === 'saga-registered') open.add(r.sagaId);
    else open.delete(r.sagaId);
  }
  const ids = [...open];
  if (events.length > 0) await journal.saveSnapshot(stream, events[events.length - 1].version, { open: ids } satisfies IndexSnapshot);
  return ids;
}

function snapshotIds(state: unknown, stream: string): readonly string[] {
  const open = (state as Partial<IndexSnapshot> | null)?.open;
  if (!Array.isArray(open) || !open.every((id) => typeof id === 'string')) {
    throw new TroupeError('schema-invalid', `The snapshot of ${stream} is not a saga index snapshot: the index stream and its snapshot must be written by sagas only.`, { stream });
  }
  return open;
}
