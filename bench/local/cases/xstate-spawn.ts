// Baseline: spawning idle xstate v5 actors (`createActor(machine).start()`).

import { createActor } from 'xstate';
import { idleMachine as machine } from '../idle-actors.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureSpawn } from '../spawn-workload.ts';


/** Creates and starts `size` actors of one machine; reports `spawnPerSec` and `bytesPerActor`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  return measureSpawn(size, () => createActor(machine).start());
}
