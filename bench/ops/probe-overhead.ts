// The `ops` suite's probe-overhead comparison: tell throughput to 1 000 instances probed every
// second against the same run without probes (and wrapped but not probed, and the same ask
// traffic without probes, to split the cost).

import type { BenchCase, Comparison } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

/** 20M messages: long enough (several seconds) for every instance to be probed several times in the timed pass. */
const SIZE = 20_000_000;
const common = { instances: 1_000, periodMs: 1_000 };

const cases: BenchCase[] = [
  { id: 'tell-1k-probed', label: '1 000 instances, probed every 1 s (liveness+readiness+signals)', role: 'subject', module: caseUrl('probe-overhead.ts'), size: SIZE, options: { ...common, mode: 'probed' } },
  { id: 'tell-1k-wrapped', label: '1 000 instances, withProbes but no probe actors', role: 'subject', module: caseUrl('probe-overhead.ts'), size: SIZE, options: { ...common, mode: 'wrapped' } },
  { id: 'tell-1k-asked', label: 'control: no probes, 2 000 asks/s to an echo actor', role: 'baseline', module: caseUrl('probe-overhead.ts'), size: SIZE, options: { ...common, mode: 'asked' } },
  { id: 'tell-1k-plain', label: '1 000 instances, no probes', role: 'baseline', module: caseUrl('probe-overhead.ts'), size: SIZE, options: { ...common, mode: 'none' } },
];

/** Probe overhead on tell throughput (issue 10: ≤ 2 % with 1 000 instances probed every second). */
export const probeOverhead: Comparison = {
  id: 'probe-overhead',
  title: 'Tell to 1 000 instances round-robin (batches of 1024, setImmediate between, ≤ 16 384 in flight): probed every second vs no probes',
  metrics: [
    { name: 'msgPerSec', unit: 'msg/s', better: 'higher' },
    { name: 'cpuNsPerMsg', unit: 'ns', better: 'lower' },
    { name: 'probesPerSec', unit: 'probe/s', better: 'higher' },
    { name: 'seconds', unit: 's', better: 'lower' },
  ],
  cases,
  baseline: 'tell-1k-plain',
  targets: [
    { case: 'tell-1k-probed', metric: 'msgPerSec', baseline: 'tell-1k-plain', op: '>=', value: 0.98, text: 'probed tell >= 0.98x unprobed (overhead <= 2%)' },
  ],
};
