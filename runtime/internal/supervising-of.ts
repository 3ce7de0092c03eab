// The supervisor side of the actor behind a context, for the built-in supervisors' behaviors.

import type { ActorContext } from '../context.ts';
import { ActorCell } from './actor-cell.ts';
import type { Supervising } from './supervision.ts';

/** The {@link Supervising} of the actor whose context this is (contexts are cells). */
export function supervisingOf(ctx: ActorContext<unknown> | ActorContext<never>): Supervising {
  if (!(ctx instanceof ActorCell)) throw new TypeError('supervisingOf: not an actor context');
  return ctx.supervising;
}
