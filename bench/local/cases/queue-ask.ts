// Baseline: ask as a promise whose resolver rides a ring-queue mailbox drained on a microtask.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { inFlightOf, measureAsks } from '../ask-workload.ts';
import { MicrotaskMailbox } from '../microtask-mailbox.ts';

type Get = { type: 'get'; reply: (served: number) => void };

/** `size` asks per phase against a counter behind a {@link MicrotaskMailbox}; `options.inFlight` for the pipelined phase. */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const state = { served: 0 };
  const box = new MicrotaskMailbox<Get>((m) => m.reply(++state.served));
  const ask = (): Promise<number> => new Promise<number>((reply) => box.push({ type: 'get', reply }));
  return measureAsks(size, inFlightOf(options), ask);
}
