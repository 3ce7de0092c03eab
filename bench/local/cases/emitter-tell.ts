// Baseline: one-way messages through Node's EventEmitter (emit calls the listener synchronously).

import { EventEmitter } from 'node:events';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../workload.ts';

/** Emits `size` messages (batches of 1024, yield per `options.yield`) to one listener; reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const rx = new Receiver(size);
  const ee = new EventEmitter();
  ee.on('n', (m: TellMsg) => rx.receive(m));
  return timeTell(rx, yieldKindOf(options), (m) => ee.emit('n', m));
}
