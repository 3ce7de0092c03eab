// Baseline: stopping N idle xstate v5 actors one by one (`actor.stop()`, newest first).

import { createActor, createMachine, type Actor } from 'xstate';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureTerminate } from '../terminate-workload.ts';

type Msg = { type: 'n'; v: number };

const machine = createMachine({
  types: {} as { context: { n: number }; events: Msg },
  context: { n: 0 },
  on: { n: { actions: ({ context, event }) => { context.n += event.v; } } },
});

/** Starts `size` actors of one machine, then times stopping them all; reports `terminatePerSec` and `terminateMs`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  let actors: Actor<typeof machine>[] = [];
  return measureTerminate(
    size,
    (n) => { actors = Array.from({ length: n }, () => createActor(machine).start()); },
    () => { for (let i = actors.length - 1; i >= 0; i--) actors[i].stop(); actors = []; },
  );
}
