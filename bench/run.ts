// `npm run bench [-- <suite>[/<comparison>] ...]`: runs suites, prints tables, writes
// bench/results/<suite>.json. Env: BENCH_RUNS (default 5), BENCH_SCALE (1), BENCH_WARMUP_PASSES (3),
// BENCH_TIMEOUT_MS (180000).

import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { reportLines } from './harness/report.ts';
import { runSuite, type SuiteResult } from './harness/run-suite.ts';
import type { Suite } from './harness/suite.ts';
import { suites } from './suites.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function envNumber(name: string, fallback: number, isValid: (x: number) => boolean): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const x = Number(raw);
  if (!isValid(x)) throw new Error(`${name}=${raw} is not valid; unset it or give e.g. ${name}=${fallback}`);
  return x;
}

/** Resolves CLI args (`local`, `local/tell`) to suites, narrowed to the named comparisons. */
function selectSuites(args: readonly string[]): { suite: Suite; partial: boolean }[] {
  if (args.length === 0) return suites.map((suite) => ({ suite, partial: false }));
  const known = `known suites: ${suites.map((s) => `${s.name} (${s.comparisons.map((c) => c.id).join(', ')})`).join('; ')}`;
  const picked = new Map<string, Set<string> | 'all'>();
  for (const arg of args) {
    const [name, cmp] = arg.split('/');
    const suite = suites.find((s) => s.name === name);
    if (!suite) throw new Error(`unknown suite "${name}"; ${known}`);
    if (cmp !== undefined && !suite.comparisons.some((c) => c.id === cmp)) throw new Error(`suite "${name}" has no comparison "${cmp}"; ${known}`);
    const prev = picked.get(name);
    if (cmp === undefined || prev === 'all') picked.set(name, 'all');
    else picked.set(name, new Set([...(prev ?? []), cmp]));
  }
  return suites.filter((s) => picked.has(s.name)).map((s) => {
    const only = picked.get(s.name)!;
    if (only === 'all') return { suite: s, partial: false };
    return { suite: { ...s, comparisons: s.comparisons.filter((c) => only.has(c.id)) }, partial: true };
  });
}

async function main(): Promise<number> {
  const runs = envNumber('BENCH_RUNS', 5, (x) => Number.isInteger(x) && x >= 1);
  const scale = envNumber('BENCH_SCALE', 1, (x) => x > 0 && Number.isFinite(x));
  const warmupPasses = envNumber('BENCH_WARMUP_PASSES', 3, (x) => Number.isInteger(x) && x >= 0);
  const timeoutMs = envNumber('BENCH_TIMEOUT_MS', 180_000, (x) => x > 0);
  const selected = selectSuites(process.argv.slice(2).filter((a) => a !== '--'));
  const results: SuiteResult[] = [];
  for (const { suite, partial } of selected) {
    const result = await runSuite(suite, { runs, scale, warmupPasses, timeoutMs, log: (l) => console.log(l) });
    results.push(result);
    mkdirSync(resultsDir, { recursive: true });
    const file = `${resultsDir}${suite.name}${partial ? '-partial' : ''}.json`;
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    for (const line of reportLines(result)) console.log(line);
    console.log(`\nwrote ${file}`);
  }
  const failed = results.flatMap((r) => r.comparisons.flatMap((c) => c.cases.filter((x) => x.status === 'failed')));
  return failed.length > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 2;
});
