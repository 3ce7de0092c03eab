// The remote suite: Troupe nodes in two processes on loopback (TCP and NATS transports) against raw
// TCP, nats.js and Moleculer 0.14 over NATS measured in the same run, plus failure detection.

import type { BenchCase, MetricSpec, Suite } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const msgPerSec: MetricSpec = { name: 'msgPerSec', unit: 'msg/s', better: 'higher' };
const pipelinedAsksPerSec: MetricSpec = { name: 'pipelinedAsksPerSec', unit: 'ask/s', better: 'higher' };
const askP50Us: MetricSpec = { name: 'askP50Us', unit: 'µs', better: 'lower' };
const askP99Us: MetricSpec = { name: 'askP99Us', unit: 'µs', better: 'lower' };
const asksPerSec: MetricSpec = { name: 'asksPerSec', unit: 'ask/s', better: 'higher' };
const killDetectAllMs: MetricSpec = { name: 'killDetectAllMs', unit: 'ms', better: 'lower' };
const killDetectMs: MetricSpec = { name: 'killDetectMs', unit: 'ms', better: 'lower' };
const freezeDetectAllMs: MetricSpec = { name: 'freezeDetectAllMs', unit: 'ms', better: 'lower' };
const freezeDetectMs: MetricSpec = { name: 'freezeDetectMs', unit: 'ms', better: 'lower' };

/** Every ask case: `size` sequential asks (p50/p99, rate), then `size × pipelinedFactor` with 1000 in flight. */
const askMetrics = [pipelinedAsksPerSec, askP50Us, askP99Us, asksPerSec];
const ASK_OPTIONS = { inFlight: 1000, pipelinedFactor: 5 };

// Sizes keep every timed pass to 0.5–2 s on this machine kind, so that the suite (5 runs, each
// case in 2 fresh processes, ~3 s of process start-up per run) stays near 5 minutes: once warm,
// rates do not depend on the count. Moleculer and NATS cases do less work than the TCP ones
// because they are slower; each pair of a comparison that is compared head to head (Troupe vs
// raw TCP, Troupe NATS vs nats.js) does the same work.
const tellTcpCases: BenchCase[] = [
  { id: 'troupe-tcp-tell', label: 'Troupe tell, TCP transport', role: 'subject', module: caseUrl('troupe-tell.ts'), size: 500_000, options: { transport: 'tcp' } },
  { id: 'raw-tcp-tell', label: 'raw TCP, JSON frames + JSON.parse', role: 'baseline', module: caseUrl('raw-tcp-tell.ts'), size: 500_000 },
  { id: 'moleculer-nats-emit', label: 'Moleculer emit over NATS', role: 'baseline', module: caseUrl('moleculer-emit.ts'), size: 100_000 },
];

const askTcpCases: BenchCase[] = [
  { id: 'troupe-tcp-ask', label: 'Troupe ask, TCP transport', role: 'subject', module: caseUrl('troupe-ask.ts'), size: 10_000, options: { ...ASK_OPTIONS, transport: 'tcp' } },
  { id: 'raw-tcp-echo', label: 'raw TCP JSON echo', role: 'baseline', module: caseUrl('raw-tcp-echo.ts'), size: 10_000, options: ASK_OPTIONS },
  { id: 'moleculer-nats-call', label: 'Moleculer call over NATS', role: 'baseline', module: caseUrl('moleculer-call.ts'), size: 2_000, options: { ...ASK_OPTIONS, pipelinedFactor: 15 } },
];

const tellNatsCases: BenchCase[] = [
  { id: 'troupe-nats-tell', label: 'Troupe tell, NATS transport', role: 'subject', module: caseUrl('troupe-nats-tell.ts'), size: 150_000, options: { transport: 'nats' } },
  { id: 'nats-publish', label: 'nats.js publish → subscriber', role: 'baseline', module: caseUrl('nats-publish.ts'), size: 200_000 },
];

const askNatsCases: BenchCase[] = [
  { id: 'troupe-nats-ask', label: 'Troupe ask, NATS transport', role: 'subject', module: caseUrl('troupe-nats-ask.ts'), size: 2_000, options: { ...ASK_OPTIONS, pipelinedFactor: 10, transport: 'nats' } },
  { id: 'nats-request', label: 'nats.js request/reply', role: 'baseline', module: caseUrl('nats-request.ts'), size: 2_000, options: { ...ASK_OPTIONS, pipelinedFactor: 10 } },
];

const failureCases: BenchCase[] = [
  { id: 'troupe-node-failure', label: 'Troupe, 3 nodes, default membership', role: 'subject', module: caseUrl('troupe-node-failure.ts'), size: 1 },
];

/** The `remote` suite: `npm run bench -- remote`, results in `bench/results/remote.json`. */
export const remoteSuite: Suite = {
  name: 'remote',
  description: 'between processes on loopback: tell and ask over the TCP and NATS transports, node failure detection',
  comparisons: [
    {
      id: 'tell-tcp',
      title: 'One-way tell to another process (batches of 1024, setImmediate between batches), TCP',
      metrics: [msgPerSec],
      cases: tellTcpCases,
      baseline: 'raw-tcp-tell',
      targets: [
        { case: 'troupe-tcp-tell', metric: 'msgPerSec', op: '>=', value: 1_000_000, text: 'tell over TCP >= 1M msg/s' },
        { case: 'troupe-tcp-tell', metric: 'msgPerSec', baseline: 'moleculer-nats-emit', op: '>=', value: 5, text: 'tell over TCP >= 5x Moleculer emit over NATS' },
      ],
    },
    {
      id: 'ask-tcp',
      title: 'Ask a counter in another process, TCP: 1000 in flight, then sequential (p50/p99, rate)',
      metrics: askMetrics,
      cases: askTcpCases,
      baseline: 'raw-tcp-echo',
      targets: [
        { case: 'troupe-tcp-ask', metric: 'pipelinedAsksPerSec', op: '>=', value: 500_000, text: 'ask >= 500k req/s with 1000 in flight' },
        { case: 'troupe-tcp-ask', metric: 'askP50Us', op: '<=', value: 90, text: 'sequential ask p50 <= 90 µs' },
        { case: 'troupe-tcp-ask', metric: 'askP99Us', op: '<=', value: 200, text: 'sequential ask p99 <= 200 µs' },
      ],
    },
    {
      id: 'tell-nats',
      title: 'One-way tell to another process (batches of 1024, setImmediate between batches), NATS',
      metrics: [msgPerSec],
      cases: tellNatsCases,
      baseline: 'nats-publish',
    },
    {
      id: 'ask-nats',
      title: 'Ask a counter in another process, NATS: 1000 in flight, then sequential (p50/p99, rate)',
      metrics: askMetrics,
      cases: askNatsCases,
      baseline: 'nats-request',
    },
    {
      id: 'node-failure',
      title: 'Failure detection, 3 nodes on TCP: SIGKILL / SIGSTOP one, time to member-down at the survivors',
      metrics: [killDetectAllMs, killDetectMs, freezeDetectAllMs, freezeDetectMs],
      cases: failureCases,
      baseline: 'troupe-node-failure',
      targets: [
        { case: 'troupe-node-failure', metric: 'killDetectAllMs', op: '<=', value: 1_500, text: 'SIGKILLed node down at both survivors <= 1.5 s' },
        { case: 'troupe-node-failure', metric: 'freezeDetectAllMs', op: '<=', value: 1_500, text: 'frozen (SIGSTOP) node down at both survivors <= 1.5 s' },
      ],
    },
  ],
};
