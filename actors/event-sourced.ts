// Event-sourced actors: commands decide events, events are persisted before the reply, and the
// state is the fold of the actor's stream, recovered at every start (from a snapshot when present).

import type { ActorRef } from '../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../runtime/behavior.ts';
import type { ActorContext } from '../runtime/context.ts';
import { TroupeError } from '../runtime/errors.ts';
import type { MessageRegistry } from '../runtime/wire/message-registry.ts';
import type { MailboxOptions } from '../mailboxes/mailbox.ts';
import type { SupervisionOptions } from '../supervisors/strategy.ts';
import type { Journal } from './journal/journal.ts';
import { isValidStreamName } from './journal/stream-name.ts';
import { replyToOf, runCommand, type CommandDeps, type CommandResult, type Decision, type LiveStream } from './internal/event-sourced-command.ts';
import { decodeStored, defaultEventType } from './internal/event-sourced-events.ts';
import { recoverStream, type Recovered } from './internal/event-sourced-recovery.ts';

export { reject, type CommandResult, type Decision, type Rejection } from './internal/event-sourced-command.ts';
export type { CommandError, CommandErrorCode } from './internal/event-sourced-events.ts';

/** What every command of an event-sourced actor may carry: where its {@link CommandResult} goes. */
export interface EventSourcedCommand<S, R = undefined> {
  readonly replyTo?: ActorRef<CommandResult<S, R>>;
}

/** The spec given to {@link defineEventSourced}. */
export interface EventSourcedSpec<C, E, S, R = undefined> {
  /** Names the behavior in inspection and traces; default `'event-sourced'`. */
  readonly name?: string;
  /** The journal, or a function of the context choosing one (called at every start). */
  readonly journal: Journal | ((ctx: ActorContext<C>) => Journal);
  /**
   * The stream this actor owns. Default: its path below `/user` with `/` turned into `.`
   * (`/user/accounts/acc-1` → `accounts.acc-1`). A name the journal does not allow makes every
   * command fail with `invalid-stream` (nothing is read or written).
   */
  readonly streamOf?: (ctx: ActorContext<C>) => string;
  /** The state before the first event. Treat states as immutable values: `apply` returns a new one. */
  readonly initialState: S;
  /** Decides what a command means: events to persist, events plus a reply, `[]`, or {@link reject}. Must not mutate `state`. */
  decide(state: S, cmd: C, ctx: ActorContext<C>): Decision<E, R>;
  /** Folds one event into the state; pure, and the only way the state changes. */
  apply(state: S, evt: E): S;
  /** Saves a snapshot after the append that brings the events since the last one to this many; default: never. Also turns on recovery from snapshots. */
  readonly snapshotEvery?: number;
  /** Checks decided events and upcasts stored ones: `registry.decode(type, schemaVersion, data)`. Default: none (events stored as version 1, read as stored). */
  readonly registry?: MessageRegistry;
  /** An event's type name; default its `type` field. */
  readonly eventType?: (evt: E) => string;
  /** The schema version an event is written with; default the registry's current version of its type, else 1. */
  readonly eventVersion?: (evt: E) => number;
  /** Events per `readStream` call during recovery; default 1 000. */
  readonly recoveryPageSize?: number;
  /** Commands held while recovering (stash); default 1 000. More fails the actor with `stash-full`. */
  readonly stashCapacity?: number;
  /** How it supervises children it spawns from `decide` (rare); its own failures go to its parent. Defaults as in {@link SupervisionOptions}. */
  readonly supervision?: SupervisionOptions;
  /** Mailbox kind; default unbounded. */
  readonly mailbox?: MailboxOptions;
}

/**
 * An event-sourced actor's state as seen in inspection: `'recovering'` (commands are stashed),
 * `'ready'`, or `'invalid-stream'` (every command fails with `invalid-stream`).
 */
