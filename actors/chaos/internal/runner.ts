// The scenario runner actor: hypothesis before, the method's faults on timers of the system
// clock, the hypothesis sampled while they act and until it holds again, the hypothesis after,
// rollbacks, the load throughout — every async step piped back as a message, then the report.

import { defineActor, type ActorDefinition } from '../../../runtime/behavior.ts';
import type { ActorContext } from '../../../runtime/context.ts';
import { describeFault } from '../fault.ts';
import { countRequests, measureRecovery, type FaultRecord, type HypothesisResult, type RequestRecord, type ResilienceReport, type RollbackResult, type RunStatus } from '../report.ts';
import type { RequestOutcome, Scenario } from '../scenario.ts';
import { planMethod, type PlannedOccurrence } from '../schedule.ts';
import type { ChaosTarget } from '../target.ts';
import { evaluate, withTimeout } from './hypothesis.ts';
import type { InjectOutcome, Injector } from './injector.ts';
import { tellQuietly } from '../../internal/tell-quietly.ts';

type Purpose = 'before' | 'during' | 'after';
type Phase = RequestRecord['phase'] | 'finishing';

/** The runner's messages: timers and the results of its async steps. */
export type RunnerMsg =
  | { readonly type: 'begin' }
  | { readonly type: 'prepared'; readonly outcome: InjectOutcome }
  | { readonly type: 'checked'; readonly purpose: Purpose; readonly result: HypothesisResult }
  | { readonly type: 'check-tick' }
  | { readonly type: 'fault-due'; readonly i: number }
  | { readonly type: 'fault-end'; readonly i: number }
  | { readonly type: 'fault-done'; readonly i: number; readonly what: 'injected' | 'reverted'; readonly outcome: InjectOutcome }
  | { readonly type: 'method-end' }
  | { readonly type: 'all-reverted' }
  | { readonly type: 'recovery-timeout' }
  | { readonly type: 'load-tick' }
  | { readonly type: 'request-done'; readonly i: number; readonly outcome: RequestOutcome }
  | { readonly type: 'rollbacks-done'; readonly results: readonly RollbackResult[] }
  | { readonly type: 'drain-timeout' }
  | { readonly type: 'abort'; readonly error: string };

/** What the runner needs: the scenario and its seed, the target and its injector, and where the report goes. */
export interface RunnerConfig {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly target: ChaosTarget;
  readonly injector: Injector;
  readonly done: (report: ResilienceReport) => void;
  readonly log: (line: string) => void;
}

interface Draft {
  readonly plan: PlannedOccurrence;
  injectedAtMs?: number;
  injected?: InjectOutcome;
  revertedAtMs?: number;
  reverted?: InjectOutcome;
  /** The injection (then the undo) in flight, so an undo never overtakes its injection. */
  chain?: Promise<unknown>;
}

