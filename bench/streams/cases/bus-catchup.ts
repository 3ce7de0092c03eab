// Troupe: a durable consumer catching up on N stored events (`options.backend` 'file' or
// 'memory'): subscribe with a fresh consumer id (starts at the earliest), time until the handler
// (a synchronous per-SKU running total) has handled all N. Default delivery settings.

import { createEventBus, createFileLogBackend, type LogBackend } from '../../../actors/streams/index.ts';
import { createSystem } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { journalDeps } from '../../persist/fixtures.ts';
import { fileFixture, memoryFixture, releaseFixtures, TOPIC } from '../catchup-fixture.ts';
import { kept, secondsSince, Totals, type ItemAdded } from '../fixtures.ts';

let pass = 0;

/** Handles `size` stored events; reports `eventsPerSec` (subscribe → last handled). */
export async function run({ size, warmup, options }: CaseParams): Promise<Metrics> {
  const kind = options.backend ?? 'file';
  if (kind !== 'file' && kind !== 'memory') throw new Error(`option backend=${kind}: use 'file' or 'memory'`);
  const backend: LogBackend = kind === 'file'
    ? await createFileLogBackend({ dir: await fileFixture(size), name: 'a', ...journalDeps() })
    : await memoryFixture(size);
  const system = createSystem({ name: 'bench' });
  try {
    const bus = createEventBus(system, { backend });
    const totals = new Totals();
    kept.push(totals);
    let finished!: () => void;
    const done = new Promise<void>((resolve) => { finished = resolve; });
    const t0 = process.hrtime.bigint();
    bus.topic<ItemAdded>(TOPIC).subscribe((e) => { totals.apply(e.data); if (totals.count === size) finished(); }, { id: `catchup-${process.pid}-${++pass}` });
    await done;
    const eventsPerSec = size / secondsSince(t0);
    if (totals.last?.seq === undefined) throw new Error('no event handled');
    await bus.close();
    return { eventsPerSec };
  } finally {
    await system.terminate();
    await backend.close();
    await releaseFixtures(warmup);
  }
}
