// What a subscriber says when it subscribes (consumer name, group, guarantee, start position,
// filter, delivery settings), checked at subscribe time, and the handler shapes it may give.

import { TroupeError } from '../../runtime/errors.ts';
import { resolveDelivery, type DeliveryOptions, type DeliverySettings } from './delivery-settings.ts';
import type { BusEvent, DeliveryGuarantee } from './event.ts';
import { checkName } from './names.ts';

/** What a handler function learns besides the event: which delivery this is (1 = first). */
export interface HandlerInfo {
  readonly topic: string;
  readonly subscription: string;
  readonly attempt: number;
}

/**
 * A handler function. For at-least-once subscriptions, returning (or resolving) acknowledges the
 * event; throwing (or rejecting) nacks it with the error, so it is redelivered after backoff and
 * dead-lettered after `maxAttempts`. A handler's failure never stops the subscription or its
 * node. One event at a time per subscription, in log order per partition.
 */
export type EventHandler<E> = (event: BusEvent<E>, info: HandlerInfo) => void | Promise<void>;

/** Where a consumer that has no stored position starts: the oldest kept event, or the next one published. */
export type StartAt = 'earliest' | 'latest';

/**
 * Options of `topic.subscribe`. Defaults: no `id` and no `group` (an ephemeral subscription: its
 * position lives in memory, it starts at `'latest'` and ends with its subscriber), `guarantee`
 * `'at-least-once'`, no `filter`, and the bus's delivery settings (see {@link DeliveryOptions}).
 *
 * - `id`: a **durable** consumer: its position is stored in the log's backend and survives the
 *   subscriber, its process and the publishing process. Subscribing again with the same id
 *   resumes after the last acknowledged event. Two live subscribers with one id share the events
 *   like a group. Starts at `'earliest'` unless `startAt` says otherwise.
 * - `group`: a **consumer group** (durable, named by the group): the topic's partitions are
 *   shared among the group's live members, reassigned when members join, leave, crash or their
 *   node goes down; each event goes to one member, events of one key to one member in order.
 * - `filter`: events it returns false for are acknowledged without calling the handler (a filter
 *   that throws counts as a failed delivery).
 * - `startAt`: where a consumer with no stored position begins.
 * - `takeoverMs` (default 1 000): how long a group member waits before taking a partition whose
 *   owner it does not see (it may be a member this node has not heard of yet).
 */
export interface SubscribeOptions<E> extends DeliveryOptions {
  readonly id?: string;
  readonly group?: string;
  readonly filter?: (event: BusEvent<E>) => boolean;
  readonly guarantee?: DeliveryGuarantee;
  readonly startAt?: StartAt;
  readonly takeoverMs?: number;
}

/** Subscribe options, checked and with their defaults. `consumer` is the durable name (group or id), or null. */
export interface CheckedSubscribe {
  readonly consumer: string | null;
  readonly guarantee: DeliveryGuarantee;
  readonly startAt: StartAt;
  readonly takeoverMs: number;
  readonly settings: DeliverySettings;
}

/** Checks `o` and fills its defaults over `base`; throws `invalid-argument` naming the field and the fix. */
export function checkSubscribeOptions<E>(o: SubscribeOptions<E>, base: DeliverySettings, where: string): CheckedSubscribe {
  if (typeof o !== 'object' || o === null) throw new TroupeError('invalid-argument', `${where}: options must be an object.`);
  const guarantee = o.guarantee ?? 'at-least-once';
  if (guarantee !== 'at-least-once' && guarantee !== 'at-most-once') {
    throw new TroupeError('invalid-argument', `${where}: guarantee must be 'at-least-once' or 'at-most-once', got "${String(guarantee)}".`, { field: 'guarantee' });
  }
  if (o.id !== undefined) checkName('id', o.id, where);
  if (o.group !== undefined) checkName('group', o.group, where);
  if (o.id !== undefined && o.group !== undefined && o.id !== o.group) {
    throw new TroupeError('invalid-argument', `${where}: give either id (a durable consumer) or group (a consumer group), not both; a group is named by its group.`, { field: 'group' });
  }
  if (o.filter !== undefined && typeof o.filter !== 'function') throw new TroupeError('invalid-argument', `${where}: filter must be a function (event) => boolean.`, { field: 'filter' });
  const consumer = o.group ?? o.id ?? null;
  const startAt = o.startAt ?? (consumer === null ? 'latest' : 'earliest');
  if (startAt !== 'earliest' && startAt !== 'latest') throw new TroupeError('invalid-argument', `${where}: startAt must be 'earliest' or 'latest', got "${String(startAt)}".`, { field: 'startAt' });
  const takeoverMs = o.takeoverMs ?? 1_000;
  if (!(takeoverMs >= 0) || !Number.isFinite(takeoverMs)) throw new TroupeError('invalid-argument', `${where}: takeoverMs must be a finite number ≥ 0 (default 1 000), got ${String(takeoverMs)}.`, { field: 'takeoverMs' });
  return { consumer, guarantee, startAt, takeoverMs, settings: resolveDelivery(o, base, where) };
}
