// A system's metrics: one prom-client registry holding the runtime's families (actors, node, event
// bus, journals, sagas) and the user's own counters, gauges and histograms, rendered as Prometheus
// text 0.0.4 or OpenMetrics 1.0 for /metrics.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TroupeError } from '../errors.ts';
import { createEventLoopMonitor, type EventLoopMonitor, type EventLoopReading } from '../real-event-loop.ts';
import { createRuntimeFamilies, type RuntimeFamilies } from './internal/runtime-families.ts';

/**
 * Options of `createSystem({ metrics })` (`metrics: true` takes every default). Defaults:
 * `sampleEvery` `'auto'` — handler and ask durations are timed for one operation in N, N chosen
 * so timing costs about 1% of the time measured (every operation once they take ≳ 10 µs; a
 * number fixes N, 1 times all); `eventLoop` true (event-loop delay and utilization, heap);
 * `defaultLabels` none (labels added to every series, e.g. `{ service: 'orders' }`).
 */
export interface MetricsOptions {
  readonly sampleEvery?: number | 'auto';
  readonly eventLoop?: boolean;
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** What `/metrics` answers: always 200, the format asked for, the whole registry. */
export interface MetricsResponse {
  readonly status: 200;
  readonly contentType: string;
  readonly body: string;
}

/** Name, help and label names of a user metric (see prom-client's configurations). */
export interface MetricConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
}

/**
 * The metrics of one system (`system.metrics`, present when created with `metrics`).
 * @example
 * const orders = system.metrics!.counter({ name: 'shop_orders_placed_total', help: 'Orders placed.', labelNames: ['channel'] });
 * orders.inc({ channel: 'web' });
 * const { contentType, body } = await system.metrics!.render(); // what GET /metrics serves
 */
export interface SystemMetrics {
  /** The prom-client registry: register any prom-client metric with `registers: [registry]`. */
  readonly registry: Registry;
  /** A counter on this registry (name ending `_total`). Throws `duplicate-name` for a name in use, `invalid-argument` for a bad name. */
  counter<L extends string = never>(config: MetricConfig<L>): Counter<L>;
  /** A gauge on this registry. */
  gauge<L extends string = never>(config: MetricConfig<L>): Gauge<L>;
  /** A histogram on this registry (name ending in its unit, e.g. `_seconds`; default buckets prom-client's). */
  histogram<L extends string = never>(config: MetricConfig<L> & { readonly buckets?: readonly number[] }): Histogram<L>;
  /**
   * Renders every metric. `accept` is the request's Accept header: OpenMetrics 1.0 when it names
   * `application/openmetrics-text`, else Prometheus text 0.0.4. Scrapes run one at a time.
   */
  render(accept?: string): Promise<MetricsResponse>;
  /** A node:http handler serving {@link render} (mount it on GET /metrics). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

/** Picks OpenMetrics when the Accept header names it. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

/** @internal The system metrics and the runtime's side of them. */
export class MetricsHub implements SystemMetrics {
  readonly registry = new Registry();
  readonly families: RuntimeFamilies;
  readonly sampleEvery: number | undefined;
  private readonly loop: EventLoopMonitor | null;
  private loopReading: EventLoopReading | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly closers: (() => void)[] = [];

  constructor(options: MetricsOptions, where: string) {
    const o = options;
    if (typeof o !== 'object' || o === null) throw new TroupeError('invalid-argument', `${where}: metrics must be true or { sampleEvery?, eventLoop?, defaultLabels? }.`, { field: 'metrics' });
    const every = o.sampleEvery ?? 'auto';
    if (every !== 'auto' && !(Number.isInteger(every) && every >= 1)) {
      throw new TroupeError('invalid-argument', `${where}: metrics.sampleEvery must be 'auto' (default) or an integer ≥ 1 (1 times every message), got ${String(every)}.`, { field: 'metrics.sampleEvery' });
    }
    this.sampleEvery = every === 'auto' ? undefined : every;
    if (o.defaultLabels !== undefined) this.registry.setDefaultLabels({ ...o.defaultLabels });
    this.families = createRuntimeFamilies(this.registry);
    this.loop = o.eventLoop === false ? null : createEventLoopMonitor();
    const f = this.families;
    const reading = (pick: (r: EventLoopReading) => number) => (add: (l: Record<string, string>, v: number) => void): void => {
      const r = this.readLoop();
      if (r !== null) add({}, pick(r));
    };
    f.loopDelayP50.collect(reading((r) => r.delayP50Seconds));
    f.loopDelayP99.collect(reading((r) => r.delayP99Seconds));
    f.loopDelayMax.collect(reading((r) => r.delayMaxSeconds));
    f.loopUtilization.collect(reading((r) => r.utilization));
    f.heapUsed.collect(reading((r) => r.heapUsedBytes));
    f.heapTotal.collect(reading((r) => r.heapTotalBytes));
  }

