// Floor reference: the least a mailbox actor can weigh — a record with a ring of 8 slots, a state
// object and a receive closure.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureSpawn } from '../spawn-workload.ts';

/** Creates `size` minimal actor records; reports `spawnPerSec` and `bytesPerActor`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  return measureSpawn(size, (i) => {
    const state = { n: 0 };
    const record = {
      id: i,
      ring: new Array<unknown>(8).fill(undefined),
      head: 0,
      size: 0,
      state,
      receive: (m: { v: number }): void => { state.n += m.v; },
    };
    return record;
  });
}
