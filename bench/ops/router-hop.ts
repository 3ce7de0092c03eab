// The `ops` comparisons of the service router hop: tell and ask to a service's one instance
// through `service.router()` against its ref, in the same run.

import type { BenchCase, Comparison } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const via = (id: string, file: string, size: number, label: string, role: 'subject' | 'baseline', extra: Record<string, number | string> = {}): BenchCase =>
  ({ id, label, role, module: caseUrl(file), size, options: { via: role === 'subject' ? 'router' : 'ref', ...extra } });

/** Router hop on tell (msg/s) and on ask (rate, p50/p99, pipelined); ratios are router ÷ direct ref. */
export const routerHopComparisons: readonly Comparison[] = [
  {
    id: 'router-tell',
    title: 'Service router hop on tell: service.router().tell vs the instance ref (one instance, batches of 1024)',
    metrics: [{ name: 'msgPerSec', unit: 'msg/s', better: 'higher' }],
    cases: [via('router-tell', 'router-tell.ts', 2_000_000, 'Troupe service router tell', 'subject'), via('ref-tell', 'router-tell.ts', 2_000_000, 'direct ref.tell', 'baseline')],
    baseline: 'ref-tell',
    targets: [{ case: 'router-tell', metric: 'msgPerSec', baseline: 'ref-tell', op: '>=', value: 0.4, aim: 0.8, text: 'router tell >= 0.4x direct tell (aim 0.8x): a routing decision per message' }],
  },
  {
    id: 'router-ask',
    title: 'Service router hop on ask: service.router().ask vs the instance ref (sequential and 1000 in flight)',
    metrics: [
      { name: 'asksPerSec', unit: 'ask/s', better: 'higher' },
      { name: 'askP50Us', unit: 'µs', better: 'lower' },
      { name: 'askP99Us', unit: 'µs', better: 'lower' },
      { name: 'pipelinedAsksPerSec', unit: 'ask/s', better: 'higher' },
      { name: 'seqCpuNsPerAsk', unit: 'ns', better: 'lower' },
    ],
    cases: [
      via('router-ask', 'router-ask.ts', 200_000, 'Troupe service router ask (per-instance breakers on, the default)', 'subject', { inFlight: 1000 }),
      via('router-ask-nobreaker', 'router-ask.ts', 200_000, 'Troupe service router ask, breaker: false', 'subject', { inFlight: 1000, breaker: 'off' }),
      via('ref-ask', 'router-ask.ts', 200_000, 'direct ref.ask', 'baseline', { inFlight: 1000 }),
    ],
    baseline: 'ref-ask',
    targets: [{ case: 'router-ask', metric: 'seqCpuNsPerAsk', baseline: 'ref-ask', op: '<=', value: 1.5, aim: 1.2, text: 'router ask CPU <= 1.5x direct ask (aim 1.2x)' }],
  },
];
