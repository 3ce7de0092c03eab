// Local tell with tracing off, on (untraced traffic), 1 % and 100 % of requests sampled: the
// local suite's tell workload (batches of 1024, a microtask between batches) to one actor.

import { createSystem, defineActor } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { Receiver, timeTell, yieldKindOf, type TellMsg } from '../../local/workload.ts';
import { sendAs, tracingChoiceOf, tracingOptionsOf } from '../tracing-choice.ts';

let rx: Receiver | undefined;

const sink = defineActor<TellMsg, { n: number }>({
  init: () => ({ n: 0 }),
  receive: (s, m) => { rx!.receive(m); return s; },
});

/**
 * Tells `size` messages to one actor on a real-clock system; option `tracing` (see TracingChoice);
 * reports `msgPerSec` and `cpuNsPerMsg` (process CPU time per message: steadier than the rate when
 * the machine is shared, since waiting for a core is not counted).
 */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const receiver = new Receiver(size);
  rx = receiver;
  const choice = tracingChoiceOf(options);
  const system = createSystem({ name: 'bench', tracing: tracingOptionsOf(choice), log: { level: 'silent' } }); // metrics and logs off: tracing alone
  const ref = system.spawn(sink, 'sink');
  const cpu0 = process.cpuUsage();
  const figures = await timeTell(receiver, yieldKindOf(options), sendAs(system, choice, (m: TellMsg) => ref.tell(m)));
  const cpu = process.cpuUsage(cpu0);
  const spans = system.tracing?.collector?.size ?? 0;
  await system.terminate();
  if ((choice === '1%' && spans === 0) || (choice === '100%' && spans === 0)) throw new Error(`tracing=${choice} collected no spans`);
  return { ...figures, cpuNsPerMsg: ((cpu.user + cpu.system) * 1_000) / size };
}
