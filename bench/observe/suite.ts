// The observe suite: what observability costs on the hot paths — tracing off, on and sampled
// (tracing-comparisons.ts) — as ratios to the same workload without it, measured in one run.

import type { Suite } from '../harness/suite.ts';
import { tracingComparisons } from './tracing-comparisons.ts';

/** The `observe` suite: `npm run bench -- observe`, results in `bench/results/observe.json`. */
export const observeSuite: Suite = {
  name: 'observe',
  description: 'observability overhead: tracing off / on / 1% / 100% sampled on local tell, remote tell and remote ask',
  comparisons: [...tracingComparisons],
};
