// The persist suite: the file journal (group-commit appends, replay) against raw fs, the
// PostgreSQL journal against raw pg, and the event bus's at-least-once delivery against a floor.

import type { BenchCase, MetricSpec, Suite } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const eventsPerSec: MetricSpec = { name: 'eventsPerSec', unit: 'event/s', better: 'higher' };
const appendP50Ms: MetricSpec = { name: 'appendP50Ms', unit: 'ms', better: 'lower' };
const appendP99Ms: MetricSpec = { name: 'appendP99Ms', unit: 'ms', better: 'lower' };
const eventsPerFlush: MetricSpec = { name: 'eventsPerFlush', unit: 'event', better: 'higher' };
const bytesPerEvent: MetricSpec = { name: 'bytesPerEvent', unit: 'B', better: 'lower' };
const readStreamPerSec: MetricSpec = { name: 'readStreamPerSec', unit: 'event/s', better: 'higher' };
const openMs: MetricSpec = { name: 'openMs', unit: 'ms', better: 'lower' };
const latencyP50Us: MetricSpec = { name: 'latencyP50Us', unit: 'µs', better: 'lower' };
const latencyP99Us: MetricSpec = { name: 'latencyP99Us', unit: 'µs', better: 'lower' };
const loadedP50Us: MetricSpec = { name: 'loadedP50Us', unit: 'µs', better: 'lower' };
const loadedP99Us: MetricSpec = { name: 'loadedP99Us', unit: 'µs', better: 'lower' };

const appendMetrics = [eventsPerSec, appendP50Ms, appendP99Ms, eventsPerFlush, bytesPerEvent];

// Sizes keep each run to a few seconds on a disk whose fsync takes 1–3 ms (so the suite stays
// near 5 minutes with 5 runs); once warm, rates do not depend on the count.
const fileAppend = (id: string, size: number, options: Record<string, number | string>): BenchCase[] => [
  { id: `file-${id}`, label: 'Troupe file journal append', role: 'subject', module: caseUrl('file-append.ts'), size, options },
  { id: `raw-fs-${id}`, label: 'raw fs: FileHandle write + datasync, batched', role: 'baseline', module: caseUrl('raw-fs-append.ts'), size, options },
];

const replayCases: BenchCase[] = [
  { id: 'file-replay', label: 'Troupe file journal readAllPages', role: 'subject', module: caseUrl('file-replay.ts'), size: 1_000_000, options: { pageSize: 4096 } },
  { id: 'raw-fs-replay', label: 'raw fs: 1 MiB reads + JSON.parse of data', role: 'baseline', module: caseUrl('raw-fs-replay.ts'), size: 1_000_000 },
];

// The pg journal serializes appends (an advisory lock held to COMMIT), so it gets fewer events
// than raw inserts to keep its runs near the same duration.
const pgAppendCases: BenchCase[] = [
  { id: 'pg-append', label: 'Troupe pg journal append', role: 'subject', module: caseUrl('pg-append.ts'), size: 600, options: { writers: 100 } },
  { id: 'raw-pg-append', label: 'raw pg: BEGIN; INSERT; COMMIT (pool of 10)', role: 'baseline', module: caseUrl('raw-pg-append.ts'), size: 2500, options: { writers: 100 } },
];

const pgReadCases: BenchCase[] = [
  { id: 'pg-read', label: 'Troupe pg journal readAllPages', role: 'subject', module: caseUrl('pg-read.ts'), size: 50_000, options: { pageSize: 4096 } },
  { id: 'raw-pg-read', label: 'raw pg: same page query + JSON.parse', role: 'baseline', module: caseUrl('raw-pg-read.ts'), size: 50_000, options: { pageSize: 4096 } },
];

