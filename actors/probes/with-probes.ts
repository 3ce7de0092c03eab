// `withProbes`: gives an actor definition probe hooks, so its instances answer probe requests in
// mailbox order (never through the user's receive) and measure their own signals.

import { ActorRef } from '../../runtime/actor-ref.ts';
import type { ActorContext } from '../../runtime/context.ts';
import type { ActorDefinition } from '../../runtime/behavior.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { ProbeHooks, ProbeLane } from '../../runtime/internal/probe-lane.ts';
import type { CheckFn, CheckOutcome, HealthCheck } from './health-check.ts';
import { messagesToTime } from './internal/probe-decisions.ts';
import { SignalWindow } from './internal/signal-window.ts';
import { PROBE_KINDS, type CheckResult, type CheckStatus, type InstanceSignals, type ProbeAnswer, type ProbeKind, type ProbeRequest } from './probe-request.ts';

/**
 * Options of {@link withProbes}; all optional.
 * - `ready(state, ctx)` — the instance's own readiness answer (default: ready once it answers);
 * - `started(state, ctx)` — its startup answer (default: started once it answers, i.e. init ran);
 * - `checks` — named custom checks, each a function (a readiness check) or `{ kind, check }`;
 *   a readiness answer is ok only when `ready` and every readiness check are ok (likewise for
 *   liveness and startup checks). A liveness answer with no liveness check is ok as soon as the
 *   instance reads it from its mailbox;
 * - `signalWindowMs` — the window its signals are measured over (default 30 000; ≥ 60).
 * Checks return a boolean or a {@link CheckResult}, or a promise of one; the instance is not
 * blocked while a promise runs (its probe's timeout bounds it).
 */
export interface WithProbesOptions<S, M> {
  ready?(state: S, ctx: ActorContext<M | ProbeRequest>): CheckOutcome;
  started?(state: S, ctx: ActorContext<M | ProbeRequest>): CheckOutcome;
  readonly checks?: Readonly<Record<string, HealthCheck<S, M> | CheckFn<S, M>>>;
  readonly signalWindowMs?: number;
}

type NamedCheck<S, M> = readonly [name: string, fn: CheckFn<S, M>];

/** One instance's window, and how many messages it had handled at its previous answer. */
class InstanceWindow extends SignalWindow {
  handledAtAnswer = 0;

