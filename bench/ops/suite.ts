// The operations suite: what running services costs — the service router hop against a direct
// ref (router-hop.ts). Each concern adds its comparisons from its own file, one line here.

import type { Suite } from '../harness/suite.ts';
import { routerHopComparisons } from './router-hop.ts';

/** The `ops` suite: `npm run bench -- ops`, results in `bench/results/ops.json`. */
export const opsSuite: Suite = {
  name: 'ops',
  description: 'operations: service router hop vs direct ref',
  comparisons: [
    ...routerHopComparisons,
  ],
};
