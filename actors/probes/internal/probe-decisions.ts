// The probes' decisions as pure functions: Kubernetes' threshold counting, startup gating,
// degraded and crash-loop verdicts from signals, and the derived instance health.

import { isTroupeError } from '../../../runtime/errors.ts';
import type { HealthState, InstanceHealth } from '../instance-health.ts';
import type { ResolvedProbe, ResolvedProbeConfig, ResolvedSignals } from '../probe-config.ts';
import type { ProbeKind } from '../probe-request.ts';

/** One probe's standing: its verdict and the consecutive results behind it. */
export interface ProbeCounter {
  /** The verdict: passing (live / ready / started) or not. */
  readonly ok: boolean;
  readonly failures: number;
  readonly successes: number;
  /** Results recorded so far. */
  readonly results: number;
  /** The latest failure's reason (`'failed'` when none was given; kept while failing; cleared when the verdict turns to passing; null before any failure). */
  readonly reason: string | null;
}

/** What each probe and the signals stand at; `stopped` is set once the instance terminated. */
export interface ProbeStates {
  readonly startup: ProbeCounter | null;
  readonly liveness: ProbeCounter | null;
  readonly readiness: ProbeCounter | null;
  readonly signals: ProbeCounter | null;
  /** The latest impaired sample's verdict (what made the signals fail). */
  readonly impaired: SignalVerdict;
  readonly stopped: string | null;
}

/** The instance's measured signals at one sample (undefined: not measured). */
export interface SignalReadings {
  readonly mailboxDepth?: number;
  readonly latencyP99Ms?: number;
  readonly latencySamples?: number;
  readonly errorRate?: number;
  readonly messages?: number;
  readonly restarts?: number;
  readonly eventLoopDelayMs?: number;
}

/** Which thresholds one sample exceeded: reasons for degraded, and a crash loop (not ready). */
export interface SignalVerdict {
  readonly degraded: readonly string[];
  readonly crashLoop: string | null;
}

/** A thresholds pair, as probes and signals both have. */
export interface Thresholds {
  readonly failureThreshold: number;
  readonly successThreshold: number;
}

const CLEAN: SignalVerdict = Object.freeze({ degraded: Object.freeze([]) as readonly string[], crashLoop: null });

/**
 * A probe's standing before any result, as in Kubernetes: liveness passes until proven
 * otherwise; readiness and startup fail until their first success (signals start clean).
 */
export function initialCounter(kind: ProbeKind | 'signals'): ProbeCounter {
  const ok = kind === 'liveness' || kind === 'signals';
  return { ok, failures: 0, successes: 0, results: 0, reason: null };
}

/**
 * Records one result. A passing probe fails after `failureThreshold` consecutive failures; a
 * failing one passes after `successThreshold` consecutive successes. A result of the other kind
 * resets the run. A success of a probe already passing with no failure since returns `c` itself:
 * its counts only matter until it passes (`results` tells "not yet probed" from 0, `successes` the
 * run towards the threshold), and a healthy probe then keeps one counter rather than a new one a
 * period for the GC to promote.
 */
export function recordResult(c: ProbeCounter, ok: boolean, reason: string | null, t: Thresholds): ProbeCounter {
  if (ok) {
    if (c.ok && c.failures === 0 && c.results > 0) return c;
    const successes = c.successes + 1;
    const nowOk = c.ok || successes >= t.successThreshold;
    return { ok: nowOk, failures: 0, successes, results: c.results + 1, reason: nowOk ? null : c.reason };
  }
  const failures = c.failures + 1;
  return { ok: c.ok && failures < t.failureThreshold, failures, successes: 0, results: c.results + 1, reason: reason ?? 'failed' };
}

/** The starting standing of every configured probe. */
export function initialStates(cfg: ResolvedProbeConfig): ProbeStates {
  return {
    startup: cfg.startup ? initialCounter('startup') : null,
    liveness: cfg.liveness ? initialCounter('liveness') : null,
    readiness: cfg.readiness ? initialCounter('readiness') : null,
    signals: cfg.signals ? initialCounter('signals') : null,
    impaired: CLEAN,
    stopped: null,
  };
}

/** Whether the startup gate is open: no startup probe, or it has succeeded. */
export function isStarted(p: ProbeStates): boolean {
  return p.startup === null || p.startup.ok;
}

/** The probes that run now: the startup probe alone until it succeeds, then liveness and readiness. */
export function activeProbes(p: ProbeStates): ProbeKind[] {
  if (p.stopped !== null) return [];
  if (!isStarted(p)) return ['startup'];
  const out: ProbeKind[] = [];
  if (p.liveness) out.push('liveness');
  if (p.readiness) out.push('readiness');
  return out;
}

/**
 * When a probe first runs: its initial delay counted from the probe actor's start, rounded up to
 * a multiple of `alignMs` of the clock (not rounded when 0).
 */
export function firstProbeAt(s: ResolvedProbe, startedAtMs: number): number {
  const at = startedAtMs + s.initialDelayMs;
  return s.alignMs > 0 ? Math.ceil(at / s.alignMs) * s.alignMs : at;
}