const pubsubCases: BenchCase[] = [
  { id: 'bus-at-least-once', label: 'Troupe event bus, at-least-once', role: 'subject', module: caseUrl('bus-publish.ts'), size: 40_000, options: { inFlight: 100, guarantee: 'at-least-once' } },
  { id: 'bus-at-most-once', label: 'Troupe event bus, at-most-once', role: 'baseline', module: caseUrl('bus-publish.ts'), size: 40_000, options: { inFlight: 100, guarantee: 'at-most-once' } },
  { id: 'queue-at-least-once', label: 'floor: buffer + ack timers + microtask', role: 'baseline', module: caseUrl('queue-publish.ts'), size: 40_000, options: { inFlight: 100 } },
];

/** The `persist` suite: `npm run bench -- persist`, results in `bench/results/persist.json`. */
export const persistSuite: Suite = {
  name: 'persist',
  description: 'durable events: file journal appends and replay, PostgreSQL journal, event bus at-least-once',
  comparisons: [
    {
      id: 'append-1',
      title: 'File journal append, 1 writer, fsync always (one ~100-byte event per awaited append)',
      metrics: appendMetrics,
      cases: fileAppend('append-1', 1_000, { writers: 1, fsync: 'always' }),
      baseline: 'raw-fs-append-1',
      targets: [
        { case: 'file-append-1', metric: 'eventsPerSec', baseline: 'raw-fs-append-1', op: '>=', value: 0.5, text: 'append (1 writer) >= 0.5x raw fs' },
      ],
    },
    {
      id: 'append-100',
      title: 'File journal append, 100 concurrent writers (one stream each), fsync always, group commit',
      metrics: appendMetrics,
      cases: fileAppend('append-100', 30_000, { writers: 100, fsync: 'always' }),
      baseline: 'raw-fs-append-100',
      targets: [
        { case: 'file-append-100', metric: 'eventsPerSec', op: '>=', value: 100_000, text: 'group commit (100 writers) >= 100k events/s' },
        { case: 'file-append-100', metric: 'eventsPerSec', baseline: 'raw-fs-append-100', op: '>=', value: 0.5, text: 'group commit (100 writers) >= 0.5x raw fs' },
      ],
    },
    {
      id: 'append-100-nosync',
      title: 'File journal append, 100 writers, fsync never (the CPU cost without the disk)',
      metrics: appendMetrics,
      cases: fileAppend('append-100-nosync', 100_000, { writers: 100, fsync: 'never' }),
      baseline: 'raw-fs-append-100-nosync',
    },
    {
      id: 'replay',
      title: 'Replay a 1M-event stream from the file journal (pages of 4096; open = recovery scan)',
      metrics: [eventsPerSec, readStreamPerSec, openMs],
      cases: replayCases,
      baseline: 'raw-fs-replay',
      targets: [
        { case: 'file-replay', metric: 'eventsPerSec', op: '>=', value: 1_000_000, text: 'replay >= 1M events/s' },
      ],
    },
    {
      id: 'pg-append',
      title: 'PostgreSQL journal append, 100 concurrent writers, pool of 10, one transaction per append',
      metrics: [eventsPerSec, appendP50Ms, appendP99Ms],
      cases: pgAppendCases,
      baseline: 'raw-pg-append',
      targets: [
        { case: 'pg-append', metric: 'eventsPerSec', baseline: 'raw-pg-append', op: '>=', value: 0.7, text: 'pg append >= 0.7x raw pg' },
      ],
    },
    {
      id: 'pg-read',
      title: 'PostgreSQL journal read: 50k events in pages of 4096',
      metrics: [eventsPerSec],
      cases: pgReadCases,
      baseline: 'raw-pg-read',
      targets: [
        { case: 'pg-read', metric: 'eventsPerSec', baseline: 'raw-pg-read', op: '>=', value: 0.7, text: 'pg read >= 0.7x raw pg' },
      ],
    },
    {
      id: 'pubsub',
      title: 'Event bus publish → subscriber: delivery rate (100 publishes in flight), latency publish → handler',
      metrics: [eventsPerSec, latencyP50Us, latencyP99Us, loadedP50Us, loadedP99Us],
      cases: pubsubCases,
      baseline: 'queue-at-least-once',
    },
  ],
};
