// The probe actor: one per probed instance. Its probes run on the node's probe clock (the system
// scheduler: virtual time in tests); it applies Kubernetes' semantics to their results and
// reports every transition.

import { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorContext } from '../../runtime/context.ts';
import { assertNever, TroupeError } from '../../runtime/errors.ts';
import type { EventLoopDelaySource } from '../../runtime/event-loop-delay.ts';
import { mailboxStatsOf } from '../../runtime/mailbox-stats.ts';
import type { HealthReport, InstanceHealth } from './instance-health.ts';
import { probeClockOf, type ProbeClock, type ProbePlan, type ProbeRegistration } from './internal/probe-clock.ts';
import {
  activeProbes, applyProbeResult, applySignalSample, deriveHealth, initialStates,
  isTransition, markStopped, nextHealth, signalSampleKind, type ProbeStates,
} from './internal/probe-decisions.ts';
import type { ProbeResultMsg } from './internal/probe-reply.ts';
import { resolveProbeConfig, type ProbeConfig, type ResolvedProbeConfig } from './probe-config.ts';
import type { CheckStatus, ProbeAnswer, ProbeKind, ProbeRequest } from './probe-request.ts';

/**
 * Options of {@link defineProbeActor}:
 * - `target` (required) — the instance to probe (defined with `withProbes`), on this actor's node
 *   (a probe actor runs beside its instance: the answer comes back to a local reply address);
 * - `probes` — which probes run and how (default `{ liveness: {}, readiness: {} }` with signals on;
 *   see {@link ProbeConfig});
 * - `reportTo` — gets a {@link HealthReport} at start and on every transition (e.g. a health registry's `ref`);
 * - `service` — the service the instance belongs to, copied into every report;
 * - `instance` — how reports name the instance (default its path, `target.path`; give
 *   `String(target)`, its address, to tell incarnations apart);
 * - `eventLoop` — the node's event-loop delay reading (`createEventLoopDelayMonitor()` on a real
 *   node); without it the event-loop signal is not judged;
 * - `name` — the behavior's name in inspection (default `'probe'`).
 */
export interface ProbeActorOptions {
  readonly target: ActorRef<ProbeRequest>;
  readonly probes?: ProbeConfig;
  readonly reportTo?: ActorRef<HealthReport>;
  readonly service?: string;
  readonly instance?: string;
  readonly eventLoop?: EventLoopDelaySource;
  readonly name?: string;
}

/**
 * Messages of a probe actor. Users send `get-health` (the current health, reasons up to date);
 * `probe-result` is its own: one per probe run (the answer, a timeout, or why the request could
 * not be sent), from the node's probe clock.
 */
export type ProbeActorMsg =
  | { readonly type: 'get-health'; readonly replyTo: ActorRef<InstanceHealth> }
  | ProbeResultMsg;

/** A probe actor's state (mutable, owned by the actor). */
export interface ProbeActorState {
  probes: ProbeStates;
  health: InstanceHealth;
  readonly checks: Partial<Record<ProbeKind, readonly CheckStatus[]>>;
  /** Its standing with the node's probe clock (null before it starts). */
  clock: ProbeRegistration | null;
  readonly startedAtMs: number;
  /** Whether the first report went out (it does at start, whatever the health). */
  reported: boolean;
  /** Which checks passed at the last report (a change is reported too, so the registry's reasons stay current). */
  reportedChecks: string;
}

type Ctx = ActorContext<ProbeActorMsg>;

/** The probe clock of the actor's node. */
const clockOf = (ctx: Ctx): ProbeClock => probeClockOf((ctx.self as ActorRef<unknown>).proc.host);

/** Whether two answers' checks say the same (a probe actor then keeps the ones it has). */
function sameChecks(a: readonly CheckStatus[] | undefined, b: readonly CheckStatus[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].name !== b[i].name || a[i].ok !== b[i].ok || a[i].reason !== b[i].reason) return false;
  return true;
}

