// The method of a scenario as a schedule: steps (a fault and when: at a time, repeated, or on a
// cron) expanded with the scenario's seed into the exact list of fault occurrences. Pure.

import { TroupeError } from '../../runtime/errors.ts';
import { createSeededRandom, type Random } from '../../runtime/random.ts';
import { checkFault, INSTANT_FAULTS, type Fault, type NodePick, type PlannedFault } from './fault.ts';
import { cronTimes, parseCron } from './internal/cron.ts';

/**
 * One step of a method: a fault and its schedule, in milliseconds from the start of the method.
 * `at` (default 0) alone: once. With `every`: at `at`, `at + every`, … — `times` occurrences
 * (default: as many as fit in the method). `cron` instead of `at`/`every`: at each matching
 * second of the wall clock while the method runs (six fields `s m h dom mon dow`, or five
 * without seconds; UTC). `jitterMs` (default 0) delays each occurrence by a seeded draw in
 * [0, jitterMs). `durationMs`: each occurrence is undone that long after it began (default: at
 * the end of the method); instant faults (`crash`, `flood`) have nothing to undo. `name`
 * (default `<kind>-<index>`) names its occurrences `<name>#<n>` in the report.
 */
export interface StepSpec {
  readonly name?: string;
  readonly fault: Fault;
  readonly at?: number;
  readonly every?: number;
  readonly times?: number;
  readonly cron?: string;
  readonly jitterMs?: number;
  readonly durationMs?: number;
}

/** One occurrence of a step, as planned: when it begins and ends (ms from the method's start), node picks resolved. */
export interface PlannedOccurrence {
  /** `<step name>#<n>`, n from 1. */
  readonly id: string;
  readonly step: string;
  readonly occurrence: number;
  readonly atMs: number;
  /** When it is undone; undefined for instant faults. */
  readonly endAtMs: number | undefined;
  readonly fault: PlannedFault;
}

const STEP_FIELDS = new Set(['name', 'fault', 'at', 'every', 'times', 'cron', 'jitterMs', 'durationMs']);
const STEP_NAME = /^[A-Za-z0-9_.:\-]{1,64}$/;

/** Checks the steps of a method; throws `invalid-spec` with `data.field` such as `'method[2].every'`. */
export function checkSteps(steps: readonly StepSpec[], methodMs: number, nodes?: readonly string[]): void {
  if (!Array.isArray(steps)) throw new TroupeError('invalid-spec', 'method must be an array of steps like { fault, at: 1000, durationMs: 3000 }.', { field: 'method' });
  const names = new Set<string>();
  steps.forEach((s, i) => {
    const where = `method[${i}]`;
    const bad = (f: string, why: string): TroupeError => new TroupeError('invalid-spec', `${where}.${f} ${why}`, { field: `${where}.${f}` });
    if (typeof s !== 'object' || s === null) throw new TroupeError('invalid-spec', `${where} must be an object like { fault, at: 1000 }.`, { field: where });
    for (const k of Object.keys(s)) if (!STEP_FIELDS.has(k)) throw bad(k, `is not a step field; use ${[...STEP_FIELDS].join(', ')}.`);
    checkFault(s.fault, `${where}.fault`, nodes);
    const name = s.name ?? `${s.fault.kind}-${i}`;
    if (typeof name !== 'string' || !STEP_NAME.test(name)) throw bad('name', `must be 1–64 letters, digits, _ . : -, got ${JSON.stringify(s.name)?.slice(0, 80)}.`);
    if (names.has(name)) throw bad('name', `'${name}' names two steps; give each step its own name.`);
    names.add(name);
    const ms = (f: 'at' | 'every' | 'jitterMs' | 'durationMs', positive: boolean): void => {
      const v = s[f];
      if (v === undefined) return;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) throw bad(f, `must be a finite number of milliseconds ${positive ? '> 0' : '≥ 0'}, got ${String(v)}.`);
    };
    ms('at', false); ms('every', true); ms('jitterMs', false); ms('durationMs', true);
    if (s.at !== undefined && s.at >= methodMs) throw bad('at', `(${s.at} ms) is not within the method (durationMs ${methodMs}); the fault would never happen.`);
    if (s.times !== undefined) {
      if (!Number.isSafeInteger(s.times) || s.times < 1) throw bad('times', `must be an integer ≥ 1, got ${String(s.times)}.`);
      if (s.every === undefined) throw bad('times', 'needs every (the period between occurrences).');
    }
    if (s.cron !== undefined) {
      if (s.at !== undefined || s.every !== undefined) throw bad('cron', 'replaces at and every; give one or the other.');
      parseCron(s.cron);
    }
    if (s.durationMs !== undefined && INSTANT_FAULTS.has(s.fault.kind)) throw bad('durationMs', `means nothing for a '${s.fault.kind}' fault: it happens at once and has nothing to undo.`);
  });
}

function pick(p: NodePick, random: Random): string {
  return typeof p === 'string' ? p : p.oneOf[random.int(p.oneOf.length)];
}

function resolvePicks(f: Fault, random: Random): PlannedFault {
  const r = (p: NodePick | '*'): string => (p === '*' ? '*' : pick(p, random));
  switch (f.kind) {
    case 'link': return { ...f, from: r(f.from), to: r(f.to) };
    case 'partition': return f;
    case 'crash': case 'hang': case 'slow': case 'fail': case 'flood':
      return f.node === undefined ? (f as PlannedFault) : ({ ...f, node: pick(f.node, random) } as PlannedFault);
    default: return { ...f, node: pick(f.node, random) } as PlannedFault;
  }
}

/**
 * Expands checked steps into their occurrences, sorted by start time then step order. Draws
 * (jitter, then node picks) come from `seed` in step order, so a seed always gives the same plan.
 * `startWallMs` anchors cron steps on the wall clock.
 */
export function planMethod(steps: readonly StepSpec[], o: { readonly seed: number; readonly methodMs: number; readonly startWallMs: number }): PlannedOccurrence[] {
  const random = createSeededRandom(o.seed ^ 0x6d2b79f5);
  const out: (PlannedOccurrence & { order: number })[] = [];
  steps.forEach((s, i) => {
    const name = s.name ?? `${s.fault.kind}-${i}`;
    let times: number[];
    if (s.cron !== undefined) times = cronTimes(parseCron(s.cron), o.startWallMs, o.startWallMs + o.methodMs).map((t) => t - o.startWallMs);
    else if (s.every !== undefined) {
      times = [];
      for (let t = s.at ?? 0, n = 0; t < o.methodMs && (s.times === undefined || n < s.times); t += s.every, n++) times.push(t);
    } else times = [s.at ?? 0];
    times.forEach((t, k) => {
      const atMs = s.jitterMs ? t + random.next() * s.jitterMs : t;
      if (atMs >= o.methodMs) return;
      const instant = INSTANT_FAULTS.has(s.fault.kind);
      const endAtMs = instant ? undefined : Math.min(o.methodMs, s.durationMs === undefined ? o.methodMs : atMs + s.durationMs);
      out.push({ id: `${name}#${k + 1}`, step: name, occurrence: k + 1, atMs, endAtMs, fault: resolvePicks(s.fault, random), order: i });
    });
  });
  out.sort((a, b) => a.atMs - b.atMs || a.order - b.order || a.occurrence - b.occurrence);
  return out.map(({ order: _o, ...p }) => p);
}
