// The `observe` suite: what observability costs on the hot paths, as ratios to the same workload
// without it, measured in one run — metrics and logs on vs off (metrics-comparisons.ts), tracing
// off, on and sampled (tracing-comparisons.ts).

import type { Suite } from '../harness/suite.ts';
import { metricsComparisons } from './metrics-comparisons.ts';
import { tracingComparisons } from './tracing-comparisons.ts';

/** `npm run bench -- observe`, results in `bench/results/observe.json`. */
export const observeSuite: Suite = {
  name: 'observe',
  description: 'observability cost: metrics and logs on vs off; tracing off / on / 1% / 100% sampled on local tell, remote tell and remote ask',
  comparisons: [...metricsComparisons, ...tracingComparisons],
};
