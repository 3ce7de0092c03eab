// The `observe` suite: what metrics, logging and tracing cost, as ratios measured in one run.

import type { Suite } from '../harness/suite.ts';
import { metricsComparisons } from './metrics-comparisons.ts';

/** `npm run bench -- observe`, results in `bench/results/observe.json`. */
export const observeSuite: Suite = {
  name: 'observe',
  description: 'observability cost: metrics, logs (and tracing) on vs off',
  comparisons: [...metricsComparisons],
};
