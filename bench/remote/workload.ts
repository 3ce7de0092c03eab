// The shared workloads of the remote suite: one-way sends in batches of 1024 with an I/O yield
// between batches, sequential asks timed one by one, and asks with a fixed number in flight.

import { percentile } from '../harness/stats.ts';
import type { CaseOption } from '../harness/suite.ts';
import { produce, secondsSince } from '../local/workload.ts';
import type { CountReply, TellMsg } from './protocol.ts';

/** Reads a positive integer case option, or `fallback` when it is absent. */
export function intOption(options: Readonly<Record<string, CaseOption>>, name: string, fallback: number): number {
  const n = options[name] ?? fallback;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error(`option ${name}=${n}: use a positive integer`);
  return n;
}

/**
 * The ask phases' sizes: `size` sequential asks, then `size × pipelinedFactor` asks with
 * `inFlight` outstanding. Options `pipelinedFactor` (default 10) and `inFlight` (default 1000).
 */
export function askSizesOf(size: number, options: Readonly<Record<string, CaseOption>>): { sequential: number; pipelined: number; inFlight: number } {
  return { sequential: size, pipelined: size * intOption(options, 'pipelinedFactor', 10), inFlight: intOption(options, 'inFlight', 1000) };
}

/**
 * Sends `n` messages `{ type: 'n', v: i }` through `send` in batches of 1024, yielding on
 * setImmediate after each batch (so socket writes and reads happen between batches, as between
 * two reads of a real producer), then awaits `finish()` (which must resolve once the receiver has
 * processed all of them). Returns `{ msgPerSec }`, timed from the first send to `finish`'s answer.
 */
export async function timeTellRemote(n: number, send: (m: TellMsg) => void, finish: () => Promise<void>): Promise<{ msgPerSec: number }> {
  const t0 = process.hrtime.bigint();
  await produce(n, 'io', send);
  await finish();
  return { msgPerSec: n / secondsSince(t0) };
}

/** Keeps the last reply alive beyond the loops (defeats dead-code elimination). */
let lastReply: unknown;

/** Figures every ask case reports (names as in the local suite). */
export interface AskFigures {
  [metric: string]: number;
  /** Asks per second with `inFlight` outstanding. */
  pipelinedAsksPerSec: number;
  /** Sequential asks: median and 99th percentile latency (µs), and rate (asks over the total time). */
  askP50Us: number;
  askP99Us: number;
  asksPerSec: number;
}

/**
 * Two phases through `ask`: `sizes.sequential` asks one after another, each timed with
 * `process.hrtime.bigint()`; then `sizes.pipelined` asks with `sizes.inFlight` outstanding (a new
 * one starts at each reply). The server must reply with its running count of served asks: the
 * highest reply must end at `served + sequential + pipelined` (`served`: what it had served
 * before), or this throws (asks lost or doubled).
 */
export async function measureAsks(sizes: { sequential: number; pipelined: number; inFlight: number }, served: number, ask: () => Promise<number>): Promise<AskFigures> {
  const n = sizes.sequential;
  const samples = new Float64Array(n);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    lastReply = await ask();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  const asksPerSec = n / secondsSince(start);
  if (lastReply !== served + n) throw new Error(`the server answered ${String(lastReply)} to the last sequential ask, expected ${served + n}: asks were lost or doubled`);
  samples.sort();
  const m = sizes.pipelined;
  const t0 = process.hrtime.bigint();
  let maxReply = 0;
  await new Promise<void>((resolve, reject) => {
    let started = 0;
    let finished = 0;
    const onReply = (v: number): void => {
      lastReply = v;
      if (v > maxReply) maxReply = v;
      finished++;
      if (started < m) { started++; ask().then(onReply, reject); } else if (finished === m) resolve();
    };
    for (const k = Math.min(sizes.inFlight, m); started < k;) { started++; ask().then(onReply, reject); }
  });
  const pipelinedAsksPerSec = m / secondsSince(t0);
  const expected = served + n + m;
  if (maxReply !== expected) throw new Error(`the server answered at most ${maxReply}, expected ${expected}: asks were lost or doubled`);
  return { pipelinedAsksPerSec, askP50Us: percentile(samples, 50), askP99Us: percentile(samples, 99), asksPerSec };
}

/** The NATS server the NATS and Moleculer cases use: `TROUPE_NATS_URL`, default `nats://127.0.0.1:14222`. */
export function natsUrl(): string {
  return process.env.TROUPE_NATS_URL || 'nats://127.0.0.1:14222';
}

/** A fresh 32-byte cluster secret (hex) for one measuring process and its servers. */
export function freshSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('hex');
}

/**
 * Calls `count()` until the counts it returns add up to `expected` (the receiver may still be
 * working through earlier one-way messages when the first call arrives); bounded by `timeoutMs`
 * (default 60 000). Returns the total and the last `v` the receiver saw.
 */
export async function countUntil(expected: number, count: () => Promise<CountReply>, timeoutMs = 60_000): Promise<CountReply> {
  const deadline = Date.now() + timeoutMs;
  let total = 0;
  let last = -1;
  while (total < expected && Date.now() < deadline) {
    const r = await count();
    total += r.count;
    if (r.count > 0) last = r.last;
    if (total < expected) await new Promise((resolve) => setImmediate(resolve));
  }
  return { count: total, last };
}
