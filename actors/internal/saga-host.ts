// The actor that hosts one saga's machine: loads (or begins) its journal stream, journals every
// record the machine decides before running what comes next, and runs the steps' attempts.

import { createActor } from 'xstate';
import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorContext } from '../../runtime/context.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { assertNever, isTroupeError, TroupeError } from '../../runtime/errors.ts';
import { backoffDelay } from '../../supervisors/backoff.ts';
import type { Journal } from '../journal/journal.ts';
import { schedulerClock } from '../machine-actor.ts';
import { sagaStreamName, type SagaDefinition, type SagaQuery, type SagaStatus, type SagaStepContext } from '../saga.ts';
import { closeSaga, registerSaga } from './saga-index.ts';
import { sagaMachine, type AttemptKind, type SagaCommand, type SagaMachineActor, type SagaMachineContext } from './saga-machine.ts';
import { foldRecords, fromStored, outcomeOf, toNewEvent, type SagaProgress, type SagaRecord } from './saga-records.ts';
import type { SagaReport } from './saga-report.ts';
import type { StepPlan } from './saga-plan.ts';

type DelayedCall = Parameters<Parameters<typeof schedulerClock>[1]>[0];

/** Everything a saga actor handles: status queries, and its own load, attempt and timer messages. */
export type SagaMsg =
  | SagaQuery
  | { readonly type: 'saga-load' }
  | { readonly type: 'saga-attempt-settled'; readonly run: string; readonly kind: AttemptKind; readonly index: number; readonly attempt: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'saga-attempt-settled'; readonly run: string; readonly kind: AttemptKind; readonly index: number; readonly attempt: number; readonly ok: false; readonly message: string; readonly lost: boolean }
  | { readonly type: '$xstate.timer'; readonly call: DelayedCall };

/** One incarnation's state: `run` tells its attempts' replies from a previous incarnation's. */
interface HostState {
  readonly run: string;
  machine: SagaMachineActor | undefined;
  version: number;
  input: unknown;
  ended: boolean;
  readonly pending: SagaCommand[];
}