export interface EventSourcedState<S> {
  readonly phase: 'recovering' | 'ready' | 'invalid-stream';
  readonly stream: string;
  readonly version: number;
  readonly state: S;
  /** How the last recovery went (undefined before the first one finished). */
  readonly recovered?: Omit<Recovered<S>, 'state'>;
}

interface Internal<S> extends EventSourcedState<S>, LiveStream<S> { readonly token: object }
type Recovery<S> =
  | { readonly type: '$es.recovered'; readonly token: object; readonly result: Recovered<S> }
  | { readonly type: '$es.recovery-failed'; readonly token: object; readonly error: unknown };

/**
 * Defines an event-sourced actor, spawnable like any actor.
 *
 * Semantics:
 * - **Recovery** at start and at every restart: the stream is folded from the latest snapshot
 *   (when `snapshotEvery` is set) or from `initialState`; commands that arrive meanwhile are
 *   stashed and replayed in order once it is done. A recovery failure (journal down, a stored
 *   event the registry cannot read: `unsupported-version`) fails the actor: its supervisor decides.
 * - **Commands** run one at a time: `decide` → events checked against the registry → `apply` (on a
 *   copy) → `journal.append(stream, events, { expectedVersion: known version })` → the state is
 *   replaced → the reply `{ ok: true, version, state, reply? }` is sent. The reply means durable.
 * - **Typed failures**, nothing written: `rejected`, `schema-invalid`, `unknown-message-type`,
 *   `unsupported-version`, `invalid-stream`. `concurrency-conflict` (another writer appended first):
 *   the caller is told, and the actor reads the events it missed before the next command.
 * - **Journal failures** go to the supervisor (restart → recovery); the caller first gets
 *   `journal-failed`, since the append's outcome is unknown. `decide`/`apply` throwing does the same, without a reply.
 * - **Snapshots**: after an append that brings the events since the last snapshot to
 *   `snapshotEvery`, the state is saved (after the reply; a failed save fails the actor).
 *
 * @example
 * type Cmd = { type: 'deposit'; amount: number; replyTo?: ActorRef<CommandResult<number>> };
 * type Evt = { type: 'deposited'; amount: number };
 * const account = defineEventSourced<Cmd, Evt, number>({
 *   journal, initialState: 0,
 *   decide: (_s, c) => (c.amount > 0 ? [{ type: 'deposited', amount: c.amount }] : reject('amount must be positive')),
 *   apply: (s, e) => s + e.amount,
 * });
 * const ref = system.spawn(account, 'acc-1');
 * const r = await ref.ask<CommandResult<number>>((replyTo) => ({ type: 'deposit', amount: 5, replyTo }));
 */
