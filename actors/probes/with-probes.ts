// `withProbes`: decorates an actor definition so its instances answer probe requests through
// their own mailbox (without calling the user's receive) and measure their own signals.

import { ActorRef } from '../../runtime/actor-ref.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { ActorContext } from '../../runtime/context.ts';
import type { ActorDefinition, Next, Signal } from '../../runtime/behavior.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { mailboxStatsOf } from '../../runtime/mailbox-stats.ts';
import type { CheckFn, CheckOutcome, HealthCheck } from './health-check.ts';
import { SignalWindow } from './internal/signal-window.ts';
import { TimingLog } from './internal/timing-log.ts';
import { TimingSampler } from './internal/timing-sampler.ts';
import { isProbeRequest, PROBE_KINDS, type CheckResult, type CheckStatus, type InstanceSignals, type ProbeAnswer, type ProbeKind, type ProbeRequest } from './probe-request.ts';

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

/** One instance's window, and how many probe requests it answered (they are not user messages). */
class InstanceWindow extends SignalWindow {
  probes = 0;

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

/** The checks of an answer with none (shared: answers are plain data nobody mutates). */
const NO_CHECKS: readonly CheckStatus[] = Object.freeze([]);

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Normalises what a check returned into a result. */
function toResult(x: unknown): CheckResult {
  if (x === true || x === false) return { ok: x };
  if (typeof x === 'object' && x !== null && typeof (x as CheckResult).ok === 'boolean') return x as CheckResult;
  return { ok: false, reason: `the check returned ${typeof x === 'object' ? JSON.stringify(x) : String(x)}; return a boolean or { ok, reason? }` };
}

/** Combines the named results of one probe into its answer. */
function combine(kind: ProbeKind, names: readonly string[], results: readonly CheckResult[], signals: InstanceSignals | undefined): ProbeAnswer {
  const checks: CheckStatus[] = results.map((r, i) => (r.ok ? { name: names[i], ok: true } : { name: names[i], ok: false, reason: r.reason ?? 'failed' }));
  const failed = checks.filter((c) => !c.ok);
  const withDetails = results.flatMap((r, i) => (r.details === undefined ? [] : [[names[i], r.details] as const]));
  const details = withDetails.length === 0 ? undefined : Object.fromEntries(withDetails);
  const answer: ProbeAnswer = failed.length === 0
    ? { kind, ok: true, checks }
    : { kind, ok: false, reason: failed.map((c) => `${c.name}: ${c.reason}`).join('; '), checks };
  return { ...answer, ...(details === undefined ? {} : { details }), ...(signals === undefined ? {} : { signals }) };
}

/**
 * Decorates an actor definition for probing. Its instances answer a {@link ProbeRequest} through
 * their own mailbox — behind the messages already queued, so a stuck instance fails liveness —
 * without calling the user's `receive`, and measure their own signals over `signalWindowMs`
 * (default 30 000): user messages handled (from the mailbox's counter), errors thrown (sync or
 * async), restarts, and the processing time of messages including async handlers, on the system
 * clock. Every message is timed while the definition's traffic (all its instances) is slower
 * than about one message a millisecond; busier, about one message per millisecond is (one in a
 * period that follows the rate, set every 64 timed messages; a burst's first 64 are timed; a probe
 * answer over a second after the last timed message times the next one again), so timing costs at
 * most about a thousand timed messages a second whatever the rate. Every answer carries these
 * signals and the mailbox depth (unless the request says `signals: false`); the probe actor
 * judges them. The per-message cost is a type test, a countdown, a try and a thenable test: no
 * clock read, no allocation. A malformed probe request (no `replyTo` ref, unknown kind) is
 * dropped. Throws `invalid-spec` on bad options.
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

  const windows = new WeakMap<object, InstanceWindow>();
  let lastSelf: object | null = null;
  let lastWindow: InstanceWindow | null = null;
  /** The window of the instance behind `self`, kept across restarts (keyed by its ref; cached for consecutive uses). */
  const windowFor = (self: object): InstanceWindow => {
    if (self === lastSelf) return lastWindow as InstanceWindow;
    let w = windows.get(self);
    if (w === undefined) { w = new InstanceWindow(windowMs); windows.set(self, w); }
    lastSelf = self;
    lastWindow = w;
    return w;
  };
  const windowOf = (ctx: ActorContext<M | ProbeRequest>): InstanceWindow => windowFor(ctx.self);
  const sampler = new TimingSampler();
  const log = new TimingLog<object>();
  const addToWindow = (self: object, durationMs: number, endMs: number): void => windowFor(self).record(durationMs, endMs);
  /** Adds the logged timings to their windows (at every probe answer, or when the log is full). */
  const drainLog = (): void => log.drain(addToWindow);
  const logTiming = (self: object, durationMs: number, endMs: number): void => {
    if (log.add(self, durationMs, endMs)) drainLog();
  };

