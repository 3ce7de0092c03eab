// Projections, append hints: a journal wrapper that tells listeners after each append it made,
// so a projection in the same process tails at once instead of at its next poll.

import type { Journal } from '../journal/journal.ts';

/** A journal that reports its own successful appends. */
export interface HintingJournal extends Journal {
  /** Calls `listener` with the last global position after each append made through this object; returns the unsubscribe. */
  onAppend(listener: (lastPosition: number) => void): () => void;
}

/**
 * Wraps `journal` (only the {@link Journal} methods are forwarded) so projections created on the wrapper hear about appends made through it.
 * Appends by other processes or other journal objects are still found by polling. A listener
 * that throws is ignored (a hint is never worth failing an append for).
 *
 * @example
 * const journal = withAppendHints(await createFileJournal({ dir, clock, ids }));
 */
export function withAppendHints(journal: Journal): HintingJournal {
  const listeners = new Set<(lastPosition: number) => void>();
  return {
    readStream: (stream, options) => journal.readStream(stream, options),
    readAll: (options) => journal.readAll(options),
    streamVersion: (stream) => journal.streamVersion(stream),
    saveSnapshot: (stream, version, state) => journal.saveSnapshot(stream, version, state),
    loadSnapshot: (stream) => journal.loadSnapshot(stream),
    close: () => journal.close(),
    async append(stream, events, options) {
      const r = await journal.append(stream, events, options);
      const last = r.positions[r.positions.length - 1];
      for (const l of [...listeners]) {
        try { l(last); } catch { /* hints are best effort */ }
      }
      return r;
    },
    onAppend(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };
}

/** True when `journal` offers append hints. */
export function hasAppendHints(journal: Journal): journal is HintingJournal {
  return typeof (journal as Partial<HintingJournal>).onAppend === 'function';
}