/**
 * Defines the probe actor of one instance. Each probe runs every `periodMs` (first after
 * `initialDelayMs`), on the node clock's multiples of its `alignMs` (a tenth of the period by
 * default: the probe actors of a node run their probes in batches, see {@link ProbeSettings}),
 * by the node's probe clock: one scheduler timer per instant of the grid runs the probes of every
 * probe actor of the node due then, sending each target a {@link ProbeRequest} in its probe lane
 * with a one-shot reply address that posts the result into its probe actor's mailbox (no timer,
 * tick or turn per probe actor, no promise per run). No answer within the probe's `timeoutMs`, a
 * dead target or a failed answer is a failure (a readiness probe on the same period, initial
 * delay and alignment as liveness — the default — runs on liveness's runs, and with the same
 * timeout in liveness's request). A startup probe runs alone until it succeeds once, then liveness and
 * readiness start. A probe whose previous run has not answered by its next period counts that
 * run as failed. The answers of the liveness probe (of the readiness probe without one) are the
 * samples of the degraded signals. Health is derived
 * as documented on `InstanceHealth`; a report goes to `reportTo` at start, on every transition
 * and when a check turns from passing to failing or back (its reasons then refresh). When the
 * target stops, the actor reports it unhealthy (`final: true`) and stops itself. Detection of an
 * instance that stops answering: between `(failureThreshold − 1) × periodMs + timeoutMs` and
 * `failureThreshold × periodMs + timeoutMs` after it hangs (plus up to `alignMs` for the first
 * run). Many probe actors started at once probe in step (one batch a period): spread them with
 * `initialDelayMs` (e.g. `i × periodMs / n`), as kubelet spreads its first probes; they then run
 * in batches of about `n × alignMs / periodMs`. Throws `invalid-spec` on bad options.
 *
 * @example
 * const registry = createHealthRegistry(system);
 * const orders = system.spawn(withProbes(ordersDef), 'orders');
 * system.spawn(defineProbeActor({ target: orders, reportTo: registry.ref, service: 'orders',
 *   probes: { liveness: { periodMs: 1_000 }, readiness: { periodMs: 1_000 } } }), 'orders-probe');
 */
