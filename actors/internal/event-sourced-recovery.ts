// Event-sourced actors, recovery: fold a stream into state, from its latest snapshot (if any)
// and then page by page through the events after it.

import type { Journal, StoredEvent } from '../journal/journal.ts';

/** Where a fold starts: a state and the stream version it reflects. */
export interface FoldStart<S> {
  readonly state: S;
  readonly version: number;
}

/** The result of a recovery. */
export interface Recovered<S> extends FoldStart<S> {
  /** Version of the snapshot recovery started from (0 = none). */
  readonly snapshotVersion: number;
  /** Events read and applied after the snapshot. */
  readonly eventsRead: number;
}

/** What a fold needs: the journal, the stream, how to decode and apply events, the page size. */
export interface FoldDeps<S, E> {
  readonly journal: Journal;
  readonly stream: string;
  readonly decode: (e: StoredEvent) => E;
  readonly apply: (state: S, evt: E) => S;
  readonly pageSize: number;
}

/**
 * Applies every event after `start.version` to `start.state`, reading `pageSize` events per call.
 * Throws what the journal, the decoder (e.g. `unsupported-version`) or `apply` throws.
 */
export async function foldFrom<S, E>(deps: FoldDeps<S, E>, start: FoldStart<S>): Promise<FoldStart<S> & { readonly eventsRead: number }> {
  let { state, version } = start;
  let eventsRead = 0;
  for (;;) {
    const page = await deps.journal.readStream(deps.stream, { fromVersion: version + 1, maxCount: deps.pageSize });
    for (const e of page) {
      state = deps.apply(state, deps.decode(e));
      version = e.version;
    }
    eventsRead += page.length;
    if (page.length < deps.pageSize) return { state, version, eventsRead };
  }
}

/**
 * Recovers a stream's state: its latest snapshot (when `useSnapshots`) or `initial`, then every
 * later event. A snapshot's state is used as stored (snapshots are not upcast).
 */
export async function recoverStream<S, E>(deps: FoldDeps<S, E>, initial: S, useSnapshots: boolean): Promise<Recovered<S>> {
  const snap = useSnapshots ? await deps.journal.loadSnapshot(deps.stream) : undefined;
  const start: FoldStart<S> = snap === undefined ? { state: initial, version: 0 } : { state: snap.state as S, version: snap.version };
  const r = await foldFrom(deps, start);
  return { ...r, snapshotVersion: start.version };
}
