// The child-process entry: imports one case module, runs its warm-up passes and then its timed pass,
// and reports the figures to the parent over IPC. One case per fresh process, nothing shared.

import type { CaseModule, CaseOption, Metrics } from './suite.ts';

/** What the parent passes in `argv[2]` (JSON). */
export interface ChildRequest {
  readonly module: string;
  readonly size: number;
  readonly warmupSize: number;
  readonly warmupPasses: number;
  readonly options: Readonly<Record<string, CaseOption>>;
}

/**
 * What the child sends back. `skipped` means the case could not be loaded because a module it
 * imports does not exist (yet); `failed` means it loaded but threw, or its API did not match.
 */
export type ChildReport =
  | { readonly status: 'ok'; readonly metrics: Metrics }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly reason: string };

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** True when the import failed because some module other than the case file itself is missing. */
function isMissingDependency(e: unknown, caseUrl: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND') return false;
  const casePath = new URL(caseUrl).pathname;
  return !messageOf(e).includes(`'${casePath}'`);
}

async function main(): Promise<ChildReport> {
  const request = JSON.parse(process.argv[2] ?? '') as ChildRequest;
  let mod: CaseModule;
  try {
    mod = (await import(request.module)) as CaseModule;
  } catch (e) {
    const why = `cannot import ${request.module}: ${messageOf(e)}`;
    return isMissingDependency(e, request.module) ? { status: 'skipped', reason: why } : { status: 'failed', reason: why };
  }
  if (typeof mod.run !== 'function') return { status: 'failed', reason: `${request.module} does not export run(params)` };
  try {
    for (let i = 0; i < request.warmupPasses; i++) await mod.run({ size: request.warmupSize, warmup: true, options: request.options });
    const metrics = await mod.run({ size: request.size, warmup: false, options: request.options });
    return { status: 'ok', metrics };
  } catch (e) {
    return { status: 'failed', reason: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

const report = await main();
if (process.send) process.send(report, () => process.exit(0));
else { console.log(JSON.stringify(report)); process.exit(0); }
