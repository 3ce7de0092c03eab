// A drain's check: once every message queued to the instance before it has been handled, the
// service actor learns how many the instance has taken — through the instance's probe lane, so
// the instance's own definition runs unwrapped.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { afterQueued } from '../../../runtime/internal/probe-lane.ts';
import { tellQuietly } from '../../internal/tell-quietly.ts';

/** The answer: how many user messages the instance had taken when the check came through. */
export interface DrainChecked {
  readonly type: 'service.checked';
  readonly name: string;
  readonly seq: number;
  readonly processed: number;
}

/**
 * Checks a draining local instance: `replyTo` gets a {@link DrainChecked} once the messages queued
 * before now have been handled (none if the instance stops first: its watch reports that).
 */
export function checkDrain(instance: ActorRef<unknown>, name: string, seq: number, replyTo: ActorRef<DrainChecked>): void {
  afterQueued(instance.proc, (processed) => tellQuietly(replyTo, { type: 'service.checked', name, seq, processed }));
}
