// The `ops` suite (issue 10): what operating services costs — the service router hop against a
// direct ref (router-hop.ts) and health-probe overhead on tell throughput (probe-overhead.ts).
// Each concern adds its comparisons from its own file, one line here.

import type { Suite } from '../harness/suite.ts';
import { routerHopComparisons } from './router-hop.ts';
import { probeOverhead, probeOverheadAlternate } from './probe-overhead.ts';
import { recoveryLatency } from './recovery-latency.ts';

/** The `ops` suite: `npm run bench -- ops`, results in `bench/results/ops.json`. */
export const opsSuite: Suite = {
  name: 'ops',
  description: 'operations: service router hop vs direct ref, health-probe overhead on tell throughput',
  comparisons: [
    ...routerHopComparisons,
    probeOverhead,
    probeOverheadAlternate,
    recoveryLatency,
  ],
};
