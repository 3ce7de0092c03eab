// Baseline: spawning idle xstate v5 actors (`createActor(machine).start()`).

import { createActor, createMachine } from 'xstate';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureSpawn } from '../spawn-workload.ts';

type Msg = { type: 'n'; v: number };

const machine = createMachine({
  types: {} as { context: { n: number }; events: Msg },
  context: { n: 0 },
  on: { n: { actions: ({ context, event }) => { context.n += event.v; } } },
});

/** Creates and starts `size` actors of one machine; reports `spawnPerSec` and `bytesPerActor`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  return measureSpawn(size, () => createActor(machine).start());
}
