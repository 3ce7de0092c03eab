// The saga's orchestration as one generic xstate v5 machine: its context is the saga's progress,
// it decides the next record (applying it with the same fold a resume uses) and emits commands.

import { and, enqueueActions, setup, type ActorRefFrom } from 'xstate';
import { applyRecord, type SagaProgress, type SagaRecord } from './saga-records.ts';
import type { StepPlan } from './saga-plan.ts';

/** What the machine runs on: the resolved steps and where the saga stands. */
export interface SagaMachineInput {
  readonly plan: readonly StepPlan[];
  readonly progress: SagaProgress;
  /** A draw in [0, 1) from the hosting actor's seeded random (the backoff's jitter). */
  readonly draw: () => number;
}

/** The machine's context: the progress, plus the plan it is read against. */
export interface SagaMachineContext extends SagaProgress {
  readonly plan: readonly StepPlan[];
  readonly draw: () => number;
}

/** Which function of a step an attempt runs. */
export type AttemptKind = 'step' | 'compensation';

/** How an attempt ended, reported by the host; stale attempts (wrong index or attempt) are ignored. */
export type SagaMachineEvent =
  | { readonly type: 'ATTEMPT_OK'; readonly kind: AttemptKind; readonly index: number; readonly attempt: number; readonly result: unknown }
  | { readonly type: 'ATTEMPT_FAILED'; readonly kind: AttemptKind; readonly index: number; readonly attempt: number; readonly message: string; readonly lost: boolean };

/** What the machine asks its host to do, in order: journal a record, or run an attempt. */
export type SagaCommand =
  | { readonly type: 'record'; readonly record: SagaRecord }
  | { readonly type: 'run'; readonly kind: AttemptKind; readonly index: number; readonly attempt: number };

type Ctx = SagaMachineContext;
type Ev = SagaMachineEvent | { readonly type: `xstate.${string}` };

const step = (c: Ctx): StepPlan => c.plan[c.index];
const failMessage = (c: Ctx, e: Ev): string =>
  e.type === 'ATTEMPT_FAILED' ? e.message : `${step(c).name} did not settle within ${step(c).timeoutMs} ms`;

/** Builds the record for a failed attempt of `kind`, final when no attempt is left. */
const failedRecord = (kind: AttemptKind, c: Ctx, e: Ev, final: boolean): SagaRecord => ({
  type: kind === 'step' ? 'step-failed' : 'compensation-failed',
  step: step(c).name, index: c.index, attempt: c.attempt,
  reason: e.type === 'ATTEMPT_FAILED' ? (e.lost ? 'lost' : 'error') : 'timeout', message: failMessage(c, e), final,
});

type Args = { readonly context: Ctx; readonly event: Ev };

/** The `attempting` ⇄ `backoff` pair, for steps (forward) and compensations alike. */
function attemptStates(kind: AttemptKind) {
  const failed = (final: boolean) => ({ type: 'record' as const, params: ({ context, event }: Args) => ({ record: failedRecord(kind, context, event, final) }) });
  const done = ({ context, event }: Args): SagaRecord => kind === 'step'
    ? { type: 'step-completed', step: step(context).name, index: context.index, result: event.type === 'ATTEMPT_OK' ? event.result : undefined }
    : { type: 'compensation-completed', step: step(context).name, index: context.index };
  return {
    initial: 'attempting' as const,
    states: {
      attempting: {
        entry: [
          { type: 'record' as const, params: ({ context }: Args) => ({ record: { type: kind === 'step' ? 'step-started' : 'compensation-started', step: step(context).name, index: context.index, attempt: context.attempt } as const }) },
          { type: 'run' as const, params: { kind } },
        ],
        after: {
          attemptTimeout: [
            { guard: 'canRetry' as const, target: 'backoff', actions: failed(false) },
            { target: '#saga.route', actions: failed(true) },
          ],
        },
        on: {
          ATTEMPT_OK: { guard: 'isCurrent' as const, target: '#saga.route', actions: { type: 'record' as const, params: (a: Args) => ({ record: done(a) }) } },
          ATTEMPT_FAILED: [
            { guard: and(['isCurrent', 'canRetry']), target: 'backoff', actions: failed(false) },
            { guard: 'isCurrent' as const, target: '#saga.route', actions: failed(true) },
          ],
        },
      },
      backoff: { after: { retryDelay: 'attempting' } },
    },
  };
}

/**
 * The saga machine. States: `route` (transient: picks the next state from the context),
 * `forward.attempting` → `forward.backoff` → …, `compensating.attempting` →
 * `compensating.backoff` → …, and the finals `completed`, `failed`, `compensationFailed`.
 * An attempt ends with ATTEMPT_OK, ATTEMPT_FAILED or the `attemptTimeout` delay; `retryDelay`
 * is 0 here and provided by the host (a jittered backoff from the system's random).
 */
export const sagaMachine = setup({
  types: { context: {} as Ctx, events: {} as SagaMachineEvent, input: {} as SagaMachineInput, emitted: {} as SagaCommand },
  delays: {
    attemptTimeout: ({ context }) => step(context).timeoutMs,
    retryDelay: () => 0,
  },
  guards: {
    isCurrent: ({ context, event }) => event.index === context.index && event.attempt === context.attempt &&
      event.kind === (context.mode === 'forward' ? 'step' : 'compensation'),
    canRetry: ({ context }) => context.attempt < (context.mode === 'forward' ? step(context).attempts : step(context).compensationAttempts),
    gaveUpCompensating: ({ context }) => context.compensationFailure !== undefined,
    allStepsDone: ({ context }) => context.mode === 'forward' && context.index >= context.plan.length,
    isForward: ({ context }) => context.mode === 'forward',
    nothingToCompensate: ({ context }) => context.index < 0,
  },
  actions: {
    record: enqueueActions(({ enqueue }, params: { readonly record: SagaRecord }) => {
      enqueue.assign(({ context }) => applyRecord(context.plan, context, params.record));
      enqueue.emit({ type: 'record', record: params.record });
    }),
    run: enqueueActions(({ context, enqueue }, params: { readonly kind: AttemptKind }) => {
      enqueue.emit({ type: 'run', kind: params.kind, index: context.index, attempt: context.attempt });
    }),
  },
}).createMachine({
  id: 'saga',
  context: ({ input }) => ({ plan: input.plan, draw: input.draw, ...input.progress }),
  initial: 'route',
  states: {
    route: {
      always: [
        { guard: 'gaveUpCompensating', target: 'compensationFailed' },
        { guard: 'allStepsDone', target: 'completed' },
        { guard: 'isForward', target: 'forward' },
        { guard: 'nothingToCompensate', target: 'failed' },
        { target: 'compensating' },
      ],
    },
    forward: attemptStates('step'),
    compensating: attemptStates('compensation'),
    completed: { type: 'final', entry: { type: 'record', params: { record: { type: 'saga-completed' } } } },
    failed: { type: 'final', entry: { type: 'record', params: { record: { type: 'saga-failed' } } } },
    compensationFailed: { type: 'final', entry: { type: 'record', params: { record: { type: 'saga-compensation-failed' } } } },
  },
});

/** A running saga machine. */
export type SagaMachineActor = ActorRefFrom<typeof sagaMachine>;
