// A message sent while a sampled trace is active: the message and the context it continues. It
// exists only while tracing is on; every delivery path that looks inside a message unwraps it.

import type { SpanContext } from '@opentelemetry/api';

/** @internal A user message with the trace context it was sent in. */
export class TracedMessage {
  constructor(
    readonly msg: unknown,
    /** The span the message was sent from (the parent of its processing span). */
    readonly parent: SpanContext,
    /** System clock when it was sent (or stashed), for the mailbox wait. */
    readonly sentAt: number,
    /** Sent by a timer (`ctx.timers`): a timer started while it is handled does not continue the trace. */
    readonly viaTimer: boolean,
  ) {}
}

/** @internal The message itself, whether or not it travels with a trace context. */
export function untraced(msg: unknown): unknown {
  return msg instanceof TracedMessage ? msg.msg : msg;
}
