// What a benchmark suite is: comparisons of cases (each run in a fresh child process), the metrics
// they report, the baseline their ratios are taken against, and the targets they are judged by.

/** Whether a bigger or a smaller figure is the better one. */
export type Better = 'higher' | 'lower';

/** How a metric is named, printed and judged. */
export interface MetricSpec {
  /** Key in the {@link Metrics} a case returns, e.g. `msgPerSec`. */
  readonly name: string;
  /** Unit printed after the figure, e.g. `msg/s`, `µs`, `B`. */
  readonly unit: string;
  /** Direction of goodness; ratios are always `case / baseline`, this only guides the reader. */
  readonly better: Better;
}

/** The figures one timed run of a case reports, keyed by {@link MetricSpec.name}. */
export type Metrics = Record<string, number>;

/** The value of one case knob (plain JSON: it crosses the process boundary). */
export type CaseOption = number | string;

/** What the child process hands a case's `run` function. */
export interface CaseParams {
  /** How much work to do (messages, asks, actors, rounds); the case decides its meaning. */
  readonly size: number;
  /** True for the untimed warm-up pass that precedes the timed one in the same process. */
  readonly warmup: boolean;
  /** Case-specific knobs that are not scaled (e.g. `inFlight: 1000`, `yield: 'io'`). */
  readonly options: Readonly<Record<string, CaseOption>>;
}

/** The shape of a case module: it exports `run`, which does the work and returns its figures. */
export interface CaseModule {
  run(params: CaseParams): Promise<Metrics>;
}

/** One contender in a comparison. */
export interface BenchCase {
  /** Unique within the suite, kebab-case, e.g. `troupe-tell`. */
  readonly id: string;
  /** Human label for the table. */
  readonly label: string;
  /** `subject` is what we are measuring (Troupe); `baseline` is what it is compared with. */
  readonly role: 'subject' | 'baseline';
  /** Absolute file URL of the case module (use `new URL('./cases/x.ts', import.meta.url).href`). */
  readonly module: string;
  /** Work size of the timed pass; each warm-up pass does 10% of it (at least 1). */
  readonly size: number;
  /** Unscaled knobs passed through as {@link CaseParams.options}. Default `{}`. */
  readonly options?: Readonly<Record<string, CaseOption>>;
  /** Run the child with `--expose-gc` (needed for heap measurements). Default false. */
  readonly exposeGc?: boolean;
}

/**
 * A target a subject is judged against. With `baseline`, the figure judged is the ratio
 * `median(case.metric) / median(baseline.metric)` from the same run; without, the absolute median.
 */
export interface Target {
  readonly case: string;
  readonly metric: string;
  readonly baseline?: string;
  readonly op: '>=' | '<=';
  /** The bar that counts as met. */
  readonly value: number;
  /** The figure we aim for beyond the bar (reported, never required). */
  readonly aim?: number;
  /** One line saying what the target means, e.g. `tell >= 0.25x ring queue`. */
  readonly text: string;
}

/** A group of cases interleaved A B C A B C …, with ratios taken against `baseline`. */
export interface Comparison {
  /** Unique within the suite, e.g. `tell`. */
  readonly id: string;
  readonly title: string;
  /** Metrics printed in the table, in column order; the first is the headline. */
  readonly metrics: readonly MetricSpec[];
  readonly cases: readonly BenchCase[];
  /** Id of the case every ratio in this comparison is taken against. */
  readonly baseline: string;
  /** Default `[]`. */
  readonly targets?: readonly Target[];
}

/** A named suite: `npm run bench -- <name>` runs it and writes `bench/results/<name>.json`. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  readonly comparisons: readonly Comparison[];
}
