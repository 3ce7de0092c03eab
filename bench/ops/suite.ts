// The `ops` suite (issue 10): the cost of operating services — probe overhead on tell throughput
// (more comparisons, one file each, join `comparisons`).

import type { Suite } from '../harness/suite.ts';
import { probeOverhead } from './probe-overhead.ts';

/** The `ops` suite: `npm run bench -- ops`, results in `bench/results/ops.json`. */
export const opsSuite: Suite = {
  name: 'ops',
  description: 'operations: health-probe overhead on tell throughput',
  comparisons: [probeOverhead],
};
