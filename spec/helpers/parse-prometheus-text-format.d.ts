// Types of the parse-prometheus-text-format package (it ships none): prom2json-shaped families.

declare module 'parse-prometheus-text-format' {
  /** One series: `value` for counters/gauges; histograms flatten into `buckets` (by `le`), `count`, `sum`. */
  export interface PromSample {
    readonly value?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly buckets?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }
  /** One metric family. */
  export interface PromFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: readonly PromSample[];
  }
  /** Parses Prometheus text format 0.0.4; throws `InvalidLineError` on a line it cannot read. */
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