/** What a saga actor is built from. `start` is absent when resuming (the stream must exist). */
export interface SagaHostOptions<I, R extends Record<string, unknown>> {
  readonly def: SagaDefinition<I, R>;
  readonly sagaId: string;
  readonly start: { readonly input: I } | undefined;
  readonly journal: Journal;
  readonly report: SagaReport<R>;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The machine with the backoff of its plan's steps, made once per saga definition (making one costs more than running it). */
const logics = new WeakMap<readonly StepPlan[], typeof sagaMachine>();
function logicOf(plan: readonly StepPlan[]): typeof sagaMachine {
  let logic = logics.get(plan);
  if (logic === undefined) {
    logic = sagaMachine.provide({
      delays: {
        retryDelay: ({ context }) => {
          const b = context.mode === 'forward' ? plan[context.index].backoff : plan[context.index].compensationBackoff;
          return b === undefined ? 0 : backoffDelay(b, context.attempt - 1, context.draw());
        },
      },
    });
    logics.set(plan, logic);
  }
  return logic;
}

/** Defines the actor of one saga (see `startSaga` for the behaviour). */
export function defineSagaHost<I, R extends Record<string, unknown>>(o: SagaHostOptions<I, R>): ActorDefinition<SagaMsg, HostState> {
  const { def, sagaId, journal, report } = o;
  const { plan } = def;
  const stream = sagaStreamName(def.name, sagaId);
  type Ctx = ActorContext<SagaMsg>;

  const append = async (s: HostState, records: readonly SagaRecord[]): Promise<void> => {
    s.version = (await journal.append(stream, records.map(toNewEvent), { expectedVersion: s.version })).streamVersion;
  };

  const load = async (s: HostState, ctx: Ctx): Promise<void> => {
    const stored = await journal.readStream(stream);
    let records: SagaRecord[];
    if (stored.length === 0) {
      if (o.start === undefined) throw new TroupeError('invalid-argument', `Saga ${sagaId} of "${def.name}" has no stream ${stream} to resume: start it with startSaga(system, def, { sagaId, input }).`, { sagaId });
      await registerSaga(journal, def.name, sagaId);
      records = [{ type: 'saga-started', sagaId, input: o.start.input }];
      await append(s, records);
    } else {
      records = stored.map(fromStored);
      s.version = stored[stored.length - 1].version;
    }
    const { input, progress } = foldRecords(plan, records);
    s.input = input;
    if (progress.ended !== undefined) return end(s, ctx, progress, false);
    if (stored.length > 0) await append(s, [{ type: 'saga-resumed' }]);
    const self = ctx.self as ActorRef<SagaMsg>;
    const random = ctx.random;
    const machine = createActor(logicOf(plan), {
      input: { plan, progress, draw: () => random.next() },
      clock: schedulerClock(ctx.system.scheduler, (call) => tellQuietly(self, { type: '$xstate.timer', call })),
    });
    machine.on('*', (command) => { s.pending.push(command); });
    machine.subscribe({ error: () => {} });
    s.machine = machine;
    machine.start();
    await drain(s, ctx);
  };

  // Records are journaled (consecutive ones in one append) before any later command runs.
  const drain = async (s: HostState, ctx: Ctx): Promise<void> => {
    const machine = s.machine!;
    while (s.pending.length > 0) {
      const batch: SagaRecord[] = [];
      for (let c = s.pending[0]; c?.type === 'record'; c = s.pending[0]) batch.push((s.pending.shift() as typeof c).record);
      if (batch.length > 0) await append(s, batch);
      const next = s.pending.shift();
      if (next?.type === 'run') launch(s, ctx, next, machine.getSnapshot().context);
    }
    const snap = machine.getSnapshot();
    if (snap.status === 'error') throw snap.error;
    if (snap.status === 'done') return end(s, ctx, snap.context, true);
    const value = snap.value as Record<string, string>;
    const compensating = 'compensating' in value;
    report.publish({
      ...statusOf(snap.context),
      phase: compensating ? 'compensating' : value.forward === 'backoff' ? 'retrying' : 'running',
      step: plan[snap.context.index].name,
      attempt: snap.context.attempt,
    });
  };

  const launch = (s: HostState, ctx: Ctx, cmd: Extract<SagaCommand, { type: 'run' }>, c: SagaMachineContext): void => {
    const step = def.steps[cmd.index];
    const fn = cmd.kind === 'step' ? step.action : step.compensate;
    const sctx: SagaStepContext<I, R> = {
      sagaId, sagaName: def.name, step: step.name, attempt: cmd.attempt, idempotencyKey: `${sagaId}:${step.name}`,
      input: s.input as I, results: c.results as Partial<R>, timeoutMs: plan[cmd.index].timeoutMs, system: ctx.system,
    };
    const base = { type: 'saga-attempt-settled', run: s.run, kind: cmd.kind, index: cmd.index, attempt: cmd.attempt } as const;
    const self = ctx.self as ActorRef<SagaMsg>;
    let p: Promise<unknown>;
    try { p = Promise.resolve(fn!.call(step, sctx)); } catch (e) { p = Promise.reject(e); }
    p.then((result) => tellQuietly(self, { ...base, ok: true, result }), (e: unknown) => tellQuietly(self, { ...base, ok: false, message: messageOf(e), lost: isLost(e) }));
  };

  const end = async (s: HostState, ctx: Ctx, p: SagaProgress, live: boolean): Promise<void> => {
    s.ended = true;
    const outcome = outcomeOf<R>(plan, sagaId, p);
    if (live) await closeSaga(journal, def.name, sagaId, outcome.status);
    report.publish({ ...statusOf(p), phase: outcome.status, step: undefined, attempt: 0 });
    report.ended(outcome);
    // A throwing hook fails the actor; its restart finds the saga ended and just stops (hooks run at most once).
    if (live && outcome.status === 'completed') def.onComplete?.(outcome, ctx.system);
    else if (live && outcome.status !== 'completed') def.onFailed?.(outcome, ctx.system);
    ctx.stop(ctx.self as ActorRef<never>);
  };

  const statusOf = (p: SagaProgress): Pick<SagaStatus, 'sagaId' | 'completed' | 'compensated'> => ({ sagaId, completed: p.completed, compensated: p.compensated });

  return defineActor<SagaMsg, HostState>({
    name: `saga-${def.name}`,
    init: (ctx) => {
      ctx.self.tell({ type: 'saga-load' });
      return { run: ctx.system.ids(), machine: undefined, version: 0, input: undefined, ended: false, pending: [] };
    },
    receive: async (s, msg, ctx) => {
      switch (msg.type) {
        case 'get-status': ctx.send(msg.replyTo, report.current()); return s;
        case 'saga-load': await load(s, ctx); return s;
        case 'saga-attempt-settled':
          if (msg.run !== s.run || s.machine === undefined || s.ended) return s;
          s.machine.send(msg.ok
            ? { type: 'ATTEMPT_OK', kind: msg.kind, index: msg.index, attempt: msg.attempt, result: msg.result }
            : { type: 'ATTEMPT_FAILED', kind: msg.kind, index: msg.index, attempt: msg.attempt, message: msg.message, lost: msg.lost });
          await drain(s, ctx);
          return s;
        case '$xstate.timer':
          if (msg.call.cancelled || s.machine === undefined || s.ended) return s;
          msg.call.cancelled = true;
          msg.call.fn();
          await drain(s, ctx);
          return s;
        default: return assertNever(msg);
      }
    },
    signal: (s, sig, ctx) => {
      if (sig.type !== 'pre-restart' && sig.type !== 'stopped') return s;
      s.machine?.stop();
      s.machine = undefined;
      if (sig.type === 'stopped' && !s.ended) report.stopped(ctx.path);
      return s;
    },
  });
}

/** Tells, ignoring a terminated system: an attempt that settles after shutdown is re-run on resume. */
function tellQuietly(ref: ActorRef<SagaMsg>, msg: SagaMsg): void {
  try { ref.tell(msg); } catch { /* system terminated */ }
}

/** An ask that failed on the way (timed out, node unreachable, link closed): the request may have been handled. */
function isLost(e: unknown): boolean {
  return isTroupeError(e, 'ask-timeout') || isTroupeError(e, 'node-unreachable') || isTroupeError(e, 'transport-closed') ||
    (isTroupeError(e) && e.data.mayHaveRun === true); // e.g. actor-dead: its node went down after the request was sent
}
