// The event bus's metrics on its system's registry: events published per topic, deliveries,
// redeliveries and dead-lettered events per consumer (counted as they happen), and at scrape time
// each subscription's lag and the size of its dead-letter stream.

import type { ActorSystem } from '../../../runtime/system.ts';
import type { CounterChild } from '../../../runtime/observe/internal/metric-family.ts';
import { runtimeMetricsOf, type MetricsHub } from '../../../runtime/observe/metrics.ts';
import type { ConsumerLag } from './consumer.ts';

/** The counters one consumer bumps. */
export interface ConsumerCounters {
  readonly delivered: CounterChild;
  readonly redelivered: CounterChild;
  readonly deadLettered: CounterChild;
}

/** What the scrape asks of one live subscription. */
interface Watched {
  readonly topic: string;
  /** The `consumer` label: the durable consumer or group name, or `ephemeral`. */
  readonly label: string;
  lag(): Promise<ConsumerLag>;
  deadLetterCount(): Promise<number>;
}

/** How long a scrape waits for one subscription's lag or dead-letter count before leaving it out. */
const SCRAPE_WAIT_MS = 1_000;

/** A bus's metrics; inert (all methods no-ops) when its system has no metrics. */
export class BusMetrics {
  private readonly hub: MetricsHub | undefined;
  private readonly published = new Map<string, CounterChild>();
  private readonly watched = new Set<Watched>();
  private readonly removers: (() => void)[] = [];

  constructor(system: ActorSystem) {
    this.hub = runtimeMetricsOf(system.metrics);
    const hub = this.hub;
    if (hub === undefined) return;
    const f = hub.families;
    const each = async (read: (w: Watched) => Promise<number>, add: (l: { topic: string; consumer: string }, v: number) => void): Promise<void> => {
      await Promise.all([...this.watched].map(async (w) => {
        const v = await withTimeout(read(w), system);
        if (v !== undefined) add({ topic: w.topic, consumer: w.label }, v);
      }));
    };
    this.removers.push(
      f.busLagEvents.collect((add) => each(async (w) => (await w.lag()).events, add)),
      f.busLagSeconds.collect((add) => each(async (w) => (await w.lag()).ageMs / 1000, add)),
      f.busDeadLetterSize.collect((add) => each((w) => w.deadLetterCount(), add)),
    );
  }

  /** `n` events were published to `topic`. */
  publishedTo(topic: string, n: number): void {
    const hub = this.hub;
    if (hub === undefined) return;
    let c = this.published.get(topic);
    if (c === undefined) { c = hub.families.busPublished.child({ topic }); this.published.set(topic, c); }
    c.value += n;
  }

  /** Counters for one consumer (null without metrics). */
  consumer(topic: string, consumer: string | null): ConsumerCounters | null {
    const f = this.hub?.families;
    if (f === undefined) return null;
    const labels = { topic, consumer: consumer ?? 'ephemeral' };
    return { delivered: f.busDelivered.child(labels), redelivered: f.busRedelivered.child(labels), deadLettered: f.busDeadLettered.child(labels) };
  }

  /** Reads `sub` at every scrape until the returned function is called. */
  watch(topic: string, consumer: string | null, lag: () => Promise<ConsumerLag>, deadLetterCount: () => Promise<number>): () => void {
    if (this.hub === undefined) return () => {};
    const w: Watched = { topic, label: consumer ?? 'ephemeral', lag, deadLetterCount };
    this.watched.add(w);
    return () => { this.watched.delete(w); };
  }

  /** The bus closed: its series stop being collected. */
  close(): void {
    this.watched.clear();
    for (const r of this.removers.splice(0)) r();
  }
}

/** `p`'s value, or undefined if it fails or takes longer than {@link SCRAPE_WAIT_MS} of the system clock. */
function withTimeout<T>(p: Promise<T>, system: ActorSystem): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = system.scheduler.startTimer(SCRAPE_WAIT_MS, () => resolve(undefined));
    p.then((v) => { system.scheduler.cancelTimer(t); resolve(v); }, () => { system.scheduler.cancelTimer(t); resolve(undefined); });
  });
}
