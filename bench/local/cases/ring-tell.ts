// Baseline: one-way messages into a hand-written ring-buffer mailbox drained on a microtask.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { MicrotaskMailbox } from '../microtask-mailbox.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../workload.ts';

/** Sends `size` messages (batches of 1024, yield per `options.yield`) into a {@link MicrotaskMailbox}; reports `msgPerSec`. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const rx = new Receiver(size);
  const box = new MicrotaskMailbox<TellMsg>((m) => rx.receive(m));
  return timeTell(rx, yieldKindOf(options), (m) => box.push(m));
}
