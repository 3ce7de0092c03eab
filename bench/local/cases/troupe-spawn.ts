// Troupe: spawning idle actors under one system (`system.spawn(def, name)`).

import { createSystem } from '../../../runtime/index.ts';
import { idleCounter as counter } from '../idle-actors.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureSpawn } from '../spawn-workload.ts';


/** Spawns `size` actors named `a<i>`; reports `spawnPerSec` and `bytesPerActor`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  const system = createSystem({ name: 'bench' });
  const figures = await measureSpawn(size, (i) => system.spawn(counter, `a${i}`));
  await system.terminate();
  return figures;
}