/**
 * When a probe runs next, after a run at `nowMs`: a period later, rounded to the nearest multiple
 * of `alignMs` (so a run that started late does not drag the next ones after it, and the probes
 * of a node stay in their batches): at least `periodMs − alignMs / 2` later.
 */
export function nextProbeAt(s: ResolvedProbe, nowMs: number): number {
  if (s.alignMs === 0) return nowMs + s.periodMs;
  return Math.round((nowMs + s.periodMs) / s.alignMs) * s.alignMs;
}

/** Which probe's answers carry the signal samples: liveness, else readiness, else none. */
export function signalSampleKind(cfg: ResolvedProbeConfig): ProbeKind | null {
  return cfg.liveness ? 'liveness' : cfg.readiness ? 'readiness' : null;
}

/** Why a probe's ask failed, as a reason string. */
export function describeAskFailure(e: unknown, timeoutMs: number): string {
  if (isTroupeError(e, 'ask-timeout')) return `no answer within ${timeoutMs} ms`;
  if (isTroupeError(e, 'actor-dead')) return 'the instance is not alive';
  if (isTroupeError(e, 'node-unreachable')) return "the instance's node is unreachable";
  if (isTroupeError(e, 'mailbox-full')) return "the instance's mailbox is full";
  if (isTroupeError(e)) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Formats a number for a reason: integers as they are, others to 3 significant digits. */
const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(3))));

/** Which thresholds one sample of readings exceeds (a threshold of Infinity never is). */
export function evaluateSignals(r: SignalReadings, t: ResolvedSignals): SignalVerdict {
  const degraded: string[] = [];
  if (r.mailboxDepth !== undefined && r.mailboxDepth > t.mailboxDepth) degraded.push(`mailbox depth ${r.mailboxDepth} > ${t.mailboxDepth}`);
  if (r.latencyP99Ms !== undefined && (r.latencySamples ?? 0) >= t.minMessages && r.latencyP99Ms > t.latencyP99Ms) {
    degraded.push(`latency p99 ${fmt(r.latencyP99Ms)} ms > ${t.latencyP99Ms} ms`);
  }
  if (r.errorRate !== undefined && (r.messages ?? 0) >= t.minMessages && r.errorRate > t.errorRate) {
    degraded.push(`error rate ${fmt(r.errorRate)} > ${t.errorRate}`);
  }
  if (r.eventLoopDelayMs !== undefined && r.eventLoopDelayMs > t.eventLoopDelayMs) {
    degraded.push(`event-loop delay p99 ${fmt(r.eventLoopDelayMs)} ms > ${t.eventLoopDelayMs} ms`);
  }
  const crashLoop = r.restarts !== undefined && r.restarts > t.maxRestarts ? `crash loop: ${r.restarts} restarts in the signal window > ${t.maxRestarts}` : null;
  return degraded.length === 0 && crashLoop === null ? CLEAN : { degraded, crashLoop };
}

/** Records one probe result in the states (a startup success opens the gate for good). */
export function applyProbeResult(p: ProbeStates, cfg: ResolvedProbeConfig, kind: ProbeKind, ok: boolean, reason: string | null): ProbeStates {
  const c = p[kind];
  const s = cfg[kind];
  if (c === null || s === null || p.stopped !== null) return p;
  if (kind === 'startup' && c.ok) return p; // the startup probe is done once it succeeded
  const next = recordResult(c, ok, reason, s);
  if (next === c) return p; // a passing probe passed again
  // spelled out, not spread: one shape for every kind (this runs on every probe result)
  return {
    startup: kind === 'startup' ? next : p.startup,
    liveness: kind === 'liveness' ? next : p.liveness,
    readiness: kind === 'readiness' ? next : p.readiness,
    signals: p.signals,
    impaired: p.impaired,
    stopped: p.stopped,
  };
}

/** Records one signal sample: impaired when any threshold is exceeded; damped by the signal thresholds. */
export function applySignalSample(p: ProbeStates, cfg: ResolvedProbeConfig, r: SignalReadings): ProbeStates {
  if (p.signals === null || cfg.signals === null || p.stopped !== null) return p;
  const v = evaluateSignals(r, cfg.signals);
  const impaired = v.degraded.length > 0 || v.crashLoop !== null;
  const signals = recordResult(p.signals, !impaired, impaired ? 'impaired' : null, cfg.signals);
  if (signals === p.signals) return p; // clean again, and clean before
  return {
    startup: p.startup,
    liveness: p.liveness,
    readiness: p.readiness,
    signals,
    impaired: impaired ? v : p.impaired,
    stopped: p.stopped,
  };
}

/** Marks the instance stopped (its probes end; it is unhealthy from now on). */
export function markStopped(p: ProbeStates, reason: string): ProbeStates {
  return p.stopped !== null ? p : { startup: p.startup, liveness: p.liveness, readiness: p.readiness, signals: p.signals, impaired: p.impaired, stopped: reason };
}

/** An instance's health without its `sinceMs`. */
export type HealthVerdict = Omit<InstanceHealth, 'sinceMs'>;