export function defineProbeActor(options: ProbeActorOptions): ActorDefinition<ProbeActorMsg, ProbeActorState> {
  const where = 'defineProbeActor';
  if (typeof options !== 'object' || options === null) throw new TroupeError('invalid-spec', `${where}: expected { target, probes?, reportTo? }.`, { field: 'options' });
  const { target, reportTo, service, eventLoop } = options;
  if (!(target instanceof ActorRef)) throw new TroupeError('invalid-spec', `${where}: target must be the ActorRef of an instance defined with withProbes.`, { field: 'target' });
  if (reportTo !== undefined && !(reportTo instanceof ActorRef)) throw new TroupeError('invalid-spec', `${where}: reportTo must be an ActorRef<HealthReport> (e.g. a health registry's ref).`, { field: 'reportTo' });
  if (service !== undefined && (typeof service !== 'string' || service.length === 0)) throw new TroupeError('invalid-spec', `${where}: service must be a non-empty string.`, { field: 'service' });
  if (eventLoop !== undefined && typeof eventLoop?.delayMs !== 'function') throw new TroupeError('invalid-spec', `${where}: eventLoop must have delayMs() (e.g. createEventLoopDelayMonitor()).`, { field: 'eventLoop' });
  const cfg: ResolvedProbeConfig = resolveProbeConfig(options.probes, where);
  const sampleKind = signalSampleKind(cfg);
  // Readiness on liveness's schedule (the same period, initial delay and alignment, as by default) runs on
  // liveness's runs: one run per period for both.
  const readinessRides = cfg.liveness !== null && cfg.readiness !== null
    && cfg.liveness.periodMs === cfg.readiness.periodMs && cfg.liveness.initialDelayMs === cfg.readiness.initialDelayMs
    && cfg.liveness.alignMs === cfg.readiness.alignMs;
  // ... and with the same timeout, in one request: the instance answers both in one turn
  const askedTogether = readinessRides && cfg.liveness!.timeoutMs === cfg.readiness!.timeoutMs;
  if (options.instance !== undefined && (typeof options.instance !== 'string' || options.instance.length === 0)) throw new TroupeError('invalid-spec', `${where}: instance must be a non-empty string (default the target's path).`, { field: 'instance' });
  const instance = options.instance ?? target.path;
  const plan: ProbePlan = { cfg, sampleKind, readinessRides, askedTogether };

  const checksOf = (s: ProbeActorState): CheckStatus[] => {
    const out: CheckStatus[] = [];
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const c = s.probes[kind];
      if (c === null) continue;
      out.push(c.ok ? { name: kind, ok: true } : { name: kind, ok: false, reason: c.results === 0 ? 'not yet probed' : c.reason ?? 'not ready yet' });
      for (const inner of s.checks[kind] ?? []) out.push({ ...inner, name: `${kind}/${inner.name}` });
    }
    return out;
  };

  /** Which probes and checks pass, as bits (a change is reported): probes first, then each answer's checks. */
  const checksKeyOf = (s: ProbeActorState): string => {
    let key = '';
    for (const kind of ['startup', 'liveness', 'readiness'] as const) {
      const c = s.probes[kind];
      if (c === null) continue;
      key += c.ok ? '+' : '-';
      for (const inner of s.checks[kind] ?? []) key += inner.ok ? '+' : '-';
      key += '|';
    }
    return key;
  };

  const update = (s: ProbeActorState, ctx: Ctx, final = false): void => {
    const verdict = deriveHealth(s.probes, cfg);
    const transition = isTransition(s.health, verdict);
    s.health = nextHealth(s.health, verdict, ctx.now());
    if (reportTo === undefined) return;
    const checksKey = checksKeyOf(s);
    if (transition || final || !s.reported || checksKey !== s.reportedChecks) {
      s.reported = true;
      s.reportedChecks = checksKey;
      const report: HealthReport = { type: 'health', instance, ...(service === undefined ? {} : { service }), health: s.health, checks: checksOf(s), ...(final ? { final } : {}) };
      reportTo.tell(report);
    }
  };

  /** Registers with the node's probe clock (again after a restart) and starts the probes that run now. */
  const start = (s: ProbeActorState, ctx: Ctx): void => {
    const clock = clockOf(ctx);
    s.clock = clock.register((ctx.self as ActorRef<unknown>).proc, target, plan); // a restarted probe actor's previous registration ends here
    ctx.watch(target as ActorRef<never>);
    for (const kind of activeProbes(s.probes)) clock.activate(s.clock, kind, s.startedAtMs);
    update(s, ctx);
  };

  const stopProbing = (s: ProbeActorState, ctx: Ctx): void => {
    if (s.clock !== null) clockOf(ctx).unregister(s.clock);
  };

  const onResult = (s: ProbeActorState, ctx: Ctx, m: ProbeResultMsg): void => {
    if (s.clock === null || !s.clock.alive) return; // a result of a run before a restart, or after the target stopped
    const wasStarted = s.probes.startup === null || s.probes.startup.ok;
    const before = s.probes;
    const { startup: cs, liveness: cl, readiness: cr } = s.checks;
    const a = m.answer;
    applyAnswer(s, m.kind, a, m.reason);
    if (m.also !== undefined) {
      // the second probe of one request: failed with it, or answered in its `also`
      const b = a === null ? null : a.also ?? null;
      applyAnswer(s, m.also, b, a === null ? m.reason : b === null ? `the instance answered ${m.kind} without ${m.also}` : null);
    }
    // a healthy instance answering as before changes nothing (the decisions keep their objects then)
    if (s.probes === before && s.checks.startup === cs && s.checks.liveness === cl && s.checks.readiness === cr) return;
    if (!wasStarted && s.probes.startup!.ok) {
      const clock = clockOf(ctx);
      clock.deactivate(s.clock, 'startup');
      for (const kind of activeProbes(s.probes)) clock.activate(s.clock, kind, s.startedAtMs);
    }
    update(s, ctx);
  };

  /** Applies one probe's answer (or its failure `reason`). */
  const applyAnswer = (s: ProbeActorState, kind: ProbeKind, a: ProbeAnswer | null, reason: string | null): void => {
    s.probes = applyProbeResult(s.probes, cfg, kind, a !== null && a.ok, a === null ? reason : a.ok ? null : a.reason ?? 'failed');
    const checks = a?.checks ?? [];
    if (!sameChecks(s.checks[kind], checks)) s.checks[kind] = checks;
    if (a?.signals !== undefined && kind === sampleKind) {
      // the deeper of: behind the probe when the instance read it, and now (a local instance only)
      const depth = Math.max(a.signals.mailboxDepth, mailboxStatsOf(target as ActorRef<never>)?.size ?? 0);
      const g = a.signals;
      s.probes = applySignalSample(s.probes, cfg, {
        mailboxDepth: depth, latencyP99Ms: g.latencyP99Ms, latencySamples: g.latencySamples, errorRate: g.errorRate,
        messages: g.messages, restarts: g.restarts, eventLoopDelayMs: eventLoop?.delayMs(),
      });
    }
  };

  return defineActor<ProbeActorMsg, ProbeActorState>({
    name: options.name ?? 'probe',
    init: (ctx) => {
      const probes = initialStates(cfg);
      return { probes, health: { ...deriveHealth(probes, cfg), sinceMs: ctx.now() }, checks: {}, clock: null, startedAtMs: ctx.now(), reported: false, reportedChecks: '' };
    },
    receive: (s, m, ctx) => {
      switch (m.type) {
        case 'get-health': ctx.send(m.replyTo, s.health); return s;
        case 'probe-result': onResult(s, ctx, m); return s;
        default: return assertNever(m);
      }
    },
    signal: (s, sig, ctx) => {
      switch (sig.type) {
        case 'started':
        case 'restarted':
          start(s, ctx);
          return s;
        case 'terminated':
          if (!sig.ref.equals(target as ActorRef<never>) && sig.ref.toString() !== target.toString()) return s;
          stopProbing(s, ctx);
          s.probes = markStopped(s.probes, `stopped (${sig.reason.kind})`);
          update(s, ctx, true);
          ctx.stop(ctx.self as ActorRef<never>);
          return s;
        case 'stopped':
          stopProbing(s, ctx);
          return s;
        default: return s;
      }
    },
  });
}
