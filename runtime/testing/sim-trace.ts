// The trace of a simulation: the seed, the fault schedule and every step taken (which ready step
// ran, among how many, after how many random draws), enough to replay it and to say where a replay diverged.

import { TroupeError } from '../errors.ts';
import { checkFaults, type SimFault } from './sim-faults.ts';

/** The format tag of a {@link SimTrace}; a trace of another format is refused. */
export const SIM_TRACE_FORMAT = 'troupe-sim-trace/1';

/**
 * A recorded simulation, plain JSON. Replaying it (`replay: trace` in `createTestSystem` or
 * `createSimCluster`) uses its `seed` and `faults`, and at each step runs the step it records,
 * checking it is the same one (same label, same random draws before it); the first difference is
 * reported as `replay-diverged` ("diverged at step N: expected …, got …").
 *
 * Step labels name what ran: `b/user/inventory` (a turn of that actor on node b),
 * `b/temp/ask-12` (an ask of node b settled: its awaiting code resumes), `b/user/orders done` (an
 * async handler ended), `b timer`, `b soon`, `b yield`, `net timer` (a packet of the network),
 * `fault crash b` (a scheduled fault).
 */
export interface SimTrace {
  readonly format: typeof SIM_TRACE_FORMAT;
  readonly seed: number;
  /** Whether the seeded scheduler chose among ready steps (else FIFO). */
  readonly explore: boolean;
  /** The fault schedule the run was given. */
  readonly faults: readonly SimFault[];
  /** Distinct step labels; `steps` refers to them by index. */
  readonly labels: readonly string[];
  /**
   * Three numbers per step: the index of its label, which of the ready steps it was (0 = the
   * oldest), and how many random draws the simulation had made before it.
   */
  readonly steps: readonly number[];
  /** Present when the trace was taken after the run ended: a replay must end at the same step. */
  readonly end?: { readonly steps: number; readonly atMs: number };
  /** Free-form notes (the seed runner puts the scenario's name and the failure here). */
  readonly notes?: Readonly<Record<string, string | number>>;
}

/** The number of steps in a trace. */
export function traceLength(trace: SimTrace): number {
  return trace.steps.length / 3;
}

/** The label of step `n` of a trace (`undefined` past its end). */
export function stepLabel(trace: SimTrace, n: number): string | undefined {
  return n >= 0 && n < traceLength(trace) ? trace.labels[trace.steps[3 * n]] : undefined;
}

const invalid = (why: string): never => {
  throw new TroupeError('invalid-argument', `Not a simulation trace: ${why}. Pass a trace from simTrace() or a file written by the seed runner, unchanged.`);
};

const isInt = (v: unknown, min = 0): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/**
 * Checks that `value` (e.g. parsed from a file) is a well-formed {@link SimTrace}; throws
 * `invalid-argument` saying what is wrong otherwise. Returns it typed.
 */
export function parseSimTrace(value: unknown): SimTrace {
  if (typeof value !== 'object' || value === null) return invalid('not an object');
  const t = value as Record<string, unknown>;
  if (t.format !== SIM_TRACE_FORMAT) invalid(`format is ${JSON.stringify(t.format)}, not "${SIM_TRACE_FORMAT}"`);
  if (!isInt(t.seed) || t.seed > 0xffffffff) invalid('seed is not an integer in [0, 2^32)');
  if (typeof t.explore !== 'boolean') invalid('explore is not a boolean');
  if (!Array.isArray(t.labels) || !t.labels.every((l) => typeof l === 'string')) invalid('labels is not an array of strings');
  const labels = t.labels as string[];
  if (!Array.isArray(t.steps) || t.steps.length % 3 !== 0) invalid('steps is not an array of triples');
  const steps = t.steps as unknown[];
  for (let i = 0; i < steps.length; i += 3) {
    if (!isInt(steps[i]) || (steps[i] as number) >= labels.length || !isInt(steps[i + 1]) || !isInt(steps[i + 2])) invalid(`step ${i / 3} is malformed`);
  }
  if (!Array.isArray(t.faults)) invalid('faults is not an array');
  try { checkFaults(t.faults as SimFault[]); } catch (e) { invalid(`its faults are malformed (${(e as Error).message})`); }
  if (t.end !== undefined) {
    const end = t.end as Record<string, unknown>;
    if (typeof end !== 'object' || end === null || !isInt(end.steps) || typeof end.atMs !== 'number') invalid('end is malformed');
  }
  if (t.notes !== undefined && (typeof t.notes !== 'object' || t.notes === null)) invalid('notes is not an object');
  return value as SimTrace;
}
