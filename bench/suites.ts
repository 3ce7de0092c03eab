// The registry of benchmark suites `npm run bench` knows, in the order it runs them.

import { localSuite } from './local/suite.ts';
import { remoteSuite } from './remote/suite.ts';
import { persistSuite } from './persist/suite.ts';
import { streamsSuite } from './streams/suite.ts';
import { observeSuite } from './observe/suite.ts';
import type { Suite } from './harness/suite.ts';

/** Every suite, run in this order by a bare `npm run bench`. Add new suites here. */
export const suites: readonly Suite[] = [localSuite, remoteSuite, persistSuite, streamsSuite, observeSuite];
