// Tailing a journal in pages: an async iterator over readAll, for projections and replay.

import type { Journal, StoredEvent } from './journal.ts';

/** Options of {@link readAllPages}. */
export interface ReadAllPagesOptions {
  /** First global position to read (inclusive); default `1`. */
  readonly fromPosition?: number;
  /** Events per page (per readAll call); default `4096`. */
  readonly pageSize?: number;
}

/**
 * Yields the journal's events in global order, one non-empty page at a time, until a page comes
 * back empty (the end as of that read). Iterate pages rather than single events on hot paths:
 * one await per page, not per event.
 *
 * @example
 * for await (const page of readAllPages(journal, { pageSize: 10_000 })) for (const e of page) project(e);
 */
export async function* readAllPages(journal: Journal, options: ReadAllPagesOptions = {}): AsyncGenerator<StoredEvent[], void, undefined> {
  const pageSize = options.pageSize ?? 4096;
  let from = options.fromPosition ?? 1;
  for (;;) {
    const page = await journal.readAll({ fromPosition: from, maxCount: pageSize });
    if (page.length === 0) return;
    yield page;
    from = page[page.length - 1].position + 1;
  }
}
