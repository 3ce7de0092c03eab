// The mailbox contract and its options: unbounded, bounded with an overflow policy, or priority.

import { TroupeError } from '../runtime/errors.ts';

/** What a bounded mailbox does when full: drop the new message, evict the oldest, or reject the new one. */
export type OverflowPolicy = 'drop-newest' | 'drop-oldest' | 'reject';

/**
 * Mailbox options for an actor whose messages are `M`. Defaults: `{ kind: 'unbounded' }`. A
 * bounded mailbox's default overflow is `'reject'` (the message goes to dead letters and an ask
 * fails with `mailbox-full`). `priority` orders by `priorityOf(msg)` (lower first; equal keys stay
 * FIFO), optionally bounded; in `defineActor<M, S>({ mailbox })` its `msg` is typed `M`.
 *
 * @example
 * defineActor<JobMsg, undefined>({ init: () => undefined, receive: run,
 *   mailbox: { kind: 'priority', priorityOf: (m) => (m.type === 'urgent' ? 0 : 1) } });
 */
export type MailboxOptions<M = unknown> =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'bounded'; readonly capacity: number; readonly overflow?: OverflowPolicy }
  | PriorityMailboxOptions<M>;

/**
 * A priority mailbox. `priorityOf` is declared as a method so that options written for an
 * actor's message type `M` are accepted wherever the runtime holds them as `MailboxOptions`
 * (the user lane only ever holds that actor's `M` messages).
 */
export interface PriorityMailboxOptions<M = unknown> {
  readonly kind: 'priority';
  priorityOf(msg: M): number;
  readonly capacity?: number;
  readonly overflow?: OverflowPolicy;
}

/** Per-mailbox counters, as returned by inspection. */
export interface MailboxStats {
  readonly size: number;
  readonly highWater: number;
  readonly processed: number;
  readonly dropped: number;
}

/** Outcome of offering a message: accepted, or not and why. */
export const Offer = { Accepted: 0, DroppedNewest: 1, Rejected: 2, EvictedOldest: 3 } as const;
/** One of the {@link Offer} outcomes. */
export type Offer = (typeof Offer)[keyof typeof Offer];

/** A user-lane queue. `offer` never throws; an evicted message is handed to `onEvict`. */
export interface Mailbox {
  offer(msg: unknown): Offer;
  /** Takes the next message, or undefined when empty; counts it as processed. */
  take(): unknown;
  /** Puts messages back at the front, in order (unstash, restart). Ignores capacity. */
  prepend(msgs: readonly unknown[]): void;
  /** Removes and returns everything queued (for dead-lettering at stop). */
  drain(): unknown[];
  readonly size: number;
  readonly capacity: number;
  /** Messages taken so far (as in {@link MailboxStats}); read without building the stats. */
  readonly processed: number;
  stats(): MailboxStats;
  /** Receives a message evicted by `drop-oldest`. */
  onEvict: ((msg: unknown) => void) | null;
}

const KINDS: readonly MailboxOptions['kind'][] = ['unbounded', 'bounded', 'priority'];
const POLICIES: readonly OverflowPolicy[] = ['drop-newest', 'drop-oldest', 'reject'];

/** Checks mailbox options at definition time; throws `invalid-spec` with the fix. */
export function validateMailboxOptions(o: MailboxOptions, where: string): void {
  if (typeof o !== 'object' || o === null || !KINDS.includes((o as { kind: MailboxOptions['kind'] }).kind)) {
    throw new TroupeError('invalid-spec', `${where}: unknown mailbox kind "${String((o as { kind?: unknown })?.kind)}"; use { kind: 'unbounded' }, { kind: 'bounded', capacity } or { kind: 'priority', priorityOf }.`);
  }
  const overflow = (o as { overflow?: unknown }).overflow;
  if (overflow !== undefined && !POLICIES.includes(overflow as OverflowPolicy)) {
    throw new TroupeError('invalid-spec', `${where}: unknown overflow policy "${String(overflow)}"; use one of ${POLICIES.join(', ')}.`);
  }
  if (o.kind === 'bounded' || (o.kind === 'priority' && o.capacity !== undefined)) {
    const cap = o.capacity;
    if (!Number.isInteger(cap) || (cap as number) < 1) {
      throw new TroupeError('invalid-spec', `${where}: mailbox capacity must be a positive integer, got ${cap}. Use { kind: 'unbounded' } for no limit.`);
    }
  }
  if (o.kind === 'priority' && typeof o.priorityOf !== 'function') {
    throw new TroupeError('invalid-spec', `${where}: a priority mailbox needs priorityOf: (msg) => number.`);
  }
}
