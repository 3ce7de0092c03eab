// The actor that hosts one saga's machine: loads (or begins) its journal stream, journals every
// record the machine decides before running what comes next, and runs the steps' attempts.

import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorContext } from '../../runtime/context.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { assertNever, isTroupeError, TroupeError } from '../../runtime/errors.ts';
import { backoffDelay } from '../../supervisors/backoff.ts';
import type { Journal } from '../journal/journal.ts';
import { sagaStreamName, type SagaDefinition, type SagaQuery, type SagaStatus, type SagaStepContext } from '../saga.ts';
import { closeSaga, registerSaga } from './saga-index.ts';
import { SagaMachine, type AttemptKind, type SagaCommand, type SagaMachineContext } from './saga-machine.ts';
import { sagaEnded, sagaStarted } from './saga-metrics.ts';
import { foldRecords, fromStored, outcomeOf, toNewEvent, type SagaProgress, type SagaRecord } from './saga-records.ts';
import type { SagaReport } from './saga-report.ts';
import type { SpanContext } from '@opentelemetry/api';
import type { RecordedSpan } from '../../runtime/observe/internal/recorded-span.ts';
import * as A from '../../runtime/observe/internal/attributes.ts';
import { formatTraceparent } from '../../runtime/observe/trace-context.ts';
import { activeContextOf, contextFromMeta, endSpan, runInSpan, startChildSpan } from './journal-tracing.ts';
import { tellQuietly } from './tell-quietly.ts';

/** Everything a saga actor handles: status queries, and its own load, attempt and timer messages. */
export type SagaMsg =
  | SagaQuery
  | { readonly type: 'saga-load' }
  | { readonly type: 'saga-attempt-settled'; readonly run: string; readonly kind: AttemptKind; readonly index: number; readonly attempt: number; readonly ok: true; readonly result: unknown }
  | { readonly type: 'saga-attempt-settled'; readonly run: string; readonly kind: AttemptKind; readonly index: number; readonly attempt: number; readonly ok: false; readonly message: string; readonly lost: boolean }
  | { readonly type: 'saga-timer'; readonly run: string; readonly token: number };

/** One incarnation's state: `run` tells its attempts' replies from a previous incarnation's. */
interface HostState {
  readonly run: string;
  /** Tracing: the saga's trace context (its `saga` span, or the one kept in its first record when resumed), and its span. */
  trace: SpanContext | null;
  readonly span: RecordedSpan | null;
  machine: SagaMachine | undefined;
  /** Token of the machine's timer this actor has running (null: none). */
  armed: number | null;
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

/** Defines the actor of one saga (see `startSaga` for the behaviour). */
export function defineSagaHost<I, R extends Record<string, unknown>>(o: SagaHostOptions<I, R>): ActorDefinition<SagaMsg, HostState> {
  const { def, sagaId, journal, report } = o;
  const { plan } = def;
  const stream = sagaStreamName(def.name, sagaId);
  type Ctx = ActorContext<SagaMsg>;

  const append = async (s: HostState, records: readonly SagaRecord[]): Promise<void> => {
    const traceparent = s.trace === null ? undefined : formatTraceparent(s.trace);
    const events = records.map((r) => (traceparent === undefined ? toNewEvent(r) : { ...toNewEvent(r), meta: { traceparent } }));
    s.version = (await journal.append(stream, events, { expectedVersion: s.version })).streamVersion;
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
      s.trace ??= contextFromMeta(ctx.system, stored[0].meta.traceparent); // a resumed saga continues its trace
    }
    const { input, progress } = foldRecords(plan, records);
    s.input = input;
    if (progress.ended !== undefined) return end(s, ctx, progress, false);
    sagaStarted(ctx.system, def.name, sagaId);
    if (stored.length > 0) await append(s, [{ type: 'saga-resumed' }]);
    const random = ctx.random;
    const retryDelay = (c: SagaMachineContext): number => {
      const b = c.mode === 'forward' ? plan[c.index].backoff : plan[c.index].compensationBackoff;
      return b === undefined ? 0 : backoffDelay(b, c.attempt - 1, random.next());
    };
    const machine = new SagaMachine({ plan, progress, retryDelay }, (command) => { s.pending.push(command); });
    s.machine = machine;
    machine.start();
    syncTimer(s, ctx);
    await drain(s, ctx);
  };

  /** Keeps the machine's timer (an attempt's timeout, a retry's delay) running as one of this actor's timers. */
  const syncTimer = (s: HostState, ctx: Ctx): void => {
    const t = s.machine?.timer ?? null;
    if (t === null) {
      if (s.armed !== null) { ctx.timers.cancel('saga-timer'); s.armed = null; }
      return;
    }
    if (s.armed === t.token) return;
    s.armed = t.token;
    ctx.timers.startSingle('saga-timer', { type: 'saga-timer', run: s.run, token: t.token }, t.ms);
  };

