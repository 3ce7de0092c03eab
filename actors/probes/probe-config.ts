// Probe settings with Kubernetes' defaults written out, the degraded-signal thresholds, and the
// one validation that turns a config into resolved settings (or an `invalid-spec` naming the field).

import { TroupeError } from '../../runtime/errors.ts';
import type { ProbeKind } from './probe-request.ts';

/**
 * Settings of one probe, as Kubernetes' (`periodSeconds` → `periodMs` and so on). Defaults:
 * - `periodMs` 10 000 — how often the probe runs;
 * - `timeoutMs` 1 000 (or `periodMs` when shorter) — an answer later than this is a failure; at
 *   most 1 000 and at most `periodMs`;
 * - `initialDelayMs` 0 — wait after the probe actor starts before the first probe;
 * - `failureThreshold` 3 — consecutive failures that turn a passing probe into a failing one;
 * - `successThreshold` 1 — consecutive successes that turn a failing probe into a passing one
 *   (readiness may set more; liveness and startup must be 1, as in Kubernetes);
 * - `alignMs` `periodMs / 10` — the probe runs on multiples of `alignMs` of the node's clock (its
 *   first run at `initialDelayMs` rounded up to one, each next run a period later, rounded to the
 *   nearest): timer coalescing, so the probes of many instances run together in one batch — one
 *   timer of the node's probe clock — rather than one by one (alignment alone, in session 6: 1 000
 *   instances probed every second went from 0.85× to 0.90× of the unprobed tell rate). At most
 *   `periodMs`; 0 runs each probe exactly at `initialDelayMs` and every `periodMs` after it (a
 *   timer per run).
 */
export interface ProbeSettings {
  readonly periodMs?: number;
  readonly timeoutMs?: number;
  readonly initialDelayMs?: number;
  readonly failureThreshold?: number;
  readonly successThreshold?: number;
  readonly alignMs?: number;
}

/**
 * Degraded detection from the instance's measured signals. Each probe answer of the liveness
 * probe (of the readiness probe when there is no liveness probe) is one sample; a sample is
 * *impaired* when any threshold is exceeded. Defaults:
 * - `mailboxDepth` 1 000 — messages waiting in the instance's mailbox;
 * - `latencyP99Ms` 1 000 — p99 processing time over the instance's signal window;
 * - `errorRate` 0.2 — errors thrown / messages handled over the window (0–1);
 * - `minMessages` 10 — latency and error rate are judged only with at least this many messages
 *   (latency: timed messages) in the window;
 * - `eventLoopDelayMs` 200 — p99 event-loop delay of the node (only when the probe actor is given
 *   an event-loop reading);
 * - `maxRestarts` 3 — more restarts than this within the window is a crash loop: the instance is
 *   then *not ready* (routers stop sending it work), not merely degraded;
 * - `failureThreshold` 2 — consecutive impaired samples to become degraded;
 * - `successThreshold` 2 — consecutive clean samples to leave it.
 * A threshold of `Infinity` turns that signal off.
 */
export interface SignalSettings {
  readonly mailboxDepth?: number;
  readonly latencyP99Ms?: number;
  readonly errorRate?: number;
  readonly minMessages?: number;
  readonly eventLoopDelayMs?: number;
  readonly maxRestarts?: number;
  readonly failureThreshold?: number;
  readonly successThreshold?: number;
}

/**
 * Which probes run and how. A probe kind that is present runs (`{}` = its defaults); an absent
 * one does not. `signals` is on with its defaults unless set to `false`. The whole config
 * defaults to `{ liveness: {}, readiness: {} }` (plus signals). A startup probe gates the other
 * two: they start only once it has succeeded.
 */
export interface ProbeConfig {
  readonly startup?: ProbeSettings;
  readonly liveness?: ProbeSettings;
  readonly readiness?: ProbeSettings;
  readonly signals?: SignalSettings | false;
}

