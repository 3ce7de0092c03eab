// The chaos scenario both chaos specs run — on a simulated cluster and on node processes — over
// the entry module spec/helpers/chaos-node.ts: a slow echo instance, a partition, then a kill.

import { defineScenario, type RequestOutcome } from '../../actors/chaos/scenario.ts';

/** n1 asks the echo service three times (500 ms each) every 500 ms; load: one ask from n1 every 100 ms. */
export const threeFaults = defineScenario({
  name: 'echo survives a slow instance, a partition and a kill',
  hypothesis: {
    title: 'n1 gets answers from the echo service',
    checks: [{ name: 'three asks answered', probe: (t) => t.call<number>('n1', 'probe', 3, 500), tolerance: { equals: 3 } }],
    everyMs: 500,
  },
  method: [
    { name: 'slow-echo-1', fault: { kind: 'slow', actor: { service: 'echo', instance: 1 }, delayMs: 1_500 }, at: 1_000, durationMs: 2_000 },
    { name: 'cut-n3', fault: { kind: 'partition', groups: [['n1', 'n2'], ['n3']] }, at: 6_000, durationMs: 3_000 },
    { name: 'kill-n3', fault: { kind: 'kill', node: 'n3' }, at: 11_000 },
  ],
  durationMs: 16_000,
  recoveryTimeoutMs: 15_000,
  load: { everyMs: 100, request: (t) => t.call<RequestOutcome>('n1', 'work', 1_000), timeoutMs: 3_000 },
});
