// The main sample (`npm start`), on embedded defaults: the supervised worker pool (sample 02,
// which prints the supervision tree with mailbox counters), then the event-driven shop
// (sample 06: event sourcing, a saga, the event bus and a read model over a file journal).

import { main as workerPool } from './02-worker-pool.ts';
import { main as shop } from './06-shop.ts';

console.log('== a supervised worker pool (samples/02-worker-pool.ts)');
await workerPool();
console.log('\n== an event-driven shop (samples/06-shop.ts)');
await shop();