export function defineEventSourced<C extends EventSourcedCommand<S, R>, E, S, R = undefined>(spec: EventSourcedSpec<C, E, S, R>): ActorDefinition<C, EventSourcedState<S>> {
  const where = `defineEventSourced(${spec?.name ? `"${spec.name}"` : ''})`;
  check(spec, where);
  const snapshotEvery = spec.snapshotEvery ?? 0;
  const pageSize = spec.recoveryPageSize ?? 1000;
  const decode = decodeStored<E>(spec.registry);
  const deps: CommandDeps<C, E, S, R> = {
    decide: spec.decide, apply: spec.apply, decode, snapshotEvery, pageSize,
    codec: { eventType: spec.eventType ?? defaultEventType, eventVersion: spec.eventVersion, registry: spec.registry },
  };
  const streamOf = spec.streamOf ?? defaultStreamOf;

  const start = (ctx: ActorContext<C>): Internal<S> => {
    const journal = typeof spec.journal === 'function' ? spec.journal(ctx) : spec.journal;
    const stream = streamOf(ctx);
    const token = {};
    const base = { token, journal, stream, version: 0, state: spec.initialState, sinceSnapshot: 0 };
    if (!isValidStreamName(stream)) return { ...base, phase: 'invalid-stream' };
    const self = ctx.self as unknown as { tell(m: Recovery<S>): void; readonly alive: boolean };
    const report = (m: Recovery<S>): void => {
      try { if (self.alive) self.tell(m); } catch { /* the system terminated meanwhile */ }
    };
    recoverStream({ journal, stream, decode, apply: spec.apply, pageSize }, spec.initialState, snapshotEvery > 0).then(
      (result) => report({ type: '$es.recovered', token, result }),
      (error: unknown) => report({ type: '$es.recovery-failed', token, error }),
    );
    return { ...base, phase: 'recovering' };
  };

  const receive = (st: Internal<S>, msg: C, ctx: ActorContext<C>): Internal<S> | void | Promise<Internal<S> | void> => {
    const rec = msg as unknown as Recovery<S>;
    if (rec.type === '$es.recovered' || rec.type === '$es.recovery-failed') {
      if (rec.token !== st.token || st.phase !== 'recovering') return;
      if (rec.type === '$es.recovery-failed') throw rec.error;
      const { state, ...recovered } = rec.result;
      ctx.unstashAll();
      return { ...st, phase: 'ready', state, version: rec.result.version, sinceSnapshot: rec.result.version - rec.result.snapshotVersion, recovered };
    }
    switch (st.phase) {
      case 'recovering': ctx.stash(msg); return;
      case 'invalid-stream': {
        const replyTo = replyToOf<S, R>(msg);
        if (replyTo) ctx.send(replyTo, { ok: false, error: { code: 'invalid-stream', message: `Stream name ${JSON.stringify(st.stream)} is not allowed: make streamOf return 1–200 characters of A–Z a–z 0–9 _ . : - (nothing was written).`, data: { stream: st.stream } } });
        return;
      }
      case 'ready':
        return runCommand(deps, st, msg, ctx).then((next) => (next === undefined ? undefined : { ...st, ...next }));
    }
  };

  return defineActor<C, Internal<S>>({
    name: spec.name ?? 'event-sourced',
    init: start,
    receive,
    supervision: spec.supervision,
    mailbox: spec.mailbox,
    stashCapacity: spec.stashCapacity,
  }) as unknown as ActorDefinition<C, EventSourcedState<S>>;
}

/** The default stream: the actor's path below `/user`, `/` replaced by `.`. */
function defaultStreamOf(ctx: ActorContext<unknown>): string {
  return ctx.path.replace(/^\/user\//, '').replaceAll('/', '.');
}

function check<C, E, S, R>(spec: EventSourcedSpec<C, E, S, R>, where: string): void {
  const bad = (why: string): never => { throw new TroupeError('invalid-spec', `${where}: ${why}`); };
  if (typeof spec !== 'object' || spec === null) bad('expected an object with journal, initialState, decide and apply.');
  if (typeof spec.journal !== 'function' && (typeof spec.journal !== 'object' || spec.journal === null || typeof spec.journal.append !== 'function')) bad('journal must be a Journal or a function (ctx) => Journal.');
  if (typeof spec.decide !== 'function') bad('decide must be a function (state, cmd, ctx) => events | { events, reply } | reject(reason).');
  if (typeof spec.apply !== 'function') bad('apply must be a function (state, evt) => state.');
  if (spec.streamOf !== undefined && typeof spec.streamOf !== 'function') bad('streamOf must be a function (ctx) => stream name.');
  if (spec.snapshotEvery !== undefined && !(Number.isInteger(spec.snapshotEvery) && spec.snapshotEvery >= 1)) bad(`snapshotEvery must be an integer ≥ 1 (or left out for no snapshots), got ${String(spec.snapshotEvery)}.`);
  if (spec.recoveryPageSize !== undefined && !(Number.isInteger(spec.recoveryPageSize) && spec.recoveryPageSize >= 1)) bad(`recoveryPageSize must be an integer ≥ 1, got ${String(spec.recoveryPageSize)}.`);
  if (spec.eventType !== undefined && typeof spec.eventType !== 'function') bad('eventType must be a function (evt) => type name.');
  if (spec.eventVersion !== undefined && typeof spec.eventVersion !== 'function') bad('eventVersion must be a function (evt) => schema version.');
}
