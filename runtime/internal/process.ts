// The seam of location transparency: an ActorRef resolves to a Process, local or remote, which
// accepts user messages and system messages. Every delivery in Troupe goes through one of these.

import type { Address } from '../address.ts';
import type { ActorRef } from '../actor-ref.ts';
import type { TerminationReason } from '../behavior.ts';
import type { SystemCore } from './system-core.ts';

/** Result of offering a user message: 0 accepted, 1 dropped (newest), 2 rejected, 3 accepted after evicting the oldest, 4 recipient dead. */
export type DeliveryResult = 0 | 1 | 2 | 3 | 4;
export const DELIVERED_DEAD = 4;

/** Messages of the system lane; they always drain before the user lane. */
export type SystemMessage =
  | { readonly type: 'failed'; readonly child: Process; readonly error: unknown; readonly epoch: number }
  | { readonly type: 'child-torn-down'; readonly child: Process }
  | { readonly type: 'child-terminated'; readonly child: Process; readonly reason: TerminationReason; readonly byItself: boolean }
  | { readonly type: 'stop'; readonly reason: TerminationReason; readonly byItself: boolean }
  | { readonly type: 'watch'; readonly watcher: Process }
  | { readonly type: 'unwatch'; readonly watcher: Process }
  | { readonly type: 'terminated'; readonly ref: ActorRef<never>; readonly reason: TerminationReason }
  | { readonly type: 'resume' }
  | { readonly type: 'restart'; readonly cause: unknown };

export interface Process {
  readonly host: SystemCore;
  readonly address: Address;
  readonly alive: boolean;
  deliverUser(msg: unknown): DeliveryResult;
  deliverSystem(msg: SystemMessage): void;
}
