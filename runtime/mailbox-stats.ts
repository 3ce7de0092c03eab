// The mailbox counters of one local actor, read through its ref (inspection without a tree walk).

import type { ActorRef } from './actor-ref.ts';
import type { MailboxStats } from '../mailboxes/mailbox.ts';

/**
 * The mailbox counters of the actor behind `ref` when it lives on this node and is alive
 * (`size` is its current depth); undefined for a remote, dead or temporary (ask) ref.
 *
 * @example
 * const depth = mailboxStatsOf(ref)?.size ?? 0;
 */
export function mailboxStatsOf(ref: ActorRef<never>): MailboxStats | undefined {
  const proc = ref.proc as unknown as { readonly alive: boolean; readonly mailbox?: { stats?: () => MailboxStats } };
  return proc.alive && typeof proc.mailbox?.stats === 'function' ? proc.mailbox.stats() : undefined;
}
