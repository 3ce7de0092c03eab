// The tracing half of the observe suite: local tell, remote tell and remote ask with tracing
// off, on (local: untraced traffic), and 1 % / 100 % of requests sampled, as ratios to off.

import type { BenchCase, Comparison, MetricSpec } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const msgPerSec: MetricSpec = { name: 'msgPerSec', unit: 'msg/s', better: 'higher' };
/** CPU per message: judge local costs by it when the machine is busy (preemption inflates wall time, not this). */
const cpuNsPerMsg: MetricSpec = { name: 'cpuNsPerMsg', unit: 'ns', better: 'lower' };
const pipelinedAsksPerSec: MetricSpec = { name: 'pipelinedAsksPerSec', unit: 'ask/s', better: 'higher' };
const askP50Us: MetricSpec = { name: 'askP50Us', unit: 'µs', better: 'lower' };
const askP99Us: MetricSpec = { name: 'askP99Us', unit: 'µs', better: 'lower' };
const asksPerSec: MetricSpec = { name: 'asksPerSec', unit: 'ask/s', better: 'higher' };

// Sizes: rates do not depend on the count once warm; the 100 % cases do less work so that each
// timed pass stays within seconds (a sampled request costs microseconds, a tell ~0.1 µs). Pipelined
// asks: 200 000 per pass (2 s), since half a second of them swung ±40 % on this shared machine.
const local = (id: string, label: string, tracing: string, role: BenchCase['role'] = 'subject'): BenchCase =>
  ({ id, label, role, module: caseUrl('traced-tell.ts'), size: tracing === '100%' ? 200_000 : 5_000_000, options: { tracing } });
const remoteTell = (id: string, label: string, tracing: string, role: BenchCase['role'] = 'subject'): BenchCase =>
  ({ id, label, role, module: caseUrl('traced-remote-tell.ts'), size: tracing === '100%' ? 50_000 : 500_000, options: { tracing } });
const remoteAsk = (id: string, label: string, tracing: string, role: BenchCase['role'] = 'subject'): BenchCase =>
  ({ id, label, role, module: caseUrl('traced-remote-ask.ts'), size: 10_000, options: { tracing, inFlight: 1000, pipelinedFactor: 20 } });

/** Comparisons of the tracing cost; each ratio is to the same workload with tracing off, same run. */
export const tracingComparisons: readonly Comparison[] = [
  {
    id: 'tracing-local-tell',
    title: 'Local tell 1→1 (batches of 1024, microtask yields): tracing off / on (untraced) / 1 % / 100 % of requests sampled',
    metrics: [msgPerSec, cpuNsPerMsg],
    cases: [
      local('tell-off', 'tracing off', 'off', 'baseline'),
      { id: 'tell-before', label: 'before tracing existed (TROUPE_BENCH_BASE tree)', role: 'baseline', module: caseUrl('base-tell.ts'), size: 5_000_000 },
      local('tell-on-untraced', 'tracing on, no trace active', 'on'),
      local('tell-1pct', 'each tell a request, 1 % sampled', '1%'),
      local('tell-100pct', 'each tell a request, 100 % sampled', '100%'),
    ],
    baseline: 'tell-off',
    targets: [
      { case: 'tell-off', metric: 'msgPerSec', baseline: 'tell-before', op: '>=', value: 0.98, text: 'tracing off costs <= 2% (vs the tree before tracing)' },
      { case: 'tell-off', metric: 'cpuNsPerMsg', baseline: 'tell-before', op: '<=', value: 1.02, text: 'tracing off costs <= 2% CPU per message (vs the tree before tracing)' },
      { case: 'tell-1pct', metric: 'msgPerSec', baseline: 'tell-off', op: '>=', value: 0.95, text: '1% sampling costs <= 5%' },
      { case: 'tell-1pct', metric: 'cpuNsPerMsg', baseline: 'tell-off', op: '<=', value: 1.05, text: '1% sampling costs <= 5% CPU per message' },
    ],
  },
  {
    id: 'tracing-remote-tell',
    title: 'Remote tell over TCP to another process: tracing off / 1 % / 100 % of requests sampled (both nodes traced)',
    metrics: [msgPerSec],
    cases: [
      remoteTell('remote-tell-off', 'tracing off', 'off', 'baseline'),
      remoteTell('remote-tell-1pct', 'each tell a request, 1 % sampled', '1%'),
      remoteTell('remote-tell-100pct', 'each tell a request, 100 % sampled', '100%'),
    ],
    baseline: 'remote-tell-off',
    targets: [{ case: 'remote-tell-1pct', metric: 'msgPerSec', baseline: 'remote-tell-off', op: '>=', value: 0.95, text: '1% sampling costs <= 5%' }],
  },
  {
    id: 'tracing-remote-ask',
    title: 'Remote ask over TCP: sequential (p50/p99) and 1000 in flight; tracing off / 1 % / 100 % of requests sampled',
    metrics: [pipelinedAsksPerSec, askP50Us, askP99Us, asksPerSec],
    cases: [
      remoteAsk('remote-ask-off', 'tracing off', 'off', 'baseline'),
      remoteAsk('remote-ask-1pct', 'each ask a request, 1 % sampled', '1%'),
      remoteAsk('remote-ask-100pct', 'each ask a request, 100 % sampled', '100%'),
    ],
    baseline: 'remote-ask-off',
    targets: [{ case: 'remote-ask-1pct', metric: 'pipelinedAsksPerSec', baseline: 'remote-ask-off', op: '>=', value: 0.95, text: '1% sampling costs <= 5%' }],
  },
];
