// The runtime's own metric families: counters, gauges and histograms whose hot side is a plain
// field increment on a child resolved once per label set, and whose values are read (or computed)
// only when prom-client's registry renders them at scrape time.

import type { Registry } from 'prom-client';

/** Label values of one series, keyed by label name. */
export type Labels = Readonly<Record<string, string>>;

/** One rendered sample, as prom-client's registry reads it. */
interface Sample {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
}

/** What prom-client's `Registry#metrics()` asks of a registered metric. */
interface RenderedFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Sample[];
  aggregator: 'sum';
}

/** Called at scrape time to add computed series (`add(labels, value)` sums into a series). */
export type Collect = (add: (labels: Labels, value: number) => void) => void | Promise<void>;

/** A monotonically increasing value of one series (the hot side: `child.value += n`). */
export interface CounterChild { value: number }

const keyOf = (labelNames: readonly string[], labels: Labels): string => {
  let k = '';
  for (const n of labelNames) k += `${labels[n] ?? ''}\u0000`;
  return k;
};

/** The part counters and gauges share: live children plus scrape-time collectors. */
abstract class ScalarFamily {
  abstract readonly type: 'counter' | 'gauge';
  private readonly children = new Map<string, { labels: Labels; child: CounterChild }>();
  private readonly collectors: Collect[] = [];

  constructor(public name: string, readonly help: string, readonly labelNames: readonly string[]) {}

  /** The series for `labels` (created at 0 on first use); keep it and add to `.value`. */
  child(labels: Labels = {}): CounterChild {
    const k = keyOf(this.labelNames, labels);
    let e = this.children.get(k);
    if (e === undefined) {
      e = { labels: { ...labels }, child: { value: 0 } };
      this.children.set(k, e);
    }
    return e.child;
  }

  /** Adds a scrape-time source of series; returns its removal. */
  collect(fn: Collect): () => void {
    this.collectors.push(fn);
    return () => { const i = this.collectors.indexOf(fn); if (i >= 0) this.collectors.splice(i, 1); };
  }

  /** Series currently known: live children plus the last collected ones are rendered. */
  async get(): Promise<RenderedFamily> {
    const sums = new Map<string, { labels: Labels; value: number }>();
    for (const [k, e] of this.children) sums.set(k, { labels: e.labels, value: e.child.value });
    const add = (labels: Labels, value: number): void => {
      const k = keyOf(this.labelNames, labels);
      const s = sums.get(k);
      if (s === undefined) sums.set(k, { labels, value });
      else s.value += value;
    };
    for (const c of this.collectors) {
      const r = c(add);
      if (r !== undefined) await r;
    }
    const values: Sample[] = [];
    for (const s of sums.values()) values.push({ labels: { ...s.labels }, value: s.value });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
}

/** A counter family (`…_total`). */
export class CounterFamily extends ScalarFamily {
  readonly type = 'counter' as const;
}

/** A gauge family: usually computed at scrape time by collectors. */
export class GaugeFamily extends ScalarFamily {
  readonly type = 'gauge' as const;
}

/** One histogram series: cumulative-on-render bucket counts, sum and count. */
export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  /** Records `times` observations of `value` (seconds). */
  observe(value: number, times = 1): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]) i++;
    if (i < b.length) this.counts[i] += times;
    this.sum += value * times;
    this.count += times;
  }
}

/** Default buckets for handler and ask durations, in seconds: 10 µs … 10 s. */
export const DURATION_BUCKETS: readonly number[] = [0.00001, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A histogram family (`…_seconds`), buckets fixed at creation. */
export class HistogramFamily {
  readonly type = 'histogram' as const;
  private readonly children = new Map<string, { labels: Labels; child: HistogramChild }>();

  constructor(public name: string, readonly help: string, readonly labelNames: readonly string[], readonly buckets: readonly number[] = DURATION_BUCKETS) {}

  child(labels: Labels = {}): HistogramChild {
    const k = keyOf(this.labelNames, labels);
    let e = this.children.get(k);
    if (e === undefined) {
      e = { labels: { ...labels }, child: new HistogramChild(this.buckets) };
      this.children.set(k, e);
    }
    return e.child;
  }

  async get(): Promise<RenderedFamily> {
    const values: Sample[] = [];
    for (const { labels, child } of this.children.values()) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += child.counts[i];
        values.push({ labels: { ...labels, le: this.buckets[i] }, value: acc, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: child.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...labels }, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
}

/** Any runtime family. */
export type Family = CounterFamily | GaugeFamily | HistogramFamily;

/** Registers a runtime family with a prom-client registry (they render like prom-client's own). */
export function registerFamily<F extends Family>(registry: Registry, family: F): F {
  registry.registerMetric(family as never);
  return family;
}
