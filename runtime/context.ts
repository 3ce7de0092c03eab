// What an actor sees while it handles a message: itself, its family, timers, stash, and the system.

import type { ActorRef } from './actor-ref.ts';
import type { ActorDefinition } from './behavior.ts';
import type { SpawnOptions } from './spawn-options.ts';
import type { ActorSystem } from './system.ts';
import type { Random } from './random.ts';
import type { AskOptions } from './ask.ts';
import type { Logger } from 'pino';
import type { TraceIds } from './observe/trace-context.ts';

/**
 * Timers owned by an actor, keyed by name; their messages arrive in its mailbox. Starting a key
 * that is active replaces it. All timers are cancelled when the actor restarts or stops.
 */
export interface TimerScheduler<M> {
  startSingle(key: string, msg: M, delayMs: number): void;
  startPeriodic(key: string, msg: M, intervalMs: number): void;
  cancel(key: string): void;
  isActive(key: string): boolean;
  cancelAll(): void;
}

/** The actor's view of the world while it runs (the `ctx` argument). */
export interface ActorContext<M> {
  readonly self: ActorRef<M>;
  /** The supervisor; undefined only for the system's guardian. */
  readonly parent: ActorRef<never> | undefined;
  readonly system: ActorSystem;
  /** This actor's path, e.g. `/user/shop/orders`. */
  readonly path: string;
  /** Spawns a child supervised by this actor (default restart `'transient'`, shutdown 5 000 ms). */
  spawn<C, S>(def: ActorDefinition<C, S>, name?: string, options?: SpawnOptions): ActorRef<C>;
  child(name: string): ActorRef<unknown> | undefined;
  children(): ActorRef<unknown>[];
  /** Stops this actor or one of its children (its subtree first, depth-first). */
  stop(ref: ActorRef<never>): void;
  /** Watches an actor: on its termination this actor gets a `terminated` signal, or `message` if given. */
  watch(ref: ActorRef<never>, message?: M): void;
  unwatch(ref: ActorRef<never>): void;
  /** Sends a message (same as `ref.tell(msg)`). */
  send<T>(ref: ActorRef<T>, msg: T): void;
  /** Asks another actor; see {@link ActorRef.ask}. */
  ask<R, T>(ref: ActorRef<T>, make: (replyTo: ActorRef<R>) => T, options?: AskOptions): Promise<R>;
  readonly timers: TimerScheduler<M>;
  /** Puts a message aside (capacity from the definition; over it throws `stash-full`). */
  stash(msg: M): void;
  /** Puts every stashed message back at the front of the mailbox, in order. */
  unstashAll(): void;
  readonly stashSize: number;
  /** Milliseconds on the system clock. */
  now(): number;
  /** The system's seeded random. */
  readonly random: Random;
  /**
   * This actor's logger: a pino child of the system's with `actor` (path) and `actor_class` on
   * every line, plus `traceId`/`spanId` and `correlationId`/`causationId` of the message being handled.
   */
  readonly log: Logger;
  /**
   * The trace context of the message being handled — `{ traceId, spanId }` of its `process`
   * span — when tracing is on and the message is part of a sampled trace (also after an await in
   * its handler); else undefined. `ctx.log` lines carry the same ids.
   */
  readonly trace: TraceIds | undefined;
}
