// The shared shape of the one-way workloads: messages, a producer that sends in batches of 1024
// and yields between batches, and a receiver that keeps what it got alive.

import type { CaseOption } from '../harness/suite.ts';

/** The one-way message every tell case sends: a fresh object per send. */
export type TellMsg = { type: 'n'; v: number };

/** Messages sent between two yields, as a real producer (a socket reader) would. */
export const BATCH = 1024;

/**
 * How the producer yields between batches: `microtask` (`await null`: only queued microtasks run,
 * the raw-limit setting of BENCHMARKING.md) or `io` (setImmediate: pending I/O and macrotasks run
 * too, as between two socket reads).
 */
export type YieldKind = 'microtask' | 'io';

/** Reads the `yield` case option; default `microtask`. */
export function yieldKindOf(options: Readonly<Record<string, CaseOption>>): YieldKind {
  const y = options.yield ?? 'microtask';
  if (y !== 'microtask' && y !== 'io') throw new Error(`option yield=${y}: use 'microtask' or 'io'`);
  return y;
}

/** Resolves on the next setImmediate: lets microtasks and pending I/O run, like a producer's turn ending. */
export function yieldToIo(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** Sends `n` messages `{ type: 'n', v: i }` through `send`, yielding (`how`) after every {@link BATCH}. */
export async function produce(n: number, how: YieldKind, send: (m: TellMsg) => void): Promise<void> {
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + BATCH);
    for (; i < end; i++) send({ type: 'n', v: i });
    if (how === 'io') await yieldToIo();
    else await null;
  }
}

/**
 * Counts deliveries and keeps the last message in a field that outlives the loop (so V8 cannot
 * optimise the message away); `done` resolves at the `expected`-th delivery.
 */
export class Receiver {
  last: TellMsg | undefined;
  count = 0;
  readonly done: Promise<void>;
  private finish!: () => void;

  constructor(readonly expected: number) {
    this.done = new Promise<void>((resolve) => { this.finish = resolve; });
  }

  /** Records one delivery. */
  receive(m: TellMsg): void {
    this.last = m;
    if (++this.count === this.expected) this.finish();
  }

  /** Throws unless every message arrived, the last one last. */
  check(): void {
    if (this.count !== this.expected || this.last?.v !== this.expected - 1) {
      throw new Error(`receiver got ${this.count}/${this.expected} messages, last v=${this.last?.v}`);
    }
  }
}

/** Seconds elapsed since `t0` (from `process.hrtime.bigint()`). */
export function secondsSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * Runs the standard tell workload: `rx.expected` messages through `send`, yielding `how` between
 * batches, timed from the first send to the last delivery at `rx`. Returns `{ msgPerSec }`.
 */
export async function timeTell(rx: Receiver, how: YieldKind, send: (m: TellMsg) => void): Promise<{ msgPerSec: number }> {
  const t0 = process.hrtime.bigint();
  await produce(rx.expected, how, send);
  await rx.done;
  const secs = secondsSince(t0);
  rx.check();
  return { msgPerSec: rx.expected / secs };
}