  // Records are journaled (consecutive ones in one append) before any later command runs.
  const drain = async (s: HostState, ctx: Ctx): Promise<void> => {
    const machine = s.machine!;
    while (s.pending.length > 0) {
      const batch: SagaRecord[] = [];
      for (let c = s.pending[0]; c?.type === 'record'; c = s.pending[0]) batch.push((s.pending.shift() as typeof c).record);
      if (batch.length > 0) await append(s, batch);
      const next = s.pending.shift();
      if (next?.type === 'run') launch(s, ctx, next, machine.context);
    }
    const c = machine.context;
    if (machine.done) return end(s, ctx, c, true);
    report.publish({
      sagaId, completed: c.completed, compensated: c.compensated,
      phase: c.mode === 'compensating' ? 'compensating' : machine.state === 'backoff' ? 'retrying' : 'running',
      step: plan[c.index].name,
      attempt: c.attempt,
    });
  };

  const launch = (s: HostState, ctx: Ctx, cmd: Extract<SagaCommand, { type: 'run' }>, c: SagaMachineContext): void => {
    const step = def.steps[cmd.index];
    const fn = cmd.kind === 'step' ? step.action : step.compensate;
    const sctx: SagaStepContext<I, R> = {
      sagaId, sagaName: def.name, step: step.name, attempt: cmd.attempt, idempotencyKey: `${sagaId}:${step.name}`,
      input: s.input as I, results: c.results as Partial<R>, timeoutMs: plan[cmd.index].timeoutMs, system: ctx.system,
    };
    const { run } = s, { kind, index, attempt } = cmd;
    const self = ctx.self as ActorRef<SagaMsg>;
    // tracing: each attempt runs in a `saga step|compensate <step>` span of the saga's trace
    const span = startChildSpan(ctx.system, `saga ${cmd.kind === 'step' ? 'step' : 'compensate'} ${step.name}`, 'internal', s.trace, {
      [A.SAGA_NAME]: def.name, [A.SAGA_ID]: sagaId, [A.SAGA_STEP]: step.name, [A.SAGA_ATTEMPT]: cmd.attempt, [A.ACTOR_PATH]: ctx.path,
    });
    let p: Promise<unknown>;
    try { p = Promise.resolve(runInSpan(ctx.system, span, () => fn!.call(step, sctx), fn)); } catch (e) { p = Promise.reject(e); }
    // the settled messages written out: on Node 20 a spread that adds keys costs ~1.5 µs per key
    p.then((result) => tellQuietly(self, { type: 'saga-attempt-settled', run, kind, index, attempt, ok: true, result }),
      (e: unknown) => tellQuietly(self, { type: 'saga-attempt-settled', run, kind, index, attempt, ok: false, message: messageOf(e), lost: isLost(e) }));
  };

  const end = async (s: HostState, ctx: Ctx, p: SagaProgress, live: boolean): Promise<void> => {
    s.ended = true;
    const outcome = outcomeOf<R>(plan, sagaId, p);
    if (live) await closeSaga(journal, def.name, sagaId, outcome.status);
    if (live) sagaEnded(ctx.system, def.name, sagaId, outcome.status);
    report.publish({ sagaId, completed: p.completed, compensated: p.compensated, phase: outcome.status, step: undefined, attempt: 0 });
    if (s.span !== null) endSpan(s.span, outcome.status === 'completed' ? undefined : new Error(`saga ${outcome.status}: ${outcome.failure.message}`));
    report.ended(outcome);
    // A throwing hook fails the actor; its restart finds the saga ended and just stops (hooks run at most once).
    if (live && outcome.status === 'completed') def.onComplete?.(outcome, ctx.system);
    else if (live && outcome.status !== 'completed') def.onFailed?.(outcome, ctx.system);
    ctx.stop(ctx.self as ActorRef<never>);
  };


  return defineActor<SagaMsg, HostState>({
    name: `saga-${def.name}`,
    init: (ctx) => {
      ctx.self.tell({ type: 'saga-load' });
      // tracing: a saga started in a trace gets a `saga <name>` span there (init runs inside startSaga)
      const span = o.start === undefined ? null : startChildSpan(ctx.system, `saga ${def.name}`, 'internal', activeContextOf(ctx.system), { [A.SAGA_NAME]: def.name, [A.SAGA_ID]: sagaId });
      return { run: ctx.system.ids(), machine: undefined, armed: null, version: 0, input: undefined, ended: false, pending: [], trace: span?.context ?? null, span };
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
          syncTimer(s, ctx);
          await drain(s, ctx);
          return s;
        case 'saga-timer':
          if (msg.run !== s.run || s.machine === undefined || s.ended || msg.token !== s.armed) return s;
          s.armed = null;
          s.machine.fire(msg.token);
          syncTimer(s, ctx);
          await drain(s, ctx);
          return s;
        default: return assertNever(msg);
      }
    },
    signal: (s, sig, ctx) => {
      if (sig.type !== 'pre-restart' && sig.type !== 'stopped') return s;
      s.machine = undefined; // its timer dies with this incarnation's timers
      if (sig.type === 'stopped' && !s.ended) { report.stopped(ctx.path); sagaEnded(ctx.system, def.name, sagaId, undefined); }
      return s;
    },
  });
}

/** An ask that failed on the way (timed out, node unreachable, link closed): the request may have been handled. */
function isLost(e: unknown): boolean {
  return isTroupeError(e, 'ask-timeout') || isTroupeError(e, 'node-unreachable') || isTroupeError(e, 'transport-closed') ||
    (isTroupeError(e) && e.data.mayHaveRun === true); // e.g. actor-dead: its node went down after the request was sent
}
