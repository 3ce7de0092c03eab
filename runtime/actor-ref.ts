// ActorRef: the only handle users hold to an actor. Serializable (its address), typed by the
// messages it accepts, and location-transparent: it resolves to a local or remote process.

import { formatAddress, type Address } from './address.ts';
import { askProcess, type AskOptions } from './ask.ts';
import type { DeliveryResult, Process } from './internal/process.ts';

/**
 * A typed handle to an actor. `tell` never throws because of the recipient (an undeliverable
 * message goes to dead letters with a reason); it throws `system-terminated` only when used
 * after its system terminated.
 *
 * @example
 * ref.tell({ type: 'add', by: 2 });
 * const total = await ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 1000 });
 */
export class ActorRef<M> {
  /** @internal The process this ref resolves to. */
  readonly proc: Process;

  /** @internal Created by the runtime; users get refs from spawn, lookup or messages. */
  constructor(proc: Process) {
    this.proc = proc;
  }

  /** Sends a message, fire-and-forget (with the active trace context when tracing is on). */
  tell(msg: M): void {
    const p = this.proc;
    const t = p.host.traceHost;
    p.deliverUser(t === null ? msg : t.outgoing(msg));
  }

  /** @internal Sends and reports what happened to the message. */
  offer(msg: M): DeliveryResult {
    return this.proc.deliverUser(msg);
  }

  /**
   * Sends the message built by `make` with a one-shot `replyTo` and resolves with the first reply.
   * Rejects with `ask-timeout` after `timeoutMs` (default: the system's `askTimeoutMs`, 5 000),
   * at once with `actor-dead` if the actor is dead or dies with the message unprocessed,
   * `mailbox-full` if its mailbox rejects the message, `system-terminated` on shutdown.
   */
  ask<R>(make: (replyTo: ActorRef<R>) => M, options?: AskOptions): Promise<R> {
    return askProcess(this.proc, make as (replyTo: ActorRef<unknown>) => unknown, options) as Promise<R>;
  }

  /** Where the actor lives: system, node, path, incarnation. */
  get address(): Address {
    return this.proc.address;
  }

  get path(): string {
    return this.proc.address.path;
  }

  /** True while the process behind this ref is alive (as far as this node knows). */
  get alive(): boolean {
    return this.proc.alive;
  }

  /** Same actor incarnation. */
  equals(other: ActorRef<never>): boolean {
    return other.proc === this.proc;
  }

  toString(): string {
    return formatAddress(this.proc.address);
  }

  toJSON(): string {
    return formatAddress(this.proc.address);
  }
}

/** Any actor ref, whatever its message type (for parameters that only watch, stop or compare). */
export type AnyActorRef = ActorRef<never>;
