// Durable sagas (orchestration with compensation): ordered steps run by a small state machine
// hosted in an actor, journaled step by step so a crashed or killed saga resumes where it stopped.

import type { Observable } from 'rxjs';
import type { ActorRef } from '../runtime/actor-ref.ts';
import type { ActorSystem } from '../runtime/system.ts';
import type { Backoff } from '../supervisors/backoff.ts';
import type { Journal } from './journal/journal.ts';
import { resolvePlan, type StepPlan } from './internal/saga-plan.ts';
import { resumeSagasIn, startSagaIn, type SagaSpawner } from './internal/saga-start.ts';

/** How a saga ended: all steps done; a step failed and was compensated; a compensation kept failing. */
export type SagaEnd = 'completed' | 'failed' | 'compensation-failed';

/**
 * Where a saga is: `starting` (loading its journal), `running` a step's attempt, `retrying` (waiting
 * out a step's backoff), `compensating` (an attempt or a backoff of a compensation), or ended.
 */
export type SagaPhase = 'starting' | 'running' | 'retrying' | 'compensating' | SagaEnd;

/**
 * Why an attempt failed: its promise rejected (or threw) with an error (`error`); it did not settle
 * within `timeoutMs` (`timeout`); or it rejected because the request or its reply was lost on the
 * way — an ask that timed out, an unreachable node, a closed link, a node that went down before
 * replying (any Troupe error whose data has `mayHaveRun: true`) (`lost`). After `timeout` and
 * `lost` the outcome is unknown: the action may have taken effect.
 */
export type SagaFailureReason = 'error' | 'timeout' | 'lost';

/**
 * Whether a step that failed for good is compensated itself (the steps before it always are):
 * `'if-unknown'` when its outcome is unknown (one of its attempts ended `timeout` or `lost`: it may
 * have taken effect, and compensations are idempotent by contract — a later attempt failing with an
 * error does not tell that an earlier one did nothing), `'always'`, or `'never'`.
 */
export type CompensateFailed = 'if-unknown' | 'always' | 'never';

/**
 * Retries of a step's action (or compensation). `attempts` counts every attempt, the first one
 * included (so `1` means no retry). Between attempts the saga waits `backoff` (see {@link Backoff}:
 * `factor` 2 and `jitter` 0.2 when absent, drawn from the system's seeded random); no backoff
 * means the next attempt starts at once.
 */
export interface SagaRetry {
  readonly attempts: number;
  readonly backoff?: Backoff;
}

/**
 * What a step's action and compensation receive. `idempotencyKey` is `${sagaId}:${step}`: the same
 * for every attempt, every retry after a crash, and the compensation, so services can deduplicate.
 */
export interface SagaStepContext<Input, Results extends Record<string, unknown> = Record<string, unknown>> {
  readonly sagaId: string;
  readonly sagaName: string;
  readonly step: string;
  /** 1-based attempt of this action (or compensation); a crash does not count as an attempt. */
  readonly attempt: number;
  readonly idempotencyKey: string;
  readonly input: Input;
  /** Results of the steps completed so far, by step name (as read back from the journal). */
  readonly results: Partial<Results>;
  /** This attempt's timeout: pass it on to the ask you make, so both give up together. */
  readonly timeoutMs: number;
  readonly system: ActorSystem;
}

/**
 * One step. `action` must be idempotent under its `idempotencyKey`: it runs again when its attempt
 * was started but not recorded as completed (a crash, a node kill, a timeout followed by a retry).
 * Its result is journaled, so it must be serializable (plain JSON or what superjson handles).
 * `compensate` undoes a completed action and must be idempotent too. Defaults: `timeoutMs` 5 000
 * (per attempt, on the system clock, also for the compensation); `retry` `{ attempts: 1 }`;
 * `compensationRetry` `{ attempts: 5, backoff: { minMs: 200, maxMs: 5_000 } }`;
 * `compensateFailed` `'if-unknown'`: a step one of whose attempts timed out or was lost is compensated
 * too, since it may have taken effect (a reservation whose reply was lost); set `'never'` for a step
 * whose compensation must not run unless it completed, `'always'` to undo it after any failure.
 */
