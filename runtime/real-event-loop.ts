// The one file that reads the real event loop and heap (node:perf_hooks, process.memoryUsage):
// readings for /metrics only, never for actor logic. Sits beside real-clock.ts under the same rule.

import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Event-loop delay (seconds) and utilization (0–1) over one interval, and the V8 heap. */
export interface EventLoopReading {
  readonly delayP50Seconds: number;
  readonly delayP99Seconds: number;
  readonly delayMaxSeconds: number;
  readonly utilization: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
}

/** Reads the event loop since its previous reading. */
export interface EventLoopMonitor {
  /** Readings since the previous call (or since it started), then starts a new interval. */
  read(): EventLoopReading;
  /** Stops sampling. Idempotent. */
  close(): void;
}

/**
 * Starts sampling event-loop delay (every 20 ms, Node's histogram timer, which does not keep the
 * process alive) and remembers the utilization counters.
 * @example const loop = createEventLoopMonitor(); const r = loop.read(); loop.close();
 */
export function createEventLoopMonitor(): EventLoopMonitor {
  const h = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  let open = true;
  return {
    read() {
      const now = performance.eventLoopUtilization();
      const elu = performance.eventLoopUtilization(now, last);
      last = now;
      const ns = (v: number): number => (Number.isFinite(v) && h.count > 0 ? v / 1e9 : 0);
      const mem = process.memoryUsage();
      const r: EventLoopReading = {
        delayP50Seconds: ns(h.percentile(50)),
        delayP99Seconds: ns(h.percentile(99)),
        delayMaxSeconds: ns(h.max),
        utilization: Number.isFinite(elu.utilization) ? elu.utilization : 0,
        heapUsedBytes: mem.heapUsed,
        heapTotalBytes: mem.heapTotal,
      };
      h.reset();
      return r;
    },
    close() {
      if (!open) return;
      open = false;
      h.disable();
    },
  };
}
