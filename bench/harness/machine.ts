// A description of the machine and code a result was measured on, stored beside the figures.

import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Where and on what a result was measured. */
export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpus: number;
  readonly totalMemBytes: number;
  /** 1, 5 and 15 minute load averages when the run started (a busy machine skews figures). */
  readonly loadAvg: readonly number[];
  /** `git rev-parse HEAD`, or `unknown`; the working tree may hold uncommitted changes. */
  readonly gitCommit: string;
}

/** Reads the current machine's description (synchronous, a few milliseconds). */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let gitCommit = 'unknown';
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a git checkout */ }
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    totalMemBytes: os.totalmem(),
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    gitCommit,
  };
}
