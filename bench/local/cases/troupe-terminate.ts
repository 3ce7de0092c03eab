// Troupe: terminating a system whose user guardian has N idle children (stopped newest first,
// one at a time, each with its own shutdown — the path a parent's stop takes).

import { createSystem } from '../../../runtime/index.ts';
import { idleCounter as counter } from '../idle-actors.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureTerminate } from '../terminate-workload.ts';


/** Spawns `size` actors named `a<i>`, then times `system.terminate()`; reports `terminatePerSec` and `terminateMs`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  const system = createSystem({ name: 'bench' });
  return measureTerminate(size, (n) => { for (let i = 0; i < n; i++) system.spawn(counter, `a${i}`); }, () => system.terminate());
}
