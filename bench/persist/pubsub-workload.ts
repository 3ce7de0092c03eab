// The shared pub/sub workload: sequential publishes (each waits for its handler: per-event latency
// from the publish call to the handler, unloaded), then pipelined publishes (delivery rate, and
// latency under load), retrying publishes refused for backpressure once the topic is writable.

import { percentile } from '../harness/stats.ts';

/** The published payload: its sequence number and when it was published (`performance.now()`). */
export interface Tick {
  readonly seq: number;
  readonly sentAtMs: number;
  readonly note: string;
}

const NOTE = 'a small event on the bus, about one hundred bytes as JSON';

/** The publishing side of a bus under test, built around the workload's handler. */
export interface BusUnderTest {
  /** Publishes `tick`; resolves once the bus routed it; rejects with `isBackpressure(e)` when refused for a full buffer. */
  publish(tick: Tick): Promise<unknown>;
  isBackpressure(e: unknown): boolean;
  /** Resolves when a refused publish may be tried again. */
  whenWritable(): Promise<void>;
  close(): Promise<void>;
}

/** Figures of one pub/sub run (latencies in µs). */
export interface PubSubFigures {
  [metric: string]: number;
  eventsPerSec: number;
  latencyP50Us: number;
  latencyP99Us: number;
  loadedP50Us: number;
  loadedP99Us: number;
}

/** Keeps the last handled payload reachable (defeats dead-code elimination). */
export let lastHandled: Tick | undefined;

/**
 * Sequential phase: `ceil(n / 10)` events, each published after the previous one was handled.
 * Pipelined phase: `n` events with `inFlight` publishes outstanding, timed until the handler has
 * seen all of them. Throws if an event is lost or handled twice. `start` gets the handler to subscribe.
 */
export async function measurePubSub(n: number, inFlight: number, start: (handler: (t: Tick) => void) => Promise<BusUnderTest>): Promise<PubSubFigures> {
  const sequential = Math.max(1, Math.ceil(n / 10));
  const total = sequential + n;
  const seen = new Uint8Array(total);
  const latencies = new Float64Array(total);
  let handled = 0;
  let duplicates = 0;
  let wake: (() => void) | undefined;
  let waitFor = 0;
  const handler = (t: Tick): void => {
    if (seen[t.seq] === 1) { duplicates++; return; }
    seen[t.seq] = 1;
    latencies[t.seq] = (performance.now() - t.sentAtMs) * 1e3;
    lastHandled = t;
    if (++handled >= waitFor && wake) { const w = wake; wake = undefined; w(); }
  };
  const handledReaches = (count: number): Promise<void> => {
    if (handled >= count) return Promise.resolve();
    waitFor = count;
    return new Promise((resolve) => { wake = resolve; });
  };
  const bus = await start(handler);
  // Stamped once: a publish refused for backpressure and retried counts its wait as latency.
  const publish = async (seq: number): Promise<void> => {
    const tick: Tick = { seq, sentAtMs: performance.now(), note: NOTE };
    for (;;) {
      try {
        await bus.publish(tick);
        return;
      } catch (e) {
        if (!bus.isBackpressure(e)) throw e;
        await bus.whenWritable();
      }
    }
  };
  try {
    for (let seq = 0; seq < sequential; seq++) {
      const done = handledReaches(seq + 1);
      await publish(seq);
      await done;
    }
    const t0 = process.hrtime.bigint();
    const all = handledReaches(total);
    let next = sequential;
    const publisher = async (): Promise<void> => { while (next < total) await publish(next++); };
    await Promise.all(Array.from({ length: Math.min(inFlight, n) }, publisher));
    await all;
    const eventsPerSec = n / (Number(process.hrtime.bigint() - t0) / 1e9);
    if (handled !== total || duplicates !== 0) throw new Error(`handled ${handled}/${total} events, ${duplicates} twice`);
    const unloaded = latencies.slice(0, sequential).sort();
    const loaded = latencies.slice(sequential).sort();
    return {
      eventsPerSec, latencyP50Us: percentile(unloaded, 50), latencyP99Us: percentile(unloaded, 99),
      loadedP50Us: percentile(loaded, 50), loadedP99Us: percentile(loaded, 99),
    };
  } finally {
    await bus.close();
  }
}
