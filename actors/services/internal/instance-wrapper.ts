// Wraps a service's behavior for one instance: answers the drain check through the instance's
// own mailbox and counts the user messages it has taken, so a drain knows when it went quiet.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../../runtime/behavior.ts';
import type { ActorContext } from '../../../runtime/context.ts';

/** The type of the drain check; user messages never carry it. */
export const DRAIN_CHECK = 'troupe.service.drain-check';

/** Sent to a draining instance: it answers once every message queued before it has been handled. */
export interface DrainCheck {
  readonly type: typeof DRAIN_CHECK;
  readonly name: string;
  readonly seq: number;
  readonly replyTo: ActorRef<DrainChecked>;
}

/** The answer: how many user messages the instance had taken when the check came through. */
export interface DrainChecked {
  readonly type: 'service.checked';
  readonly name: string;
  readonly seq: number;
  readonly processed: number;
}

function isCheck(m: unknown): m is DrainCheck {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === DRAIN_CHECK;
}

/**
 * An instance definition: `behavior` as it is, plus the drain check. The count of taken messages
 * lives with this definition, so make one per spawned instance; it survives the instance's restarts.
 */
export function wrapInstance<M, S>(behavior: ActorDefinition<M, S>): ActorDefinition<M | DrainCheck, S> {
  let processed = 0;
  return defineActor<M | DrainCheck, S>({
    name: behavior.name,
    init: (ctx) => behavior.init(ctx as ActorContext<M>),
    receive: (state, msg, ctx) => {
      if (isCheck(msg)) {
        msg.replyTo.tell({ type: 'service.checked', name: msg.name, seq: msg.seq, processed });
        return state;
      }
      processed++;
      return behavior.receive(state, msg, ctx as ActorContext<M>);
    },
    signal: behavior.signal === undefined ? undefined : (state, signal, ctx) => behavior.signal!(state, signal, ctx as ActorContext<M>),
    supervision: behavior.supervision,
    mailbox: behavior.mailbox,
    stashCapacity: behavior.stashCapacity,
  });
}
