// A tell that cannot throw: for callbacks of promises, timers and streams that may come after the
// recipient's node is gone or its system terminated (then there is nobody left to tell).

import type { ActorRef } from '../../runtime/actor-ref.ts';

/** Tells `ref`, ignoring a failure to send (its system terminated, or the message could not be sent and was dead-lettered). */
export function tellQuietly<T>(ref: ActorRef<T>, msg: T): void {
  try { ref.tell(msg); } catch { /* nobody left to tell */ }
}
