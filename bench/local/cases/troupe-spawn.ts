// Troupe: spawning idle actors under one system (`system.spawn(def, name)`).

import { createSystem, defineActor } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureSpawn } from '../spawn-workload.ts';

type Msg = { type: 'n'; v: number };

const counter = defineActor<Msg, { n: number }>({
  init: () => ({ n: 0 }),
  receive: (s, m) => { s.n += m.v; return s; },
});

/** Spawns `size` actors named `a<i>`; reports `spawnPerSec` and `bytesPerActor`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  const system = createSystem({ name: 'bench' });
  const figures = await measureSpawn(size, (i) => system.spawn(counter, `a${i}`));
  await system.terminate();
  return figures;
}