  const answer = (state: S, req: ProbeRequest, ctx: ActorContext<M | ProbeRequest>): void => {
    if (!(req.replyTo instanceof ActorRef) || !PROBE_KINDS.includes(req.kind)) return; // malformed (e.g. from a peer): nobody to answer
    drainLog();
    const w = windowOf(ctx);
    const now = ctx.now();
    sampler.expire(now);
    const mailbox = mailboxStatsOf(ctx.self as never);
    w.probes++;
    if (mailbox !== undefined) w.countMessages(mailbox.processed - w.probes, now);
    const signals: InstanceSignals | undefined = req.signals === false ? undefined : w.signals(now, mailbox?.size ?? 0);
    const checks = byKind[req.kind];
    if (checks.length === 0) { // no check of this kind (a liveness answer, usually): ok, nothing to combine
      req.replyTo.tell(signals === undefined ? { kind: req.kind, ok: true, checks: NO_CHECKS } : { kind: req.kind, ok: true, checks: NO_CHECKS, signals });
      return;
    }
    const names = checks.map((c) => c[0]);
    const outcomes: unknown[] = checks.map(([, fn]) => {
      try { return fn(state, ctx); } catch (e) { return { ok: false, reason: `threw: ${errorText(e)}` }; }
    });
    const reply = (results: readonly unknown[]): void => req.replyTo.tell(combine(req.kind, names, results.map(toResult), signals));
    if (!outcomes.some(isThenable)) { reply(outcomes); return; }
    void Promise.all(outcomes.map((o) => Promise.resolve(o).then((x) => x, (e: unknown) => ({ ok: false, reason: `rejected: ${errorText(e)}` }))))
      .then((results) => { if (!ctx.system.isTerminated) reply(results); });
  };

  const userReceive = def.receive;
  const userSignal = def.signal;
  const onError = (ctx: ActorContext<M | ProbeRequest>): void => windowOf(ctx).recordError(ctx.now());
  /** Counts the rejection of an untimed async handler (the closure lives here, off the hot path). */
  const watchRejection = (r: PromiseLike<unknown>, ctx: ActorContext<M | ProbeRequest>): void => {
    r.then(undefined, () => onError(ctx));
  };
  /** Times an async handler to its settlement. */
  const timeAsync = (r: PromiseLike<S | void>, self: object, clock: Clock, t0: number): PromiseLike<S | void> => r.then(
    (v) => { const t1 = clock.now(); logTiming(self, t1 - t0, t1); return v; },
    (e: unknown) => { const t1 = clock.now(); logTiming(self, t1 - t0, t1); windowFor(self).recordError(t1); throw e; },
  );
  /** Runs one message, timed (logged: its window gets it at the next drain); the sampler learns the definition's rate from the start times. */
  const timed = (state: S, msg: M, ctx: ActorContext<M | ProbeRequest>): Next<S> => {
    const clock = ctx.system.clock;
    const t0 = clock.now();
    sampler.timed(clock, t0);
    let r: Next<S>;
    try {
      r = userReceive(state, msg, ctx as unknown as ActorContext<M>);
    } catch (e) {
      const t1 = clock.now();
      logTiming(ctx.self, t1 - t0, t1);
      windowOf(ctx).recordError(t1);
      throw e;
    }
    if (isThenable(r)) return timeAsync(r as PromiseLike<S | void>, ctx.self, clock, t0) as Next<S>;
    const t1 = clock.now();
    logTiming(ctx.self, t1 - t0, t1);
    return r;
  };
  /** A probe request, or the message the countdown chose to time. */
  const special = (state: S, msg: M | ProbeRequest, ctx: ActorContext<M | ProbeRequest>): Next<S> => {
    if (!isProbeRequest(msg)) return timed(state, msg, ctx);
    if (sampler.countdown === 0) sampler.countdown = 1; // the count fell on the probe: time the next message
    answer(state, msg, ctx);
    return undefined;
  };
  // The hot path, kept small (it is inlined into the actor cell's turn loop, whose inlining budget
  // it shares): a countdown, a type test, a try and the thenable test the cell makes too. No clock
  // read, no allocation (closures are made in the helpers above, only when needed).
  function probedReceive(state: S, msg: M | ProbeRequest, ctx: ActorContext<M | ProbeRequest>): Next<S> {
    if (--sampler.countdown === 0 || isProbeRequest(msg)) return special(state, msg, ctx);
    let r: Next<S>;
    try { r = userReceive(state, msg, ctx as unknown as ActorContext<M>); } catch (e) { onError(ctx); throw e; }
    if (isThenable(r)) watchRejection(r, ctx);
    return r;
  }
  const receive = probedReceive;
  const signal = (state: S, sig: Signal, ctx: ActorContext<M | ProbeRequest>): S | void => {
    if (sig.type === 'restarted') windowOf(ctx).recordRestart(ctx.now());
    return userSignal === undefined ? undefined : userSignal(state, sig, ctx as unknown as ActorContext<M>);
  };
  return Object.freeze({ ...def, receive, signal }) as ActorDefinition<M | ProbeRequest, S>;
}
