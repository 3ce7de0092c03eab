// Baseline: stopping N idle xstate v5 actors one by one (`actor.stop()`, newest first).

import { createActor, type Actor } from 'xstate';
import { idleMachine as machine } from '../idle-actors.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureTerminate } from '../terminate-workload.ts';


/** Starts `size` actors of one machine, then times stopping them all; reports `terminatePerSec` and `terminateMs`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  let actors: Actor<typeof machine>[] = [];
  return measureTerminate(
    size,
    (n) => { actors = Array.from({ length: n }, () => createActor(machine).start()); },
    () => { for (let i = actors.length - 1; i >= 0; i--) actors[i].stop(); actors = []; },
  );
}