  /** One event-loop reading per render (the families of one render share it). */
  private readLoop(): EventLoopReading | null {
    if (this.loop === null) return null;
    if (this.loopReading === null) {
      this.loopReading = this.loop.read();
      void Promise.resolve().then(() => { this.loopReading = null; });
    }
    return this.loopReading;
  }

  counter<L extends string = never>(config: MetricConfig<L>): Counter<L> {
    return this.make(() => new Counter<L>({ name: config.name, help: config.help, labelNames: config.labelNames ?? [], registers: [this.registry] }), config.name);
  }

  gauge<L extends string = never>(config: MetricConfig<L>): Gauge<L> {
    return this.make(() => new Gauge<L>({ name: config.name, help: config.help, labelNames: config.labelNames ?? [], registers: [this.registry] }), config.name);
  }

  histogram<L extends string = never>(config: MetricConfig<L> & { readonly buckets?: readonly number[] }): Histogram<L> {
    return this.make(() => new Histogram<L>({
      name: config.name, help: config.help, labelNames: config.labelNames ?? [], registers: [this.registry],
      ...(config.buckets !== undefined ? { buckets: [...config.buckets] } : {}),
    }), config.name);
  }

  private make<T>(create: () => T, name: string): T {
    if (this.registry.getSingleMetric(name) !== undefined) {
      throw new TroupeError('duplicate-name', `A metric named "${name}" is registered on this system already; reuse it or pick another name.`, { name });
    }
    try {
      return create();
    } catch (e) {
      throw new TroupeError('invalid-argument', `Metric "${name}": ${e instanceof Error ? e.message : String(e)} (names: [a-zA-Z_:][a-zA-Z0-9_:]*; counters end in _total, units as suffixes like _seconds, _bytes).`, { name });
    }
  }

  render(accept?: string): Promise<MetricsResponse> {
    const open = wantsOpenMetrics(accept);
    const run = async (): Promise<MetricsResponse> => {
      // prom-client renames counters (drops `_total`) while it renders OpenMetrics: put the names back.
      const metrics = this.registry.getMetricsAsArray() as unknown as { name: string }[];
      const names = metrics.map((m) => m.name);
      if (open) this.registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
      try {
        const body = await this.registry.metrics();
        return { status: 200, contentType: open ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE, body };
      } finally {
        metrics.forEach((m, i) => { m.name = names[i]; });
        if (open) this.registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE as never);
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    res.on('error', () => { /* the scraper went away */ });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed; use GET\n');
      return;
    }
    this.render(req.headers.accept).then((r) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(r.status, { 'content-type': r.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : r.body);
    }, (e: unknown) => {
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`metrics failed: ${e instanceof Error ? e.message : String(e)}\n`);
    });
  };

  private readonly parts = new Map<string, unknown>();

  /** The state a subsystem (sagas, …) keeps on this registry, made on first use. */
  part<T>(key: string, make: () => T): T {
    let p = this.parts.get(key) as T | undefined;
    if (p === undefined) { p = make(); this.parts.set(key, p); }
    return p;
  }

  /** Runs `fn` when the system terminates (collectors of subsystems let go). */
  onClose(fn: () => void): void { this.closers.push(fn); }

  /** The system terminated: stop sampling the event loop. */
  close(): void {
    this.loop?.close();
    for (const f of this.closers.splice(0)) { try { f(); } catch { /* closing goes on */ } }
  }
}

/** @internal The runtime side of a system's metrics (for the event bus, journals, sagas, nodes), if it has metrics. */
export function runtimeMetricsOf(metrics: SystemMetrics | undefined): MetricsHub | undefined {
  return metrics instanceof MetricsHub ? metrics : undefined;
}
