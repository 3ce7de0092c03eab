// The main sample (`npm start`): the supervised worker pool of sample 02 on embedded defaults,
// printing events and the supervision tree with mailbox counters as it runs.

import { main } from './02-worker-pool.ts';

await main();
