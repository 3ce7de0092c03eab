// Troupe: the event bus on one system (memory log) — topic.publish to one subscription whose handler function
// acknowledges on return (`options.guarantee`: 'at-least-once', the default, or 'at-most-once').

import { createEventBus } from '../../../actors/streams/index.ts';
import { createSystem } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { intOption } from '../fixtures.ts';
import { measurePubSub, type Tick } from '../pubsub-workload.ts';

/** `size` pipelined events (plus size/10 sequential) with `options.inFlight` (default 100) publishes outstanding; default delivery settings. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const inFlight = intOption(options, 'inFlight', 100);
  const guarantee = options.guarantee ?? 'at-least-once';
  if (guarantee !== 'at-least-once' && guarantee !== 'at-most-once') throw new Error(`option guarantee=${guarantee}: use 'at-least-once' or 'at-most-once'`);
  return measurePubSub(size, inFlight, async (handler) => {
    const system = createSystem({ name: 'bench' });
    const topic = createEventBus(system).topic<Tick>('ticks');
    topic.subscribe((e) => handler(e.data), { guarantee });
    return {
      publish: (t) => topic.publish(t),
      isBackpressure: () => false,
      whenWritable: () => Promise.resolve(),
      close: async () => { await system.terminate(); },
    };
  });
}
