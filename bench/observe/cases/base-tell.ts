// Local tell on the code before tracing existed, for an off-vs-before ratio in the same run: runs
// the local suite's tell case from the tree at TROUPE_BENCH_BASE (e.g. `git archive <base> | tar -x`
// with node_modules linked). Without it the import fails and the harness skips this case.

import type { CaseModule, CaseParams, Metrics } from '../../harness/suite.ts';

const base = process.env.TROUPE_BENCH_BASE ?? '/nonexistent-troupe-bench-base';
const mod = (await import(`${base}/bench/local/cases/troupe-tell.ts`)) as CaseModule;

/** The base tree's `troupe-tell` run, unchanged, plus `cpuNsPerMsg` measured around it (as traced-tell.ts does). */
export async function run(params: CaseParams): Promise<Metrics> {
  const cpu0 = process.cpuUsage();
  const figures = await mod.run(params);
  const cpu = process.cpuUsage(cpu0);
  return { ...figures, cpuNsPerMsg: ((cpu.user + cpu.system) * 1_000) / params.size };
}