/** A probe's settings with every default filled in. */
export type ResolvedProbe = Required<ProbeSettings>;
/** Signal thresholds with every default filled in. */
export type ResolvedSignals = Required<SignalSettings>;

/** A checked probe config: the probes that run, and the signal thresholds (or null when off). */
export interface ResolvedProbeConfig {
  readonly startup: ResolvedProbe | null;
  readonly liveness: ResolvedProbe | null;
  readonly readiness: ResolvedProbe | null;
  readonly signals: ResolvedSignals | null;
}

/** Kubernetes' probe defaults (periodSeconds 10, timeoutSeconds 1, thresholds 3 and 1), aligned to a tenth of the period. */
export const DEFAULT_PROBE: ResolvedProbe = Object.freeze({
  periodMs: 10_000, timeoutMs: 1_000, initialDelayMs: 0, failureThreshold: 3, successThreshold: 1, alignMs: 1_000,
});

/** The degraded-signal defaults (see {@link SignalSettings}). */
export const DEFAULT_SIGNALS: ResolvedSignals = Object.freeze({
  mailboxDepth: 1_000, latencyP99Ms: 1_000, errorRate: 0.2, minMessages: 10, eventLoopDelayMs: 200,
  maxRestarts: 3, failureThreshold: 2, successThreshold: 2,
});

/** The longest a probe may wait for its answer (the seed's limit). */
export const MAX_PROBE_TIMEOUT_MS = 1_000;

const PROBE_FIELDS = Object.keys(DEFAULT_PROBE) as (keyof ResolvedProbe)[];
const SIGNAL_FIELDS = Object.keys(DEFAULT_SIGNALS) as (keyof ResolvedSignals)[];
const CONFIG_FIELDS = ['startup', 'liveness', 'readiness', 'signals'] as const;

function bad(where: string, field: string, why: string): never {
  throw new TroupeError('invalid-spec', `${where}: probes.${field} ${why}`, { field: `probes.${field}` });
}

function checkKeys(o: object, known: readonly string[], where: string, prefix: string): void {
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) bad(where, `${prefix}${k}`, `is not a setting; use ${known.join(', ')}.`);
  }
}

function resolveProbe(kind: ProbeKind, s: ProbeSettings, where: string): ResolvedProbe {
  if (typeof s !== 'object' || s === null) bad(where, kind, `must be an object of settings ({} for the defaults), got ${String(s)}.`);
  checkKeys(s, PROBE_FIELDS, where, `${kind}.`);
  const given = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as ProbeSettings; // undefined = not given
  const periodMs = given.periodMs ?? DEFAULT_PROBE.periodMs;
  const r: ResolvedProbe = { ...DEFAULT_PROBE, timeoutMs: Math.min(DEFAULT_PROBE.timeoutMs, periodMs), alignMs: periodMs / 10, ...given };
  const f = (name: keyof ResolvedProbe): string => `${kind}.${name}`;
  if (!(Number.isFinite(r.periodMs) && r.periodMs > 0)) bad(where, f('periodMs'), `must be a positive number of milliseconds (default 10 000), got ${r.periodMs}.`);
  if (!(Number.isFinite(r.timeoutMs) && r.timeoutMs > 0)) bad(where, f('timeoutMs'), `must be a positive number of milliseconds (default 1 000), got ${r.timeoutMs}.`);
  if (r.timeoutMs > MAX_PROBE_TIMEOUT_MS) bad(where, f('timeoutMs'), `must be at most ${MAX_PROBE_TIMEOUT_MS} ms, got ${r.timeoutMs}.`);
  if (r.timeoutMs > r.periodMs) bad(where, f('timeoutMs'), `(${r.timeoutMs}) must not exceed periodMs (${r.periodMs}): one probe at a time.`);
  if (!(Number.isFinite(r.initialDelayMs) && r.initialDelayMs >= 0)) bad(where, f('initialDelayMs'), `must be a number of milliseconds ≥ 0 (default 0), got ${r.initialDelayMs}.`);
  if (!(Number.isFinite(r.alignMs) && r.alignMs >= 0 && r.alignMs <= r.periodMs)) bad(where, f('alignMs'), `must be a number of milliseconds from 0 to periodMs (${r.periodMs}; default a tenth of it, 0 = not aligned), got ${r.alignMs}.`);
  if (!(Number.isInteger(r.failureThreshold) && r.failureThreshold >= 1)) bad(where, f('failureThreshold'), `must be an integer ≥ 1 (default 3), got ${r.failureThreshold}.`);
  if (!(Number.isInteger(r.successThreshold) && r.successThreshold >= 1)) bad(where, f('successThreshold'), `must be an integer ≥ 1 (default 1), got ${r.successThreshold}.`);
  if (kind !== 'readiness' && r.successThreshold !== 1) bad(where, f('successThreshold'), `must be 1 for a ${kind} probe (as in Kubernetes), got ${r.successThreshold}.`);
  return Object.freeze(r);
}

