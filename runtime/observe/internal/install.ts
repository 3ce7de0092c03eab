// Builds a system's observability from its options: the logger (always; silent costs nothing),
// the metrics registry (when asked), and the observer the runtime's hooks call when either is on.

import type { Clock } from '../../clock.ts';
import type { LogOptions } from '../log-options.ts';
import { MetricsHub, type MetricsOptions } from '../metrics.ts';
import { ActorMetrics, type WalkedCell } from './actor-metrics.ts';
import { Observer } from './observer.ts';
import { SystemLog } from './system-log.ts';
import type { TraceHost } from '../tracing.ts';

/** What a system holds for metrics and logs. */
export interface Observability {
  readonly metrics: MetricsHub | undefined;
  readonly logs: SystemLog;
  /** Null when metrics are off and the log is silent: the hooks then cost one null check. */
  readonly observer: Observer | null;
}

/** Reads `metrics` / `log` options (throws `invalid-argument` on bad ones); log lines carry `id.traceHost`'s trace ids (create it first). */
export function installObservability(
  options: { readonly metrics?: boolean | MetricsOptions; readonly log?: LogOptions },
  id: { readonly name: string; readonly node: string; readonly clock: Clock; readonly traceHost: TraceHost | null },
  root: () => WalkedCell,
  where: string,
): Observability {
  const logs = new SystemLog(options.log ?? {}, id.name, id.node, id.clock, where);
  const m = options.metrics;
  const metrics = m === undefined || m === false ? undefined : new MetricsHub(m === true ? {} : m, where);
  const actors = metrics === undefined ? null : new ActorMetrics(metrics.families, root, metrics.sampleEvery);
  const observer = metrics === undefined && logs.silent ? null : new Observer(id.clock, actors, logs, id.traceHost);
  return { metrics, logs, observer };
}
