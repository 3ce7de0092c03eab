// The metrics and logging half of the `observe` suite: tell throughput with metrics and logging on
// and off (ratios in one run), and the cost of one /metrics scrape with 100k actors alive.

import type { BenchCase, Comparison, MetricSpec } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const msgPerSec: MetricSpec = { name: 'msgPerSec', unit: 'msg/s', better: 'higher' };
/** CPU per message: steadier than wall time when other processes share the cores. */
const cpuNsPerMsg: MetricSpec = { name: 'cpuNsPerMsg', unit: 'ns', better: 'lower' };
const readMs: MetricSpec = { name: 'readMs', unit: 'ms', better: 'lower' };
const bodyBytes: MetricSpec = { name: 'bodyBytes', unit: 'B', better: 'lower' };

const tell = (id: string, label: string, role: BenchCase['role'], options: Record<string, string>): BenchCase =>
  ({ id, label, role, module: caseUrl('metrics-tell.ts'), size: 5_000_000, options });

/** Comparisons contributed to the observe suite. */
export const metricsComparisons: Comparison[] = [
  {
    id: 'metrics-tell',
    title: 'Local tell 1→1 (batches of 1024) with metrics and logging on and off',
    metrics: [msgPerSec, cpuNsPerMsg],
    cases: [
      tell('tell-plain', 'metrics off, log silent', 'baseline', { metrics: 'off', log: 'silent' }),
      tell('tell-metrics', 'metrics on (sampled timing), log silent', 'subject', { metrics: 'on', log: 'silent' }),
      tell('tell-log-info', 'metrics off, log at info (no per-message lines)', 'subject', { metrics: 'off', log: 'info' }),
      tell('tell-metrics-log', 'metrics on, log at info', 'subject', { metrics: 'on', log: 'info' }),
    ],
    baseline: 'tell-plain',
    targets: [
      { case: 'tell-metrics', metric: 'msgPerSec', baseline: 'tell-plain', op: '>=', value: 0.98, text: 'metrics on costs <= 2% of tell throughput' },
      { case: 'tell-metrics', metric: 'cpuNsPerMsg', baseline: 'tell-plain', op: '<=', value: 1.02, text: 'metrics on costs <= 2% CPU per message (steadier under load)' },
    ],
  },
  {
    id: 'metrics-scrape',
    title: 'One read of every actor counter with 100k idle actors alive',
    metrics: [readMs, bodyBytes],
    cases: [
      { id: 'scrape-100k', label: '/metrics render (Prometheus text)', role: 'subject', module: caseUrl('metrics-scrape.ts'), size: 100_000, options: { what: 'scrape' } },
      { id: 'inspect-100k', label: 'system.inspect() as JSON', role: 'baseline', module: caseUrl('metrics-scrape.ts'), size: 100_000, options: { what: 'inspect' } },
    ],
    baseline: 'inspect-100k',
  },
];
