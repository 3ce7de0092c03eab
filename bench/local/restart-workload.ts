// The shared crash→restart→serving workload: each round crashes the actor and waits for the reply
// of the next ask, which only a restarted actor can give.

import { percentile } from '../harness/stats.ts';
import { secondsSince } from './workload.ts';

/** Figures every restart case reports. */
export interface RestartFigures {
  [metric: string]: number;
  restartP50Us: number;
  restartP99Us: number;
  restartsPerSec: number;
}

/**
 * Runs `rounds` sequential rounds; `round()` must send the crash, then ask, and resolve with the
 * reply. Each reply must be 1: the first ask served by fresh state (init ran again), else this
 * throws. Latency of each round by `process.hrtime.bigint()`, from before the crash to the reply.
 */
export async function measureRestarts(rounds: number, round: () => Promise<number>): Promise<RestartFigures> {
  const samples = new Float64Array(rounds);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    const r0 = process.hrtime.bigint();
    const reply = await round();
    samples[i] = Number(process.hrtime.bigint() - r0) / 1e3;
    if (reply !== 1) throw new Error(`round ${i}: reply ${reply}, expected 1 (the actor was not restarted with fresh state)`);
  }
  const restartsPerSec = rounds / secondsSince(t0);
  samples.sort();
  return { restartP50Us: percentile(samples, 50), restartP99Us: percentile(samples, 99), restartsPerSec };
}