export interface SagaStep<Input, Results extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  action(ctx: SagaStepContext<Input, Results>): Promise<unknown>;
  compensate?(ctx: SagaStepContext<Input, Results>): Promise<unknown>;
  readonly timeoutMs?: number;
  readonly retry?: SagaRetry;
  readonly compensationRetry?: SagaRetry;
  readonly compensateFailed?: CompensateFailed;
}

/** The first failure that made a saga compensate, or the compensation that kept failing. */
export interface SagaFailure {
  readonly step: string;
  readonly reason: SagaFailureReason;
  readonly message: string;
  readonly attempts: number;
}

/**
 * How a saga ended. `failed`: `compensated` lists the steps undone, in the order they were undone.
 * `compensation-failed`: compensation stopped at `compensationFailure.step` (reverse order is the
 * contract, so nothing before it was attempted); `uncompensated` lists what still needs undoing,
 * that step first — it is left for an operator.
 */
export type SagaOutcome<Results extends Record<string, unknown> = Record<string, unknown>> =
  | { readonly status: 'completed'; readonly sagaId: string; readonly results: Results }
  | { readonly status: 'failed'; readonly sagaId: string; readonly failure: SagaFailure; readonly compensated: readonly string[] }
  | {
    readonly status: 'compensation-failed'; readonly sagaId: string; readonly failure: SagaFailure;
    readonly compensationFailure: SagaFailure; readonly compensated: readonly string[]; readonly uncompensated: readonly string[];
  };

/** A saga's progress as published on `status$`. `step`/`attempt` name the step at work, if any. */
export interface SagaStatus {
  readonly sagaId: string;
  readonly phase: SagaPhase;
  readonly step: string | undefined;
  readonly attempt: number;
  readonly completed: readonly string[];
  readonly compensated: readonly string[];
}

/** What a saga actor answers: its current status. */
export type SagaQuery = { readonly type: 'get-status'; readonly replyTo: ActorRef<SagaStatus> };

/** The spec given to {@link defineSaga}. `onComplete`/`onFailed` run once the end is journaled. */
export interface SagaSpec<Input, Results extends Record<string, unknown> = Record<string, unknown>> {
  /** 1–64 characters of `A–Z a–z 0–9 _ .` (no `-`, so `saga-<name>-<id>` streams of two sagas never collide). */
  readonly name: string;
  readonly steps: readonly SagaStep<Input, Results>[];
  readonly journal: Journal;
  readonly onComplete?: (outcome: Extract<SagaOutcome<Results>, { status: 'completed' }>, system: ActorSystem) => void;
  readonly onFailed?: (outcome: Exclude<SagaOutcome<Results>, { status: 'completed' }>, system: ActorSystem) => void;
}

/** A checked, frozen saga definition; `plan` is each step with its defaults filled in. */
export interface SagaDefinition<Input, Results extends Record<string, unknown> = Record<string, unknown>> extends SagaSpec<Input, Results> {
  readonly kind: 'saga';
  readonly plan: readonly StepPlan[];
}

/** A running (or resumed) saga: its actor, its status as it changes, and its outcome. */
export interface SagaHandle<Results extends Record<string, unknown> = Record<string, unknown>> {
  readonly sagaId: string;
  /** The saga's actor, at `/user/saga-<name>-<sagaId>` (or under the actor that started it). */
  readonly ref: ActorRef<SagaQuery>;
  /** Current status first, then every change; completes when the saga ends or its actor stops for good. */
  readonly status$: Observable<SagaStatus>;
  /** The latest status. */
  status(): SagaStatus;
  /**
   * Resolves with the outcome once it is journaled (at once for a saga that had already ended).
   * Rejects with `actor-dead` if the saga's actor stops for good first (system terminated,
   * restarts exhausted): the saga is unfinished, resume it with {@link resumeSagas}.
   */
  readonly outcome: Promise<SagaOutcome<Results>>;
}

