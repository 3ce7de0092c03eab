// What an actor is: a definition (init + receive + optional signal handler) that the system
// instantiates into a live actor. `defineActor` checks it once, at definition time.

import type { ProbeHooks } from './internal/probe-lane.ts';
import { TroupeError } from './errors.ts';
import type { ActorContext } from './context.ts';
import type { ActorRef } from './actor-ref.ts';
import { validateMailboxOptions, type MailboxOptions } from '../mailboxes/mailbox.ts';
import { UNBOUNDED } from '../mailboxes/create-mailbox.ts';
import { resolveSupervision, type Supervision, type SupervisionOptions } from '../supervisors/strategy.ts';

/**
 * Why an actor stopped (OTP's exit reasons): `normal` — it stopped itself; `shutdown` — its
 * supervisor stopped it (or it gave up / shut down automatically); `failure` — it failed and was not
 * restarted (the error is kept); `killed` — brutal kill or a shutdown timeout; `node-down` — its node
 * is gone (remote watches).
 */
export type TerminationReason =
  | { readonly kind: 'normal' }
  | { readonly kind: 'shutdown' }
  | { readonly kind: 'failure'; readonly error: unknown }
  | { readonly kind: 'killed' }
  | { readonly kind: 'node-down' };

declare const IGNORE_BRAND: unique symbol;
/** The type of {@link IGNORE}. */
export type Ignore = { readonly [IGNORE_BRAND]: true };
/**
 * Returned from `init` to start nothing (OTP's `ignore`): the spawn succeeds with a ref that is not
 * alive; a supervisor keeps the child's spec (not running) unless it is temporary.
 * @example init: (ctx) => (config.enabled ? { count: 0 } : IGNORE)
 */
export const IGNORE: Ignore = Object.freeze({ troupe: 'ignore' }) as unknown as Ignore;

/** Whether an actor is a worker or a supervisor (defineSupervisor, definePool): supervisors default to shutdown `'infinity'`. */
export type ChildType = 'worker' | 'supervisor';

/**
 * Lifecycle signals an actor's `signal` handler receives. `started` after init; `pre-restart`
 * to the failing instance before it is replaced; `restarted` (with the cause) to the new one;
 * `stopping` when a stop begins (children still running); `stopped` last, after its children
 * stopped; `terminated` for an actor it watches (unless it asked for a message instead).
 */
export type Signal =
  | { readonly type: 'started' }
  | { readonly type: 'pre-restart'; readonly cause: unknown }
  | { readonly type: 'restarted'; readonly cause: unknown }
  | { readonly type: 'stopping' }
  | { readonly type: 'stopped' }
  | { readonly type: 'terminated'; readonly ref: ActorRef<never>; readonly reason: TerminationReason };

/** What `receive` may return: the next state, `undefined` to keep the state, or a promise of either. */
export type Next<S> = S | void | Promise<S | void>;

/** The spec given to {@link defineActor}. */
export interface ActorSpec<M, S> {
  /** Names the behavior in inspection and traces. */
  readonly name?: string;
  /**
   * Builds the initial state; runs at start and again at each restart. Throwing on the first start
   * fails the spawn (`start-failed`); on a restart it counts as a failure. Return {@link IGNORE} to start nothing.
   */
  init(ctx: ActorContext<M>): S | Ignore;
  /** Handles one message; messages are processed strictly one at a time, async ones included. */
  receive(state: S, msg: M, ctx: ActorContext<M>): Next<S>;
  /** Handles lifecycle signals; may return a new state. Errors here are reported, not escalated. */
  signal?(state: S, signal: Signal, ctx: ActorContext<M>): S | void;
  /** How this actor supervises its children (defaults in {@link SupervisionOptions}). */
  readonly supervision?: SupervisionOptions;
  /** Mailbox kind; default unbounded. A priority mailbox's `priorityOf` gets this actor's `M`. */
  readonly mailbox?: MailboxOptions<M>;
  /** How many messages `ctx.stash` may hold; default 1 000. */
  readonly stashCapacity?: number;
}

/** A checked, frozen actor definition, ready to spawn. */
export interface ActorDefinition<M, S = unknown> {
  readonly kind: 'actor';
  readonly name: string;
  readonly type: ChildType;
  init(ctx: ActorContext<M>): S | Ignore;
  receive(state: S, msg: M, ctx: ActorContext<M>): Next<S>;
  signal?(state: S, signal: Signal, ctx: ActorContext<M>): S | void;
  readonly supervision: Supervision;
  readonly mailbox: MailboxOptions;
  readonly stashCapacity: number;
  /** @internal Set by `withProbes`: how its instances answer probe requests and measure their signals. */
  readonly probes?: ProbeHooks;
}

/**
 * Defines an actor from `init` and `receive`. Throws `invalid-spec` at once when the spec is wrong.
 *
 * @example
 * type CounterMsg = { type: 'add'; by: number } | { type: 'get'; replyTo: ActorRef<number> };
 * const counter = defineActor<CounterMsg, { total: number }>({
 *   init: () => ({ total: 0 }),
 *   receive: (s, msg, ctx) => {
 *     switch (msg.type) {
 *       case 'add': return { total: s.total + msg.by };
 *       case 'get': ctx.send(msg.replyTo, s.total); return s;
 *     }
 *   },
 * });
 */
export function defineActor<M, S = undefined>(spec: ActorSpec<M, S>): ActorDefinition<M, S> {
  const where = `defineActor(${spec?.name ? `"${spec.name}"` : ''})`;
  if (typeof spec !== 'object' || spec === null) throw new TroupeError('invalid-spec', `${where}: expected an object with init and receive.`);
  if (typeof spec.init !== 'function') throw new TroupeError('invalid-spec', `${where}: init must be a function (ctx) => initialState.`);
  if (typeof spec.receive !== 'function') throw new TroupeError('invalid-spec', `${where}: receive must be a function (state, msg, ctx) => nextState.`);
  if (spec.signal !== undefined && typeof spec.signal !== 'function') throw new TroupeError('invalid-spec', `${where}: signal must be a function (state, signal, ctx) => state.`);
  const stashCapacity = spec.stashCapacity ?? 1000;
  if (!Number.isInteger(stashCapacity) || stashCapacity < 0) throw new TroupeError('invalid-spec', `${where}: stashCapacity must be an integer ≥ 0, got ${stashCapacity}.`);
  const mailbox = spec.mailbox ?? UNBOUNDED;
  validateMailboxOptions(mailbox, where);
  return Object.freeze({
    kind: 'actor' as const,
    name: spec.name ?? 'actor',
    type: 'worker' as const,
    init: spec.init,
    receive: spec.receive,
    signal: spec.signal,
    supervision: resolveSupervision(spec.supervision, where),
    mailbox,
    stashCapacity,
  });
}
