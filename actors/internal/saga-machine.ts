// The saga's orchestration as one small state machine: its context is the saga's progress, it
// decides the next record (applying it with the same fold a resume uses) and emits commands.
// Hand-written (it was an xstate machine): sagas are many and short, and making and running an
// xstate actor per saga cost more than the rest of the saga (profiled on the simulated shop).
//
//   route ──(gave up compensating)──▶ compensationFailed (final)
//     │   ──(all steps done)────────▶ completed (final)
//     │   ──(forward)───────────────▶ forward.attempting ⇄ forward.backoff
//     │   ──(nothing to compensate)─▶ failed (final)
//     └───(else)────────────────────▶ compensating.attempting ⇄ compensating.backoff
//   attempting: on entry records *-started and runs the attempt; ATTEMPT_OK records the completion
//   → route; ATTEMPT_FAILED or the attempt timeout records the failure → backoff (attempts left) or
//   route (final). backoff: after the retry delay → attempting.

import { applyRecord, type SagaProgress, type SagaRecord } from './saga-records.ts';
import type { StepPlan } from './saga-plan.ts';

/** What the machine runs on: the resolved steps and where the saga stands. */
export interface SagaMachineInput {
  readonly plan: readonly StepPlan[];
  readonly progress: SagaProgress;
  /** The delay before the next attempt of the step at work (its backoff, drawn from the host's seeded random). */
  readonly retryDelay: (context: SagaMachineContext) => number;
}

/** The machine's context: the progress, plus the plan it is read against. */
export interface SagaMachineContext extends SagaProgress {
  readonly plan: readonly StepPlan[];
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

/** The machine's state: `attempting` and `backoff` are those of the current mode (forward or compensating). */
export type SagaMachineState = 'route' | 'attempting' | 'backoff' | 'completed' | 'failed' | 'compensationFailed';

/** The timer the host must keep running for the machine: the attempt's timeout or the retry delay. */
export interface SagaTimer {
  readonly kind: 'attempt' | 'retry';
  readonly ms: number;
  /** Changes whenever the timer is replaced: a firing with another token is stale. */
  readonly token: number;
}

export class SagaMachine {
  context: SagaMachineContext;
  state: SagaMachineState = 'route';
  /** The timer that must be running now, if any. */
  timer: SagaTimer | null = null;
  private tokens = 0;

  /** `emit` receives each command as the machine decides it. */
  constructor(private readonly input: SagaMachineInput, private readonly emit: (command: SagaCommand) => void) {
    this.context = { plan: input.plan, ...input.progress };
  }

  get done(): boolean { return this.state === 'completed' || this.state === 'failed' || this.state === 'compensationFailed'; }
  private get kind(): AttemptKind { return this.context.mode === 'forward' ? 'step' : 'compensation'; }
  private get step(): StepPlan { return this.context.plan[this.context.index]; }

  start(): void { this.route(); }

  send(e: SagaMachineEvent): void {
    if (this.state !== 'attempting') return;
    const c = this.context;
    if (e.index !== c.index || e.attempt !== c.attempt || e.kind !== this.kind) return; // a stale attempt
    if (e.type === 'ATTEMPT_OK') {
      const s = this.step;
      this.record(this.kind === 'step'
        ? { type: 'step-completed', step: s.name, index: c.index, result: e.result }
        : { type: 'compensation-completed', step: s.name, index: c.index });
      this.route();
      return;
    }
    this.failed(e.lost ? 'lost' : 'error', e.message);
  }

  /** The timer with `token` fired: an attempt's timeout, or the end of a backoff. */
  fire(token: number): void {
    const t = this.timer;
    if (t === null || t.token !== token) return;
    this.timer = null;
    if (t.kind === 'attempt' && this.state === 'attempting') this.failed('timeout', `${this.step.name} did not settle within ${this.step.timeoutMs} ms`);
    else if (t.kind === 'retry' && this.state === 'backoff') this.attempt();
  }

  private failed(reason: 'error' | 'lost' | 'timeout', message: string): void {
    const c = this.context;
    const s = this.step;
    const canRetry = c.attempt < (c.mode === 'forward' ? s.attempts : s.compensationAttempts);
    this.record({ type: this.kind === 'step' ? 'step-failed' : 'compensation-failed', step: s.name, index: c.index, attempt: c.attempt, reason, message, final: !canRetry });
    if (canRetry) {
      this.state = 'backoff';
      this.timer = { kind: 'retry', ms: this.input.retryDelay(this.context), token: ++this.tokens };
    } else this.route();
  }

  private route(): void {
    this.timer = null;
    const c = this.context;
    if (c.compensationFailure !== undefined) return this.end('compensationFailed', { type: 'saga-compensation-failed' });
    if (c.mode === 'forward' && c.index >= c.plan.length) return this.end('completed', { type: 'saga-completed' });
    if (c.mode !== 'forward' && c.index < 0) return this.end('failed', { type: 'saga-failed' });
    this.attempt();
  }

  private attempt(): void {
    const c = this.context;
    this.state = 'attempting';
    this.record({ type: this.kind === 'step' ? 'step-started' : 'compensation-started', step: this.step.name, index: c.index, attempt: c.attempt });
    this.emit({ type: 'run', kind: this.kind, index: c.index, attempt: c.attempt });
    this.timer = { kind: 'attempt', ms: this.step.timeoutMs, token: ++this.tokens };
  }

  private end(state: SagaMachineState, record: SagaRecord): void {
    this.state = state;
    this.record(record);
  }

  private record(record: SagaRecord): void {
    this.context = { ...(applyRecord(this.context.plan, this.context, record) as SagaMachineContext), plan: this.context.plan };
    this.emit({ type: 'record', record });
  }
}