  /** What an answer carries: the window's reading at `nowMs` and the mailbox depth (spelled out: one shape). */
  signals(nowMs: number, mailboxDepth: number): InstanceSignals {
    const r = this.read(nowMs);
    return {
      messages: r.messages, errors: r.errors, errorRate: r.errorRate, latencyP99Ms: r.latencyP99Ms, latencySamples: r.latencySamples,
      restarts: r.restarts, mailboxDepth, windowMs: this.windowMs,
    };
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as PromiseLike<unknown>).then === 'function';
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Normalises what a check returned into a result. */
function toResult(x: unknown): CheckResult {
  if (x === true || x === false) return { ok: x };
  if (typeof x === 'object' && x !== null && typeof (x as CheckResult).ok === 'boolean') return x as CheckResult;
  return { ok: false, reason: `the check returned ${typeof x === 'object' ? JSON.stringify(x) : String(x)}; return a boolean or { ok, reason? }` };
}

/** An answer whose checks all passed, in one shape per set of fields (`signals`, `also` only when present). */
function passed(kind: ProbeKind, checks: readonly CheckStatus[], signals: InstanceSignals | undefined, also: ProbeAnswer | undefined): ProbeAnswer {
  if (signals === undefined) return also === undefined ? { kind, ok: true, checks } : { kind, ok: true, checks, also };
  return also === undefined ? { kind, ok: true, checks, signals } : { kind, ok: true, checks, signals, also };
}

/** Combines the named results of one probe into its answer. */
function combine(kind: ProbeKind, names: readonly string[], results: readonly CheckResult[], signals: InstanceSignals | undefined, also: ProbeAnswer | undefined): ProbeAnswer {
  const checks: CheckStatus[] = results.map((r, i) => (r.ok ? { name: names[i], ok: true } : { name: names[i], ok: false, reason: r.reason ?? 'failed' }));
  const failed = checks.filter((c) => !c.ok);
  const withDetails = results.flatMap((r, i) => (r.details === undefined ? [] : [[names[i], r.details] as const]));
  const details = withDetails.length === 0 ? undefined : Object.fromEntries(withDetails);
  const answer: ProbeAnswer = failed.length === 0
    ? { kind, ok: true, checks }
    : { kind, ok: false, reason: failed.map((c) => `${c.name}: ${c.reason}`).join('; '), checks };
  return { ...answer, ...(details === undefined ? {} : { details }), ...(signals === undefined ? {} : { signals }), ...(also === undefined ? {} : { also }) };
}

/**
 * Gives an actor definition probe hooks. Its instances answer a {@link ProbeRequest} (sent with
 * `askProbe`) in mailbox order — once every message queued before it has been handled and no
 * handler is in flight, so a stuck instance fails liveness — without calling the user's
 * `receive`, and measure their own signals over `signalWindowMs` (default 30 000): user messages
 * handled (the mailbox's count), errors thrown (sync or async), restarts, and the processing time
 * of timed messages, async handlers included, on the system clock. After each answer an instance
 * times its next messages: the next 64 while it is quiet (at most 64 handled since its previous
 * answer, so all of them while it stays quiet), else the next 8 — a sample whose cost does not
 * grow with the rate. Every answer carries
 * these signals and the mailbox depth (unless the request says `signals: false`); the probe actor
 * judges them. Timing starts at an instance's first probe answer (an instance nobody probes
 * measures nothing and carries nothing extra). `receive` and `signal` are the definition's own: an instance with no probe work
 * pending runs exactly as the plain definition (the runtime tests the lane once per turn, in a
 * flag test it makes anyway). A malformed request (no `replyTo` ref, unknown kind) is dropped.
 * Throws `invalid-spec` on bad options.
 *
 * @example
 * const orders = withProbes(ordersDef, {
 *   ready: (s) => s.connected || { ok: false, reason: 'not connected to the store' },
 *   checks: { store: dependsOn(storeRef) },
 * });
 */
export function withProbes<M, S>(def: ActorDefinition<M, S>, options: WithProbesOptions<NoInfer<S>, NoInfer<M>> = {}): ActorDefinition<M | ProbeRequest, S> {
  const where = `withProbes("${def?.name ?? ''}")`;
  if (typeof def !== 'object' || def === null || def.kind !== 'actor') throw new TroupeError('invalid-spec', `${where}: expected an actor definition from defineActor.`, { field: 'def' });
  if (typeof options !== 'object' || options === null) throw new TroupeError('invalid-spec', `${where}: options must be an object.`, { field: 'options' });
  const windowMs = options.signalWindowMs ?? 30_000;
  if (!(Number.isFinite(windowMs) && windowMs >= 60)) throw new TroupeError('invalid-spec', `${where}: signalWindowMs must be a number of milliseconds ≥ 60 (default 30 000), got ${windowMs}.`, { field: 'signalWindowMs' });
  const byKind: Record<ProbeKind, NamedCheck<S, M>[]> = { startup: [], liveness: [], readiness: [] };
  for (const [field, kind] of [['started', 'startup'], ['ready', 'readiness']] as const) {
    const fn = options[field];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') throw new TroupeError('invalid-spec', `${where}: ${field} must be a function (state, ctx) => boolean | { ok, reason }.`, { field });
    byKind[kind].push([field, fn.bind(options) as CheckFn<S, M>]);
  }
  for (const [name, c] of Object.entries(options.checks ?? {})) {
    const field = `checks.${name}`;
    if (typeof c === 'function') { byKind.readiness.push([name, c]); continue; }
    if (typeof c !== 'object' || c === null || typeof c.check !== 'function') throw new TroupeError('invalid-spec', `${where}: ${field} must be a function or { kind?, check(state, ctx) }.`, { field });
    const kind = c.kind ?? 'readiness';
    if (!PROBE_KINDS.includes(kind)) throw new TroupeError('invalid-spec', `${where}: ${field}.kind must be one of ${PROBE_KINDS.join(', ')}, got "${String(kind)}".`, { field: `${field}.kind` });
    byKind[kind].push([name, c.check.bind(c)]);
  }

  /** The instance's window (kept on its lane, so across restarts). */
  const windowOf = (lane: ProbeLane): InstanceWindow => (lane.data ??= new InstanceWindow(windowMs)) as InstanceWindow;

  /** Per kind: its checks' names, and the checks of an answer where all of them passed (shared: answers are plain data nobody mutates). */
  const namesOf = {} as Record<ProbeKind, readonly string[]>;
  const allPassed = {} as Record<ProbeKind, readonly CheckStatus[]>;
  for (const kind of PROBE_KINDS) {
    namesOf[kind] = Object.freeze(byKind[kind].map((c) => c[0]));
    allPassed[kind] = Object.freeze(namesOf[kind].map((name) => Object.freeze({ name, ok: true })));
  }

  /**
   * One probe's answer (with `also`, the answer of the request's second probe), or its promise
   * when a check is async (a throw or rejection is a failed check). Checks that return `true` —
   * the usual answer — make an answer sharing its checks' list.
   */
  const answerOf = (state: S, kind: ProbeKind, signals: InstanceSignals | undefined, ctx: ActorContext<M | ProbeRequest>, also?: ProbeAnswer): ProbeAnswer | Promise<ProbeAnswer> => {
    const checks = byKind[kind];
    let outcomes: unknown[] | undefined; // made at the first outcome other than `true`
    for (let i = 0; i < checks.length; i++) {
      let o: unknown;
      try { o = checks[i][1](state, ctx); } catch (e) { o = { ok: false, reason: `threw: ${errorText(e)}` }; }
      if (outcomes === undefined) {
        if (o === true) continue;
        outcomes = new Array<unknown>(i).fill(true);
      }
      outcomes.push(o);
    }
    if (outcomes === undefined) return passed(kind, allPassed[kind], signals, also);
    const names = namesOf[kind];
    if (!outcomes.some(isThenable)) return combine(kind, names, outcomes.map(toResult), signals, also);
    return Promise.all(outcomes.map((o) => Promise.resolve(o).then((x) => x, (e: unknown) => ({ ok: false, reason: `rejected: ${errorText(e)}` }))))
      .then((results) => combine(kind, names, results.map(toResult), signals, also));
  };

  const answer = (state: S, req: ProbeRequest, ctx: ActorContext<M | ProbeRequest>, lane: ProbeLane): void => {
    if (typeof req !== 'object' || req === null || !(req.replyTo instanceof ActorRef) || !PROBE_KINDS.includes(req.kind)) return; // malformed (e.g. from a peer): nobody to answer
    if (req.also !== undefined && !PROBE_KINDS.includes(req.also)) return;
    const w = windowOf(lane);
    const now = ctx.now();
    const handled = lane.processed;
    w.countMessages(handled, now);
    lane.timeNext(messagesToTime(handled - w.handledAtAnswer));
    w.handledAtAnswer = handled;
    const signals: InstanceSignals | undefined = req.signals === false ? undefined : w.signals(now, lane.depth);
    const second = req.also === undefined ? undefined : answerOf(state, req.also, undefined, ctx);
    if (!isThenable(second)) {
      const first = answerOf(state, req.kind, signals, ctx, second);
      if (!isThenable(first)) { req.replyTo.tell(first); return; }
      void first.then((a) => { if (!ctx.system.isTerminated) req.replyTo.tell(a); });
      return;
    }
    const first = answerOf(state, req.kind, signals, ctx);
    void Promise.all([first, second]).then(([a, b]) => { if (!ctx.system.isTerminated) req.replyTo.tell({ ...a, also: b }); });
  };

  const probes: ProbeHooks = {
    answer: (state, request, ctx, lane) => answer(state as S, request as ProbeRequest, ctx as ActorContext<M | ProbeRequest>, lane),
    timed: (lane, durationMs, endMs) => windowOf(lane).record(durationMs, endMs),
    failed: (lane, atMs) => windowOf(lane).recordError(atMs),
    restarted: (lane, atMs) => windowOf(lane).recordRestart(atMs),
  };
  return Object.freeze({ ...def, probes }) as unknown as ActorDefinition<M | ProbeRequest, S>;
}
