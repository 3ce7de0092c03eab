// Troupe: one-way `tell` from outside the system to one actor that records each message.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { withTellSink } from '../troupe-sink.ts';
import { timeTell, yieldKindOf } from '../workload.ts';

/** Tells `size` messages (batches of 1024, yield per `options.yield`) to one actor on a real-clock system; reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  return withTellSink(size, {}, (tell, receiver) => timeTell(receiver, yieldKindOf(options), tell));
}
