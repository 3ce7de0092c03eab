// Builds a mailbox from its options, applying a bulkhead's capacity cap where one is inherited.

import type { Mailbox, MailboxOptions } from './mailbox.ts';
import { PriorityMailbox } from './priority-mailbox.ts';
import { RingMailbox } from './ring-mailbox.ts';
import { untraced } from '../runtime/observe/internal/traced-message.ts';

/** The default mailbox: unbounded FIFO. */
export const UNBOUNDED: MailboxOptions = Object.freeze({ kind: 'unbounded' });

/**
 * Creates the mailbox an actor's options ask for. `capCapacity` (from a bulkhead) bounds it
 * further: the smaller capacity wins and the overflow policy becomes `reject` if it was unbounded.
 */
export function createMailbox(o: MailboxOptions = UNBOUNDED, capCapacity = Infinity): Mailbox {
  switch (o.kind) {
    case 'unbounded':
      return new RingMailbox(capCapacity, 'reject');
    case 'bounded':
      return new RingMailbox(Math.min(o.capacity, capCapacity), o.overflow ?? 'reject');
    case 'priority':
      // with tracing on, a message may wait wrapped with its trace context: its priority is the message's
      return new PriorityMailbox((m) => o.priorityOf(untraced(m)), Math.min(o.capacity ?? Infinity, capCapacity), o.overflow ?? 'reject');
  }
}
