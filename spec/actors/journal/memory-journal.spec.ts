// The memory journal against the shared Journal behaviour spec.

import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import { journalBehaviour } from '../../helpers/journal-behaviour.ts';

journalBehaviour('memory journal', {
  durable: false,
  harness: async () => ({ open: async (deps) => createMemoryJournal(deps), dispose: async () => {} }),
});
