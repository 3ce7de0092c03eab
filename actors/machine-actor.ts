// Hosts an xstate v5 machine as an actor: messages become events, the machine's snapshot is the
// state, and its delayed transitions run on the system scheduler, inside the actor's own turns.

import { createActor, type Actor, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';
import { defineActor, type ActorDefinition } from '../runtime/behavior.ts';
import type { ActorContext } from '../runtime/context.ts';
import type { Scheduler, TimerId } from '../runtime/clock.ts';
import type { MailboxOptions } from '../mailboxes/mailbox.ts';
import type { SupervisionOptions } from '../supervisors/strategy.ts';

/** A delayed xstate callback, delivered to the actor's own mailbox when due. */
interface DelayedCall { cancelled: boolean; timer: TimerId | null; readonly fn: () => void }
type TimerFired = { readonly type: '$xstate.timer'; readonly call: DelayedCall };

/** Options of {@link defineMachineActor}. */
export interface MachineActorOptions<T extends AnyStateMachine> {
  readonly name?: string;
  /** Builds the machine's input from the actor context (pass refs the machine talks to). */
  readonly input?: (ctx: ActorContext<EventFromLogic<T>>) => InputFrom<T>;
  /** Called after every transition with the new snapshot (send messages from here). */
  readonly onTransition?: (snapshot: SnapshotFrom<T>, ctx: ActorContext<EventFromLogic<T>>) => void;
  readonly supervision?: SupervisionOptions;
  readonly mailbox?: MailboxOptions;
}

/**
 * Defines an actor that runs an xstate v5 machine. Each message is sent to the machine as an
 * event; the actor's state is the machine's snapshot. `after` delays use the system scheduler,
 * so they run on virtual time in tests. When the machine reaches a final state the actor stops;
 * when the machine errors, the error goes to the supervisor (a restart starts a fresh machine).
 *
 * @example
 * const light = defineMachineActor(trafficLightMachine, { name: 'light' });
 * const ref = system.spawn(light, 'light');
 * ref.tell({ type: 'TIMER' });
 */
export function defineMachineActor<T extends AnyStateMachine>(machine: T, options: MachineActorOptions<T> = {}): ActorDefinition<EventFromLogic<T>, SnapshotFrom<T>> {
  type E = EventFromLogic<T>;
  type Ctx = ActorContext<E>;
  const running = new WeakMap<object, Actor<T>>();

  const start = (ctx: Ctx): SnapshotFrom<T> => {
    const self = ctx.self as unknown as { tell(m: TimerFired): void };
    const actor = createActor(machine, {
      input: options.input?.(ctx),
      clock: schedulerClock(ctx.system.scheduler, (call) => self.tell({ type: '$xstate.timer', call })),
    } as never) as Actor<T>;
    running.get(ctx)?.stop();
    running.set(ctx, actor);
    // An error observer keeps xstate from rethrowing on a timer; `settle` hands the error to the supervisor.
    actor.subscribe({ error: () => {} });
    actor.start();
    return settle(actor, ctx);
  };

  const settle = (actor: Actor<T>, ctx: Ctx): SnapshotFrom<T> => {
    const snap = actor.getSnapshot() as SnapshotFrom<T>;
    const status = (snap as unknown as { status: string; error?: unknown });
    if (status.status === 'error') throw status.error;
    options.onTransition?.(snap, ctx);
    if (status.status === 'done') ctx.stop(ctx.self as never);
    return snap;
  };

  return defineActor<E, SnapshotFrom<T>>({
    name: options.name ?? machine.id ?? 'machine',
    supervision: options.supervision,
    mailbox: options.mailbox,
    init: start,
    receive: (_snap, msg, ctx) => {
      const actor = running.get(ctx)!;
      const fired = msg as unknown as TimerFired;
      if (fired.type === '$xstate.timer') {
        if (fired.call.cancelled) return;
        fired.call.cancelled = true;
        fired.call.fn();
      } else {
        actor.send(msg);
      }
      return settle(actor, ctx);
    },
    signal: (_snap, sig, ctx) => {
      if (sig.type === 'pre-restart' || sig.type === 'stopped') {
        running.get(ctx)?.stop();
        running.delete(ctx);
      }
    },
  });
}

/** Adapts a Scheduler to xstate's clock; due callbacks are handed to `deliver` instead of run. */
export function schedulerClock(scheduler: Scheduler, deliver: (call: DelayedCall) => void): { setTimeout(fn: () => void, ms: number): DelayedCall; clearTimeout(id: DelayedCall): void } {
  return {
    setTimeout(fn, ms) { // the xstate clock interface, backed by the system scheduler
      const call: DelayedCall = { cancelled: false, timer: null, fn };
      call.timer = scheduler.startTimer(ms, () => { if (!call.cancelled) deliver(call); });
      return call;
    },
    clearTimeout(call) {
      call.cancelled = true;
      if (call.timer !== null) scheduler.cancelTimer(call.timer);
    },
  };
}
