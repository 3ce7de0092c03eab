// Local tell with tracing off, on (untraced traffic), 1 % and 100 % of requests sampled: the
// local suite's tell workload (batches of 1024, a microtask between batches) to one actor.

import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { withTellSink } from '../../local/troupe-sink.ts';
import { timeTell, yieldKindOf } from '../../local/workload.ts';
import { sendAs, tracingChoiceOf, tracingOptionsOf } from '../tracing-choice.ts';

/**
 * Tells `size` messages to one actor on a real-clock system; option `tracing` (see TracingChoice);
 * reports `msgPerSec` and `cpuNsPerMsg` (process CPU time per message: steadier than the rate when
 * the machine is shared, since waiting for a core is not counted).
 */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const choice = tracingChoiceOf(options);
  // Metrics and logs off: tracing alone.
  return withTellSink(size, { tracing: tracingOptionsOf(choice), log: { level: 'silent' } }, async (tell, receiver, system) => {
    const cpu0 = process.cpuUsage();
    const figures = await timeTell(receiver, yieldKindOf(options), sendAs(system, choice, tell));
    const cpu = process.cpuUsage(cpu0);
    const spans = system.tracing?.collector?.size ?? 0;
    if ((choice === '1%' && spans === 0) || (choice === '100%' && spans === 0)) throw new Error(`tracing=${choice} collected no spans`);
    return { ...figures, cpuNsPerMsg: ((cpu.user + cpu.system) * 1_000) / size };
  });
}
