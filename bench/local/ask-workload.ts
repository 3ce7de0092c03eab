// The shared request/reply workload: sequential asks timed one by one (p50/p99), sequential asks
// timed in bulk (rate, and CPU time per ask), and asks with a fixed number in flight (pipelined rate).

import { percentile } from '../harness/stats.ts';
import type { CaseOption } from '../harness/suite.ts';
import { secondsSince } from './workload.ts';

/** Figures every ask case reports. */
export interface AskFigures {
  [metric: string]: number;
  askP50Us: number;
  askP99Us: number;
  asksPerSec: number;
  pipelinedAsksPerSec: number;
  /** CPU time (process, user + system) per sequential ask: unlike the rates, not inflated by preemption on a busy machine. */
  seqCpuNsPerAsk: number;
}

/** Reads the `inFlight` case option (asks outstanding in the pipelined phase); default 1000. */
export function inFlightOf(options: Readonly<Record<string, CaseOption>>): number {
  const n = options.inFlight ?? 1000;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error(`option inFlight=${n}: use a positive integer`);
  return n;
}

/** Keeps the last reply alive beyond the loops (defeats dead-code elimination). */
let lastReply: unknown;

async function pipelined(n: number, inFlight: number, ask: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    let started = 0;
    let finished = 0;
    const onReply = (v: unknown): void => {
      lastReply = v;
      finished++;
      if (started < n) { started++; ask().then(onReply, reject); } else if (finished === n) resolve();
    };
    for (const k = Math.min(inFlight, n); started < k;) { started++; ask().then(onReply, reject); }
  });
  return n / secondsSince(t0);
}

/**
 * Runs `n` asks three ways through `ask`: one at a time with each latency taken by
 * `process.hrtime.bigint()`, one at a time timed in bulk (wall and process CPU time), and with
 * `inFlight` outstanding.
 * The server must reply with the number of asks it has served; after the three phases the last
 * reply must be `3 * n`, or this throws (asks lost or doubled).
 */
export async function measureAsks(n: number, inFlight: number, ask: () => Promise<number>): Promise<AskFigures> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    lastReply = await ask();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1e3;
  }
  samples.sort();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) lastReply = await ask();
  const asksPerSec = n / secondsSince(t0);
  const cpu = process.cpuUsage(cpu0);
  const seqCpuNsPerAsk = ((cpu.user + cpu.system) * 1e3) / n;
  const pipelinedAsksPerSec = await pipelined(n, inFlight, ask);
  if (lastReply !== 3 * n) throw new Error(`the server answered ${String(lastReply)} last, expected ${3 * n}: asks were lost or doubled`);
  return { askP50Us: percentile(samples, 50), askP99Us: percentile(samples, 99), asksPerSec, pipelinedAsksPerSec, seqCpuNsPerAsk };
}
