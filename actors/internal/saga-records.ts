// What a saga journals, and the pure fold from those records to its progress: the machine
// applies each record as it decides it, and a resumed saga folds its stream the same way.

import type { NewEvent, StoredEvent } from '../journal/journal.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { SagaEnd, SagaFailure, SagaFailureReason, SagaOutcome } from '../saga.ts';
import { compensableAtOrBelow, compensationStart, type StepPlan } from './saga-plan.ts';

/** One journaled saga event (the journal event's `type` is the record's, its `data` the record). */
export type SagaRecord =
  | { readonly type: 'saga-started'; readonly sagaId: string; readonly input: unknown }
  | { readonly type: 'saga-resumed' }
  | { readonly type: 'step-started'; readonly step: string; readonly index: number; readonly attempt: number }
  | { readonly type: 'step-completed'; readonly step: string; readonly index: number; readonly result: unknown }
  | StepFailed<'step-failed'>
  | { readonly type: 'compensation-started'; readonly step: string; readonly index: number; readonly attempt: number }
  | { readonly type: 'compensation-completed'; readonly step: string; readonly index: number }
  | StepFailed<'compensation-failed'>
  | { readonly type: 'saga-completed' }
  | { readonly type: 'saga-failed' }
  | { readonly type: 'saga-compensation-failed' };

/** An attempt that failed; `final` when no attempt is left. */
interface StepFailed<T extends string> {
  readonly type: T; readonly step: string; readonly index: number; readonly attempt: number;
  readonly reason: SagaFailureReason; readonly message: string; readonly final: boolean;
}

const TYPES: ReadonlySet<string> = new Set<SagaRecord['type']>([
  'saga-started', 'saga-resumed', 'step-started', 'step-completed', 'step-failed', 'compensation-started',
  'compensation-completed', 'compensation-failed', 'saga-completed', 'saga-failed', 'saga-compensation-failed',
]);

/** Where a saga stands; `index` is the step running (forward) or being compensated (compensating). */
export interface SagaProgress {
  readonly mode: 'forward' | 'compensating';
  readonly index: number;
  readonly attempt: number;
  readonly results: Readonly<Record<string, unknown>>;
  readonly completed: readonly string[];
  readonly compensated: readonly string[];
  readonly failure: SagaFailure | undefined;
  readonly compensationFailure: SagaFailure | undefined;
  readonly ended: SagaEnd | undefined;
  /** An attempt of the step at work (forward) timed out or was lost: it may have taken effect. */
  readonly unknown: boolean;
}

/** A saga that has only just started. */
export const INITIAL_PROGRESS: SagaProgress = Object.freeze({
  mode: 'forward', index: 0, attempt: 1, results: {}, completed: [], compensated: [],
  failure: undefined, compensationFailure: undefined, ended: undefined, unknown: false,
});

/** The journal event for a record. */
export function toNewEvent(r: SagaRecord): NewEvent {
  // a step without a result stores none (an undefined field would need the slower non-JSON encoding)
  if (r.type === 'step-completed' && r.result === undefined) return { type: r.type, data: { type: r.type, step: r.step, index: r.index } };
  return { type: r.type, data: r };
}

/** The record a stored event holds; throws `schema-invalid` for anything a saga did not write. */
export function fromStored(e: StoredEvent): SagaRecord {
  const d = e.data as { type?: unknown } | null;
  if (typeof d !== 'object' || d === null || d.type !== e.type || !TYPES.has(e.type)) {
    throw new TroupeError('schema-invalid', `Stream ${e.stream} holds event ${e.version} of type "${e.type}", which is not a saga record: saga streams must be written by the saga only.`, { stream: e.stream, version: e.version });
  }
  return d as SagaRecord;
}

const failureOf = (r: StepFailed<string>): SagaFailure => ({ step: r.step, reason: r.reason, message: r.message, attempts: r.attempt });

/** Applies one record to the progress (pure). Throws `invalid-spec` if the record names another step than the definition. */
export function applyRecord(plan: readonly StepPlan[], p: SagaProgress, r: SagaRecord): SagaProgress {
  if ('step' in r && plan[r.index]?.name !== r.step) {
    throw new TroupeError('invalid-spec', `The saga's journal has step "${r.step}" at index ${r.index} but the definition has "${plan[r.index]?.name ?? '(none)'}": ` +
      'a saga must resume with the steps it started with; deploy step changes under a new saga name.', { step: r.step, index: r.index });
  }
  switch (r.type) {
    case 'saga-started':
    case 'saga-resumed':
      return p;
    case 'step-started':
    case 'compensation-started':
      return { ...p, index: r.index, attempt: r.attempt };
    case 'step-completed':
      return { ...p, index: r.index + 1, attempt: 1, results: { ...p.results, [r.step]: r.result }, completed: [...p.completed, r.step], unknown: false };
    case 'step-failed': {
      const unknown = p.unknown || r.reason !== 'error';
      if (!r.final) return { ...p, attempt: r.attempt + 1, unknown };
      return { ...p, mode: 'compensating', index: compensationStart(plan, r.index, unknown), attempt: 1, failure: failureOf(r), unknown: false };
    }
    case 'compensation-completed':
      return { ...p, index: compensableAtOrBelow(plan, r.index - 1), attempt: 1, compensated: [...p.compensated, r.step] };
    case 'compensation-failed':
      if (!r.final) return { ...p, attempt: r.attempt + 1 };
      return { ...p, compensationFailure: failureOf(r) };
    case 'saga-completed': return { ...p, ended: 'completed' };
    case 'saga-failed': return { ...p, ended: 'failed' };
    case 'saga-compensation-failed': return { ...p, ended: 'compensation-failed' };
  }
}

/** Folds a saga's stream: its id, its input and where it stands. The first record must be `saga-started`. */
export function foldRecords(plan: readonly StepPlan[], records: readonly SagaRecord[]): { sagaId: string; input: unknown; progress: SagaProgress } {
  const first = records[0];
  if (first?.type !== 'saga-started') throw new TroupeError('schema-invalid', 'A saga stream must begin with saga-started; this one does not, so it was not written by a saga.');
  let progress = INITIAL_PROGRESS;
  for (const r of records) progress = applyRecord(plan, progress, r);
  return { sagaId: first.sagaId, input: first.input, progress };
}

/** The outcome of an ended saga. */
export function outcomeOf<R extends Record<string, unknown>>(plan: readonly StepPlan[], sagaId: string, p: SagaProgress): SagaOutcome<R> {
  const failure = p.failure ?? { step: '(unknown)', reason: 'error', message: 'no failure recorded', attempts: 0 };
  switch (p.ended) {
    case 'completed': return { status: 'completed', sagaId, results: p.results as R };
    case 'failed': return { status: 'failed', sagaId, failure, compensated: p.compensated };
    case 'compensation-failed': {
      const uncompensated: string[] = [];
      for (let j = p.index; j >= 0; j = compensableAtOrBelow(plan, j - 1)) uncompensated.push(plan[j].name);
      return { status: 'compensation-failed', sagaId, failure, compensationFailure: p.compensationFailure ?? failure, compensated: p.compensated, uncompensated };
    }
    case undefined: throw new TroupeError('invalid-argument', `Saga ${sagaId} has not ended; wait for its outcome before asking for it.`);
  }
}
