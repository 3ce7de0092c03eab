// Troupe tell over the NATS transport: troupe-tell.ts, skipped (not failed) when no NATS server answers.

import '../require-nats.ts';

/** See troupe-tell.ts; run it with option `transport: 'nats'`. */
export { run } from './troupe-tell.ts';
