// A message sent while a sampled trace is active: the message and the context it continues. It
// exists only while tracing is on; every delivery path that looks inside a message unwraps it.

import type { SpanContext } from '@opentelemetry/api';
import { anonymousClass } from './anonymous-class.ts';

/** @internal A user message with the trace context it was sent in. */
export interface TracedMessage {
  readonly msg: unknown;
  /** The span the message was sent from (the parent of its processing span). */
  readonly parent: SpanContext;
  /** System clock when it was sent (or stashed), for the mailbox wait. */
  readonly sentAt: number;
  /** Sent by a timer (`ctx.timers`): a timer started while it is handled does not continue the trace. */
  readonly viaTimer: boolean;
}

/** @internal Every delivery path asks `msg instanceof TracedMessage` (see anonymous-class.ts for why it is made this way). */
export const TracedMessage: new (msg: unknown, parent: SpanContext, sentAt: number, viaTimer: boolean) => TracedMessage = anonymousClass(() => class {
  constructor(readonly msg: unknown, readonly parent: SpanContext, readonly sentAt: number, readonly viaTimer: boolean) {}
});

/** @internal The message itself, whether or not it travels with a trace context. */
export function untraced(msg: unknown): unknown {
  return msg instanceof TracedMessage ? msg.msg : msg;
}
