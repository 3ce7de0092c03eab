// Baseline: the same workload on a hand-written at-least-once channel (RawAtLeastOnce): buffer,
// window of 100 unacknowledged events with an ack timer each, microtask delivery, backpressure.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { intOption } from '../fixtures.ts';
import { measurePubSub, type Tick } from '../pubsub-workload.ts';
import { BUFFER_FULL, RawAtLeastOnce } from '../raw-at-least-once.ts';

/** `size` pipelined events (plus size/10 sequential) with `options.inFlight` (default 100) publishes outstanding. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const inFlight = intOption(options, 'inFlight', 100);
  return measurePubSub(size, inFlight, async (handler) => {
    const channel = new RawAtLeastOnce<Tick>(handler);
    return {
      publish: (t) => channel.publish(t),
      isBackpressure: (e) => e === BUFFER_FULL,
      whenWritable: () => channel.whenWritable(),
      close: async () => channel.close(),
    };
  });
}
