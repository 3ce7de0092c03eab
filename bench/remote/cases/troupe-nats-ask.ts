// Troupe ask over the NATS transport: troupe-ask.ts, skipped (not failed) when no NATS server answers.

import '../require-nats.ts';

/** See troupe-ask.ts; run it with option `transport: 'nats'`. */
export { run } from './troupe-ask.ts';