/** Why a probe fails (only called once it has results: liveness starts passing, readiness is 'not yet probed' before). */
const why = (kind: ProbeKind, c: ProbeCounter): string =>
  `${kind}: ${String(c.reason)}${c.failures > 1 ? ` (${c.failures} consecutive failures)` : ''}`;

/**
 * Derives an instance's health from its probes:
 * - stopped → unhealthy, not live, not ready;
 * - startup not yet succeeded → `starting` (live, not ready), or, after `failureThreshold`
 *   consecutive startup failures, unhealthy and not live (Kubernetes would restart it);
 * - otherwise live = liveness passing; ready = live and readiness passing and no crash loop;
 *   not live or not ready → unhealthy; else signals impaired → degraded; else healthy; a readiness
 *   probe that has not become ready yet without failing (no answer yet, or fewer successes than
 *   its `successThreshold`), and no other failure → `starting`.
 */
export function deriveHealth(p: ProbeStates, cfg: ResolvedProbeConfig): HealthVerdict {
  const started = isStarted(p);
  if (p.stopped !== null) return { state: 'unhealthy', live: false, ready: false, started, reasons: [p.stopped] };
  if (!started) {
    const c = p.startup as ProbeCounter;
    const failed = c.failures >= (cfg.startup as ResolvedProbe).failureThreshold;
    return failed
      ? { state: 'unhealthy', live: false, ready: false, started, reasons: [why('startup', c)] }
      : { state: 'starting', live: true, ready: false, started, reasons: [c.results === 0 ? 'startup: not yet succeeded' : `startup: not yet succeeded (${c.reason})`] };
  }
  const reasons: string[] = [];
  const live = p.liveness === null || p.liveness.ok;
  if (!live) reasons.push(why('liveness', p.liveness as ProbeCounter));
  const readyProbe = p.readiness === null || p.readiness.ok;
  // not ready yet without any failure: before the first answer, or short of successThreshold
  const notYetReady = p.readiness !== null && !p.readiness.ok && p.readiness.reason === null;
  if (!readyProbe && !notYetReady) reasons.push(why('readiness', p.readiness as ProbeCounter));
  const impaired = p.signals !== null && !p.signals.ok;
  const crashLoop = impaired ? p.impaired.crashLoop : null;
  if (crashLoop !== null) reasons.push(crashLoop);
  const degraded = impaired ? p.impaired.degraded : [];
  reasons.push(...degraded);
  const ready = live && readyProbe && crashLoop === null;
  let state: HealthState;
  if (!live || (!ready && !notYetReady) || crashLoop !== null) state = 'unhealthy';
  else if (notYetReady) {
    state = 'starting';
    const c = p.readiness as ProbeCounter;
    reasons.push(c.results === 0 ? 'readiness: not yet probed' : `readiness: ${c.successes}/${(cfg.readiness as ResolvedProbe).successThreshold} successes to be ready`);
  }
  else state = degraded.length > 0 ? 'degraded' : 'healthy';
  return { state, live, ready, started, reasons };
}

/** Whether `next` is a transition from `prev`: a change of state, live, ready or started. */
export function isTransition(prev: HealthVerdict | undefined, next: HealthVerdict): boolean {
  return prev === undefined || prev.state !== next.state || prev.live !== next.live || prev.ready !== next.ready || prev.started !== next.started;
}

/**
 * The next instance health: `verdict`, with `sinceMs` moved to `nowMs` on a transition; `prev`
 * itself when nothing changed, reasons included (a probe actor keeps its health for a period: a
 * new object every run would only be promoted by the GC to be dropped at the next).
 */
export function nextHealth(prev: InstanceHealth | undefined, verdict: HealthVerdict, nowMs: number): InstanceHealth {
  if (prev !== undefined && !isTransition(prev, verdict)) {
    if (sameReasons(prev.reasons, verdict.reasons)) return prev;
    return { state: verdict.state, live: verdict.live, ready: verdict.ready, started: verdict.started, reasons: verdict.reasons, sinceMs: prev.sinceMs };
  }
  return { state: verdict.state, live: verdict.live, ready: verdict.ready, started: verdict.started, reasons: verdict.reasons, sinceMs: nowMs };
}

function sameReasons(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Messages timed after each probe answer of a busy instance. */
export const TIMED_PER_ANSWER = 8;
/** An instance that handled at most this many messages since its previous answer is quiet: all its next ones are timed. */
export const QUIET_MESSAGES = 64;

/**
 * How many of its next messages an instance times after a probe answer, given how many it
 * handled since the previous answer (or since it started: 0). A quiet instance — at most
 * {@link QUIET_MESSAGES} (64) since — times the next 64, so while its traffic stays that low every
 * message is timed; a busy one times the next {@link TIMED_PER_ANSWER} (8), a sample whose cost
 * does not grow with its rate.
 */
export function messagesToTime(handledSinceLastAnswer: number): number {
  return handledSinceLastAnswer <= QUIET_MESSAGES ? QUIET_MESSAGES : TIMED_PER_ANSWER;
}