/** Options of {@link startSaga}. `sagaId`: `A–Z a–z 0–9 _ . : -`, short enough that the actor name fits 128 characters. */
export interface StartSagaOptions<Input> {
  readonly sagaId: string;
  readonly input: Input;
}

/**
 * Defines a saga. Throws `invalid-spec` at once for a bad name, no steps, duplicate step names,
 * or a bad timeout/retry. See {@link SagaStep} for each step's defaults.
 *
 * @example
 * const order = defineSaga<{ orderId: string }, { reserve: string; charge: string }>({
 *   name: 'order', journal,
 *   steps: [
 *     { name: 'reserve', action: (c) => ask(inventory, 'reserve', c), compensate: (c) => ask(inventory, 'release', c) },
 *     { name: 'charge', action: (c) => ask(payments, 'charge', c), retry: { attempts: 3, backoff: { minMs: 100, maxMs: 2_000 } } },
 *   ],
 * });
 */
export function defineSaga<Input, Results extends Record<string, unknown> = Record<string, unknown>>(spec: SagaSpec<Input, Results>): SagaDefinition<Input, Results> {
  const plan = resolvePlan(spec);
  return Object.freeze({ ...spec, steps: Object.freeze([...spec.steps]), kind: 'saga' as const, plan });
}

/** The journal stream of one saga: `saga-<name>-<sagaId>`. */
export function sagaStreamName(name: string, sagaId: string): string {
  return `saga-${name}-${sagaId}`;
}

/**
 * Starts saga `sagaId` in an actor spawned by `where` (the system, or an actor's context to
 * supervise it yourself) under the name `saga-<name>-<sagaId>`, restart `'transient'`. The actor
 * first reads the saga's stream: empty, it registers the id in the index stream `sagas:<name>` and
 * journals `saga-started` with `input`; not empty, the journaled input wins and the saga resumes
 * (or just reports its outcome if it had ended). Throws `invalid-argument` for a bad id and
 * `duplicate-name` when that saga already runs under `where`. Run one actor per saga id at a time:
 * appends carry the stream's expected version, so a second writer fails with
 * `concurrency-conflict` (and is restarted) rather than interleaving records.
 *
 * Journal and resume rules: the stream holds `saga-started`, then per attempt `step-started` and
 * `step-completed` (with the result) or `step-failed` (`final` when no attempt is left), then
 * `compensation-started`/`-completed`/`-failed` likewise, and one of `saga-completed`,
 * `saga-failed`, `saga-compensation-failed`; `saga-resumed` marks each resume. A record is appended
 * before anything after it runs. A resumed saga never re-runs a completed step or compensation;
 * one started but not completed runs again with the same attempt number (a crash is not an
 * attempt); one waiting out a backoff retries at once; its per-attempt timeout starts afresh.
 *
 * @example
 * const saga = startSaga(system, order, { sagaId: 'o-42', input: { orderId: '42' } });
 * const outcome = await saga.outcome; // { status: 'completed', … }
 */
export function startSaga<Input, Results extends Record<string, unknown>>(where: SagaSpawner, def: SagaDefinition<Input, Results>, options: StartSagaOptions<Input>): SagaHandle<Results> {
  return startSagaIn(where, def, options.sagaId, { input: options.input }, def.journal);
}

/**
 * Resumes every unfinished saga of `def`: reads the index stream `sagas:<name>` (ids registered,
 * minus ids marked finished; a snapshot of the open ids is saved so the next call reads only what
 * came after), and starts each one from its journal. A registered id whose stream is empty (a crash
 * between registering and starting) is dropped; one whose stream shows it ended is marked finished.
 * `journal` defaults to `def.journal` and is used for the index and the resumed sagas alike.
 * An id whose actor already runs under `where` is skipped (it is not in the result).
 *
 * @example
 * const resumed = await resumeSagas(system, order);
 * await Promise.all(resumed.map((s) => s.outcome));
 */
export function resumeSagas<Input, Results extends Record<string, unknown>>(where: SagaSpawner, def: SagaDefinition<Input, Results>, journal: Journal = def.journal): Promise<SagaHandle<Results>[]> {
  return resumeSagasIn(where, def, journal);
}

export type { SagaSpawner };
