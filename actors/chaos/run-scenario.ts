// Runs a chaos scenario against a target and resolves with its resilience report: the runner
// actor lives in a small system on the target's clock, so the same call drives a local cluster
// on real time and a simulated one on virtual time.

import { TroupeError } from '../../runtime/errors.ts';
import { createRealRandom } from '../../runtime/real-clock.ts';
import { createSystem } from '../../runtime/system.ts';
import { Injector } from './internal/injector.ts';
import { defineRunner } from './internal/runner.ts';
import type { ResilienceReport } from './report.ts';
import type { Scenario } from './scenario.ts';
import { checkSteps } from './schedule.ts';
import type { ChaosTarget } from './target.ts';

/**
 * Options of {@link runScenario}. `seed`: default the scenario's, else the `TROUPE_CHAOS_SEED`
 * environment variable, else a fresh random one (always in the report). `log`: progress lines
 * (faults as they are injected, failed injections, the verdicts); default none. `limitMs`: the
 * most the whole run may take on the target's clock before it rejects (default: the method's
 * duration + the recovery timeout + 120 000). `commandTimeoutMs`: how long a node's chaos agent
 * may take to answer a command (default 5 000; a paused node never answers).
 */
export interface RunScenarioOptions {
  readonly seed?: number;
  readonly log?: (line: string) => void;
  readonly limitMs?: number;
  readonly commandTimeoutMs?: number;
}

function seedFrom(options: RunScenarioOptions, scenario: Scenario): number {
  const given = options.seed ?? scenario.seed;
  if (given !== undefined) {
    if (!Number.isSafeInteger(given)) throw new TroupeError('invalid-argument', `runScenario: seed must be an integer, got ${String(given)}.`, { field: 'seed' });
    return given;
  }
  const env = process.env.TROUPE_CHAOS_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isSafeInteger(n)) throw new TroupeError('invalid-argument', `TROUPE_CHAOS_SEED must be an integer, got '${env}'.`, { field: 'seed' });
    return n;
  }
  return createRealRandom().seed;
}

/**
 * Runs `scenario` against `target`: the hypothesis before (the method runs only if it holds), the
 * method's faults at their planned times, the hypothesis every `everyMs` while they act and after
 * every fault is undone until it holds again (at most `recoveryTimeoutMs`), the hypothesis
 * after, then the rollbacks by strategy. Resolves with the report whatever the verdict (check
 * `status` and `deviated`); rejects `invalid-spec` before doing anything when a fault names a
 * node the target does not have, and `ask-timeout` when the run exceeds `limitMs`.
 *
 * @example
 * const report = await runScenario(scenario, localClusterTarget(cluster), { log: console.log });
 * console.log(formatReport(report));
 */
export async function runScenario(scenario: Scenario, target: ChaosTarget, options: RunScenarioOptions = {}): Promise<ResilienceReport> {
  if (scenario?.kind !== 'chaos-scenario') throw new TroupeError('invalid-argument', 'runScenario: expected a scenario from defineScenario.', { field: 'scenario' });
  checkSteps(scenario.method, scenario.durationMs, target.nodes());
  const seed = seedFrom(options, scenario);
  const log = options.log ?? ((): void => {});
  log(`chaos: scenario "${scenario.name}" on ${target.kind}, seed ${seed}`);
  const system = createSystem({ name: 'chaos', node: 'chaos-runner', scheduler: target.scheduler, seed });
  const injector = new Injector(target, seed, target.scheduler, options.commandTimeoutMs);
  const limitMs = options.limitMs ?? scenario.durationMs + scenario.recoveryTimeoutMs + 120_000;
  let settle!: (r: ResilienceReport | Error) => void;
  const done = new Promise<ResilienceReport | Error>((resolve) => { settle = resolve; });
  const sub = system.events$.subscribe((e) => {
    if (e.type === 'stopped' && e.path === '/user/runner' && e.reason === 'failure') settle(new TroupeError('invalid-argument', 'runScenario: the runner failed (a bug in Troupe\'s chaos runner); the faults were undone.'));
  });
  const runner = system.spawn(defineRunner({ scenario, seed, target, injector, log, done: (r) => settle(r) }), 'runner', { restart: 'temporary' });
  runner.tell({ type: 'begin' });
  const limit = target.scheduler.startTimer(limitMs, () => settle(new TroupeError('ask-timeout', `runScenario: "${scenario.name}" did not finish within ${limitMs} ms; raise limitMs or shorten the scenario.`, { limitMs })));
  let outcome: ResilienceReport | Error;
  try {
    outcome = await target.drive(done, limitMs + 1_000);
  } finally {
    target.scheduler.cancelTimer(limit);
    sub.unsubscribe();
  }
  if (outcome instanceof Error) await target.drive(injector.revertAll(), 30_000).catch(() => undefined);
  await target.drive(system.terminate(), 10_000);
  if (outcome instanceof Error) throw outcome;
  log(`chaos: "${scenario.name}" ${outcome.status}${outcome.deviated ? ' (deviated)' : ''}, seed ${seed}`);
  return outcome;
}