/** The runner's definition; spawn it once (restart `'temporary'`) and send it `{ type: 'begin' }`. */
export function defineRunner(cfg: RunnerConfig): ActorDefinition<RunnerMsg, undefined> {
  const { scenario, target, injector, seed } = cfg;
  const h = scenario.hypothesis;
  const scheduler = target.scheduler;
  let t0 = 0;
  let startedAtWallMs = 0;
  let phase: Phase = 'before';
  let methodStartMs: number | undefined;
  let methodEndMs: number | undefined;
  let revertedAllAtMs = 0;
  let before: HypothesisResult | undefined;
  let after: HypothesisResult | undefined;
  const samples: [number, boolean][] = [];
  const failedChecks: Record<string, number> = {};
  let checking = false;
  let drafts: Draft[] = [];
  const requests: RequestRecord[] = [];
  let inFlight = 0;
  let status: RunStatus = 'completed';
  let error: string | undefined;
  let rollbacks: readonly RollbackResult[] = [];
  let finished = false;

  return defineActor<RunnerMsg, undefined>({
    name: 'chaos-runner',
    init: () => undefined,
    receive: (_s, msg, ctx) => {
      const now = (): number => ctx.now() - t0;
      const pipe = <T>(p: Promise<T>, to: (v: T) => RunnerMsg): void => {
        // the run may have ended (and its system terminated) before a probe or fault settles
        p.then((v) => tellQuietly(ctx.self, to(v)), (e: unknown) => tellQuietly(ctx.self, { type: 'abort', error: `${(e as Error)?.message ?? String(e)}` }));
      };
      const check = (purpose: Purpose): void => {
        const atMs = now();
        pipe(evaluate(h!.checks, target, scheduler, atMs), (result) => ({ type: 'checked', purpose, result }));
      };
      switch (msg.type) {
        case 'begin':
          t0 = ctx.now();
          startedAtWallMs = target.wallClock.now();
          if (scenario.load !== undefined) ctx.timers.startPeriodic('load', { type: 'load-tick' }, scenario.load.everyMs);
          pipe(injector.prepare(), (outcome) => ({ type: 'prepared', outcome }));
          return;
        case 'prepared':
          if (!msg.outcome.ok) cfg.log(`chaos: ${msg.outcome.detail}`);
          if (h === undefined) startMethod(ctx, now);
          else check('before');
          return;
        case 'checked':
          return onChecked(ctx, msg.purpose, msg.result, now, check);
        case 'check-tick':
          if (checking || h === undefined) return;
          checking = true;
          check('during');
          return;
        case 'fault-due': {
          const d = drafts[msg.i];
          d.injectedAtMs = now();
          cfg.log(`chaos: ${d.plan.id} ${describeFault(d.plan.fault)} at ${Math.round(d.injectedAtMs)} ms`);
          const p = injector.inject(d.plan.id, d.plan.fault);
          d.chain = p;
          pipe(p, (outcome) => ({ type: 'fault-done', i: msg.i, what: 'injected', outcome }));
          return;
        }
        case 'fault-end':
          revert(ctx, msg.i, now, pipe);
          return;
        case 'fault-done': {
          const d = drafts[msg.i];
          if (msg.what === 'injected') d.injected = msg.outcome; else d.reverted = msg.outcome;
          if (!msg.outcome.ok) cfg.log(`chaos: ${d.plan.id} ${msg.what === 'injected' ? 'injection' : 'undo'} failed: ${msg.outcome.detail}`);
          return;
        }
        case 'method-end': {
          phase = 'recovering';
          methodEndMs = now();
          for (let i = 0; i < drafts.length; i++) if (drafts[i].plan.endAtMs !== undefined && drafts[i].revertedAtMs === undefined) revert(ctx, i, now, pipe);
          const chains = drafts.map((d) => d.chain ?? Promise.resolve());
          pipe(Promise.allSettled(chains).then(() => injector.revertAll()), () => ({ type: 'all-reverted' }));
          return;
        }
        case 'all-reverted':
          revertedAllAtMs = now();
          if (h === undefined) { toAfter(ctx, check); return; }
          ctx.timers.startSingle('recovery-timeout', { type: 'recovery-timeout' }, scenario.recoveryTimeoutMs);
          return;
        case 'recovery-timeout':
          if (phase === 'recovering') toAfter(ctx, check);
          return;
        case 'load-tick':
          return sendRequest(ctx, now);
        case 'request-done': {
          const r = requests[msg.i];
          if (r.outcome !== undefined) return;
          r.outcome = msg.outcome;
          inFlight--;
          if (phase === 'finishing' && inFlight === 0) finish(ctx, now);
          return;
        }
        case 'rollbacks-done':
          rollbacks = msg.results;
          phase = 'finishing';
          if (inFlight === 0) finish(ctx, now);
          else ctx.timers.startSingle('drain', { type: 'drain-timeout' }, (scenario.load?.timeoutMs ?? 5_000) + 1_000);
          return;
        case 'drain-timeout':
          finish(ctx, now);
          return;
        case 'abort':
          if (finished) return;
          status = 'aborted';
          error = msg.error;
          cfg.log(`chaos: run aborted: ${msg.error}`);
          ctx.timers.cancelAll();
          phase = 'finishing';
          void injector.revertAll().catch(() => undefined).then(() => tellQuietly(ctx.self, { type: 'drain-timeout' }));
          return;
      }
    },
  });

  function startMethod(ctx: ActorContext<RunnerMsg>, now: () => number): void {
    phase = 'method';
    methodStartMs = now();
    const plan = planMethod(scenario.method, { seed, methodMs: scenario.durationMs, startWallMs: target.wallClock.now() });
    drafts = plan.map((p) => ({ plan: p }));
    plan.forEach((p, i) => {
      ctx.timers.startSingle(`fault-${i}`, { type: 'fault-due', i }, p.atMs);
      if (p.endAtMs !== undefined && p.endAtMs < scenario.durationMs) ctx.timers.startSingle(`end-${i}`, { type: 'fault-end', i }, p.endAtMs);
    });
    ctx.timers.startSingle('method-end', { type: 'method-end' }, scenario.durationMs);
    if (h !== undefined) ctx.timers.startPeriodic('check', { type: 'check-tick' }, h.everyMs ?? 500);
  }

  function revert(ctx: ActorContext<RunnerMsg>, i: number, now: () => number, pipe: <T>(p: Promise<T>, to: (v: T) => RunnerMsg) => void): void {
    const d = drafts[i];
    if (d.revertedAtMs !== undefined || d.injectedAtMs === undefined) return;
    d.revertedAtMs = now();
    const p = (d.chain ?? Promise.resolve()).then(() => injector.revert(d.plan.id), () => injector.revert(d.plan.id));
    d.chain = p;
    pipe(p, (outcome) => ({ type: 'fault-done', i, what: 'reverted', outcome }));
    void ctx;
  }

  function onChecked(ctx: ActorContext<RunnerMsg>, purpose: Purpose, result: HypothesisResult, now: () => number, check: (p: Purpose) => void): void {
    if (purpose === 'before') {
      before = result;
      if (result.met) { startMethod(ctx, now); return; }
      cfg.log(`chaos: the hypothesis does not hold before the method; the method is not run`);
      status = 'failed';
      phase = 'after';
      playRollbacks(ctx);
      return;
    }
    if (purpose === 'during') {
      checking = false;
      if (phase === 'after' || phase === 'finishing') return;
      samples.push([result.atMs, result.met]);
      for (const c of result.checks) if (!c.met) failedChecks[c.name] = (failedChecks[c.name] ?? 0) + 1;
      if (phase === 'recovering' && result.met && revertedAllAtMs > 0 && result.atMs >= revertedAllAtMs) toAfter(ctx, check);
      return;
    }
    after = result;
    if (!result.met) { status = 'failed'; cfg.log('chaos: the hypothesis does not hold after the method: the steady state deviated'); }
    playRollbacks(ctx);
  }

  function toAfter(ctx: ActorContext<RunnerMsg>, check: (p: Purpose) => void): void {
    phase = 'after';
    ctx.timers.cancel('check');
    ctx.timers.cancel('recovery-timeout');
    if (h === undefined) { playRollbacks(ctx); return; }
    check('after');
  }

  function playRollbacks(ctx: ActorContext<RunnerMsg>): void {
    ctx.timers.cancel('load');
    ctx.timers.cancel('check');
    const deviated = before?.met === true && after !== undefined && !after.met;
    const s = scenario.rollbackStrategy;
    const play = s === 'always' || (s === 'default' && status !== 'failed') || (s === 'deviated' && deviated);
    if (!play || scenario.rollbacks.length === 0) { ctx.self.tell({ type: 'rollbacks-done', results: [] }); return; }
    void (async () => {
      const results: RollbackResult[] = [];
      for (const r of scenario.rollbacks) {
        const atMs = ctx.now() - t0;
        try {
          await withTimeout(Promise.resolve().then(() => r.action(target)), 30_000, scheduler, () => { throw new Error('no answer within 30000 ms'); });
          results.push({ name: r.name, ok: true, atMs });
        } catch (e) {
          results.push({ name: r.name, ok: false, error: (e as Error)?.message ?? String(e), atMs });
        }
      }
      tellQuietly(ctx.self, { type: 'rollbacks-done', results });
    })();
  }

  function sendRequest(ctx: ActorContext<RunnerMsg>, now: () => number): void {
    const load = scenario.load!;
    if (phase === 'finishing') return;
    const i = requests.length;
    requests.push({ sentAtMs: now(), phase: phase as RequestRecord['phase'], outcome: undefined });
    inFlight++;
    const settled = (outcome: RequestOutcome): void => tellQuietly(ctx.self, { type: 'request-done', i, outcome });
    withTimeout<RequestOutcome>(
      Promise.resolve().then(() => load.request(target, i)).then((o) => (o === 'failed' || o === 'lost' ? o : 'ok')),
      load.timeoutMs ?? 5_000, scheduler, () => 'lost',
    ).then(settled, () => settled('failed'));
  }

  function finish(ctx: ActorContext<RunnerMsg>, now: () => number): void {
    if (finished) return;
    finished = true;
    ctx.timers.cancelAll();
    const end = now();
    const faults: FaultRecord[] = drafts.map((d) => {
      const p = d.plan;
      const endMs = d.revertedAtMs ?? d.injectedAtMs ?? 0;
      const effect = d.injectedAtMs === undefined ? { deviatedAtMs: undefined, impactMs: 0, recoveryMs: null } : measureRecovery(samples, d.injectedAtMs, endMs);
      // in force: until its undo; an instant fault, until the steady state held again
      const windowEnd = d.injectedAtMs === undefined ? -1 : d.plan.endAtMs !== undefined ? endMs
        : effect.deviatedAtMs === undefined ? d.injectedAtMs : effect.recoveryMs === null ? end : d.injectedAtMs + effect.recoveryMs;
      const inForce = d.injectedAtMs === undefined ? [] : requests.filter((r) => r.sentAtMs >= d.injectedAtMs! && r.sentAtMs <= windowEnd);
      return {
        id: p.id, step: p.step, kind: p.fault.kind, description: describeFault(p.fault), fault: p.fault,
        plannedAtMs: (methodStartMs ?? 0) + p.atMs,
        plannedEndAtMs: p.endAtMs === undefined ? undefined : (methodStartMs ?? 0) + p.endAtMs,
        injectedAtMs: d.injectedAtMs, injected: d.injected, revertedAtMs: d.revertedAtMs, reverted: d.reverted,
        ...effect,
        requests: countRequests(inForce),
      };
    });
    const byPhase = (ph: RequestRecord['phase']) => countRequests(requests.filter((r) => r.phase === ph));
    const report: ResilienceReport = {
      scenario: scenario.name,
      description: scenario.description,
      target: target.kind,
      seed,
      status,
      deviated: before?.met === true && after !== undefined && !after.met,
      ...(error === undefined ? {} : { error }),
      startedAtWallMs,
      durationMs: end,
      methodStartMs,
      methodEndMs,
      hypothesis: h === undefined ? undefined : {
        title: h.title ?? scenario.name,
        before,
        during: { samples: samples.length, met: samples.filter(([, m]) => m).length, timeline: samples.map(([a, m]) => [a, m] as const), failedChecks: { ...failedChecks } },
        after,
      },
      faults,
      requests: { ...countRequests(requests), byPhase: { before: byPhase('before'), method: byPhase('method'), recovering: byPhase('recovering'), after: byPhase('after') } },
      rollbackStrategy: scenario.rollbackStrategy,
      rollbacks,
    };
    cfg.done(report);
    ctx.stop(ctx.self as never);
  }
}
