// Runs one case once, in a fresh Node process (tsx loader, optionally --expose-gc), and returns
// what the child reported, or why it produced nothing.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildReport, ChildRequest } from './child.ts';
import type { BenchCase } from './suite.ts';

const childPath = fileURLToPath(new URL('./child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Knobs of one child run. */
export interface RunCaseOptions {
  /** Multiplies the case's size (timed and warm-up). Default 1. */
  readonly scale: number;
  /**
   * Untimed passes of 10% of the size before the timed pass, in the same process. Default 3: with
   * one pass the first timed 5M-message run of the ring baseline was still 30–40% slow (V8 had
   * not finished optimising), after three it was steady.
   */
  readonly warmupPasses: number;
  /** Kill the child and report `failed` after this long. Default 180_000 ms. */
  readonly timeoutMs: number;
}

/** The timed pass's size and each warm-up pass's (10% of it, at least 1). */
export function sizesOf(c: BenchCase, scale: number): { size: number; warmupSize: number } {
  const size = Math.max(1, Math.round(c.size * scale));
  return { size, warmupSize: Math.max(1, Math.round(size / 10)) };
}

/**
 * Forks `child.ts` for `c`, waits for its one IPC report and its exit. Never rejects: a crash, a
 * silent exit or a timeout becomes `{ status: 'failed', reason }` carrying the stderr tail.
 */
export function runCase(c: BenchCase, opts: RunCaseOptions): Promise<ChildReport> {
  const request: ChildRequest = { module: c.module, ...sizesOf(c, opts.scale), warmupPasses: opts.warmupPasses, options: c.options ?? {} };
  const execArgv = ['--import', 'tsx', ...(c.exposeGc ? ['--expose-gc'] : [])];
  return new Promise((resolve) => {
    const child = fork(childPath, [JSON.stringify(request)], {
      cwd: repoRoot, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let tail = '';
    const keep = (chunk: Buffer): void => { tail = (tail + chunk.toString()).slice(-2000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let report: ChildReport | undefined;
    const timer = setTimeout(() => {
      report ??= { status: 'failed', reason: `timed out after ${opts.timeoutMs} ms\n${tail}` };
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('message', (m) => { report ??= m as ChildReport; });
    child.on('error', (e) => { report ??= { status: 'failed', reason: `could not start child: ${e.message}` }; });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(report ?? { status: 'failed', reason: `child exited (code ${code}, signal ${signal}) without a report\n${tail}` });
    });
  });
}