function resolveSignals(s: SignalSettings, where: string): ResolvedSignals {
  if (typeof s !== 'object' || s === null) bad(where, 'signals', `must be an object of thresholds ({} for the defaults) or false, got ${String(s)}.`);
  checkKeys(s, SIGNAL_FIELDS, where, 'signals.');
  const r: ResolvedSignals = { ...DEFAULT_SIGNALS, ...s };
  for (const name of ['mailboxDepth', 'latencyP99Ms', 'eventLoopDelayMs', 'maxRestarts', 'minMessages'] as const) {
    if (typeof r[name] !== 'number' || !(r[name] >= 0)) bad(where, `signals.${name}`, `must be a number ≥ 0 (Infinity turns it off; default ${DEFAULT_SIGNALS[name]}), got ${String(r[name])}.`);
  }
  if (typeof r.errorRate !== 'number' || !(r.errorRate >= 0 && (r.errorRate <= 1 || r.errorRate === Infinity))) {
    bad(where, 'signals.errorRate', `must be a fraction between 0 and 1 (Infinity turns it off; default 0.2), got ${String(r.errorRate)}.`);
  }
  for (const name of ['failureThreshold', 'successThreshold'] as const) {
    if (!(Number.isInteger(r[name]) && r[name] >= 1)) bad(where, `signals.${name}`, `must be an integer ≥ 1 (default 2), got ${String(r[name])}.`);
  }
  return Object.freeze(r);
}

/**
 * Checks a probe config and fills in the defaults. Throws `invalid-spec` naming the field
 * (`data.field`, e.g. `probes.liveness.timeoutMs`) and the fix.
 */
export function resolveProbeConfig(config: ProbeConfig | undefined, where: string): ResolvedProbeConfig {
  const c: ProbeConfig = config === undefined ? { liveness: {}, readiness: {} } : config;
  if (typeof c !== 'object' || c === null) throw new TroupeError('invalid-spec', `${where}: probes must be an object such as { liveness: {}, readiness: {} }, got ${String(c)}.`, { field: 'probes' });
  checkKeys(c, CONFIG_FIELDS, where, '');
  const probe = (k: ProbeKind): ResolvedProbe | null => (c[k] === undefined ? null : resolveProbe(k, c[k] as ProbeSettings, where));
  const resolved: ResolvedProbeConfig = {
    startup: probe('startup'),
    liveness: probe('liveness'),
    readiness: probe('readiness'),
    signals: c.signals === false ? null : resolveSignals(c.signals ?? {}, where),
  };
  if (resolved.liveness === null && resolved.readiness === null && resolved.startup === null) {
    throw new TroupeError('invalid-spec', `${where}: probes configures no probe; give at least one of startup, liveness, readiness (e.g. { liveness: {} }).`, { field: 'probes' });
  }
  return Object.freeze(resolved);
}
