// The streams suite (issue 7): durable publish against the raw journal append, end-to-end
// at-least-once delivery between two processes, the JetStream backend against the raw nats
// client, and a durable consumer catching up on 1M stored events.

import { metric, variantsOf } from '../harness/define.ts';
import type { BenchCase, Suite } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const eventsPerSec = metric('eventsPerSec', 'event/s', 'higher');
const appendP50Ms = metric('appendP50Ms', 'ms', 'lower');
const appendP99Ms = metric('appendP99Ms', 'ms', 'lower');
const eventsPerFlush = metric('eventsPerFlush', 'event', 'higher');
const bytesPerEvent = metric('bytesPerEvent', 'B', 'lower');

const publishCases: BenchCase[] = [
  { id: 'bus-publish-100', label: 'Troupe topic.publish, file backend', role: 'subject', module: caseUrl('bus-publish.ts'), size: 20_000, options: { writers: 100, fsync: 'always' } },
  { id: 'journal-append-100', label: 'raw file journal append, same records', role: 'baseline', module: caseUrl('journal-append.ts'), size: 20_000, options: { writers: 100, fsync: 'always' } },
];

const e2e = variantsOf(caseUrl('e2e-tcp.ts'), 5_000);
const e2eCases: BenchCase[] = [
  e2e('e2e-troupe', 'Troupe bus: file backend → durable consumer on node a', 'subject', { mode: 'troupe', publishers: 100, loadSeconds: 3 }),
  e2e('e2e-raw', 'raw: fsynced log → TCP JSON frames → acks', 'baseline', { mode: 'raw', publishers: 100, loadSeconds: 3 }),
];

const jetstream = variantsOf(caseUrl('jetstream.ts'), 5_000);
const jetstreamCases: BenchCase[] = [
  jetstream('js-troupe', 'Troupe bus on the JetStream backend', 'subject', { mode: 'troupe', publishers: 100 }),
  jetstream('js-raw', 'raw nats.js: js.publish + durable pull consumer', 'baseline', { mode: 'raw', publishers: 100 }),
];

const catchupCases = (backend: 'file' | 'memory'): BenchCase[] => [
  { id: `catchup-${backend}`, label: `Troupe durable consumer, ${backend} backend`, role: 'subject', module: caseUrl('bus-catchup.ts'), size: 1_000_000, options: { backend } },
  { id: `journal-read-${backend}`, label: `raw ${backend} journal readStream (pages of 4096) + same handler`, role: 'baseline', module: caseUrl('journal-catchup.ts'), size: 1_000_000, options: { backend, pageSize: 4096 } },
];

/** The `streams` suite: `npm run bench -- streams`, results in `bench/results/streams.json`. */
export const streamsSuite: Suite = {
  name: 'streams',
  description: 'durable streams: publish vs raw journal, e2e at-least-once over TCP, JetStream vs raw nats, consumer catch-up',
  comparisons: [
    {
      id: 'publish-100',
      title: 'Durable publish, 100 concurrent publishers, file backend, fsync always (no subscriber)',
      metrics: [eventsPerSec, appendP50Ms, appendP99Ms, eventsPerFlush, bytesPerEvent],
      cases: publishCases,
      baseline: 'journal-append-100',
      targets: [
        { case: 'bus-publish-100', metric: 'eventsPerSec', baseline: 'journal-append-100', op: '>=', value: 0.8, text: 'publish (100 publishers) >= 0.8x raw journal append' },
      ],
    },
    {
      id: 'e2e-tcp',
      title: 'End-to-end at-least-once, publisher process → consumer process over TCP: max rate, then latency at 50% of it',
      metrics: [
        metric('maxEventsPerSec', 'event/s', 'higher'), metric('loadedP50Ms', 'ms', 'lower'), metric('loadedP99Ms', 'ms', 'lower'),
        metric('loadedMaxMs', 'ms', 'lower'), metric('loadPerSec', 'event/s', 'higher'), metric('loadedEventsPerSec', 'event/s', 'higher'),
      ],
      cases: e2eCases,
      baseline: 'e2e-raw',
      targets: [
        { case: 'e2e-troupe', metric: 'loadedP99Ms', op: '<=', value: 5, text: 'e2e p99 <= 5 ms at 50% of max rate' },
      ],
    },
    {
      id: 'jetstream',
      title: 'JetStream: 100 publishers + one durable consumer acking each event (publish → all handled)',
      metrics: [eventsPerSec, metric('publishPerSec', 'event/s', 'higher')],
      cases: jetstreamCases,
      baseline: 'js-raw',
      targets: [
        { case: 'js-troupe', metric: 'eventsPerSec', baseline: 'js-raw', op: '>=', value: 0.7, text: 'JetStream backend >= 0.7x raw nats.js' },
      ],
    },
    {
      id: 'catchup-file',
      title: 'Consumer catch-up on 1M stored events, file backend (handler: per-SKU running total)',
      metrics: [eventsPerSec],
      cases: catchupCases('file'),
      baseline: 'journal-read-file',
      targets: [
        { case: 'catchup-file', metric: 'eventsPerSec', op: '>=', value: 1_000_000, text: 'catch-up (file) >= 1M events/s' },
      ],
    },
    {
      id: 'catchup-memory',
      title: 'Consumer catch-up on 1M stored events, memory backend (handler: per-SKU running total)',
      metrics: [eventsPerSec],
      cases: catchupCases('memory'),
      baseline: 'journal-read-memory',
      targets: [
        { case: 'catchup-memory', metric: 'eventsPerSec', op: '>=', value: 1_000_000, text: 'catch-up (memory) >= 1M events/s' },
      ],
    },
  ],
};
