// A subscription as every node's topic actor knows it: plain data replicated across the cluster,
// built from the subscriber's options (checked here, at subscribe time).

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { resolveDelivery, type DeliveryOptions, type DeliverySettings } from './delivery-settings.ts';
import type { BusEvent, Delivery, DeliveryGuarantee } from './event.ts';

/**
 * Options of `topic.subscribe`. Defaults: a generated `id`, no `group` (broadcast: this
 * subscription gets every event), no `filter`, `guarantee` `'at-least-once'`, `durable` false,
 * and the bus's delivery settings (see {@link DeliveryOptions}).
 *
 * - `id`: names the subscription; required when `durable`. Subscribing again with the id of a
 *   durable subscription whose subscriber is down resumes it (missed events arrive in order).
 * - `group`: subscriptions with the same group share the events: each event goes to one member
 *   (events with a `key` always to the same member while membership is stable; others round-robin).
 *   The member is chosen first, then its filter applies: give every member of a group the same filter.
 *   Order: a subscription gets events in publish order (per publishing node), high priority first;
 *   a redelivery after a failure can be overtaken by later events. For strict per-key order
 *   through failures, use `maxUnacked: 1`.
 * - `filter`: content-based routing; the event reaches this subscription only when it returns true.
 *   A filter that throws sends the event to the dead letter queue with the error.
 * - `durable`: at-least-once only. When the subscriber stops or its node goes down, events are
 *   kept (up to `maxBuffered`, then dead-lettered) until a subscriber with the same id returns.
 *   Kept in memory on the publishing nodes: not across process restarts.
 */
export interface SubscribeOptions<E> extends DeliveryOptions {
  readonly id?: string;
  readonly group?: string;
  readonly filter?: (event: BusEvent<E>) => boolean;
  readonly guarantee?: DeliveryGuarantee;
  readonly durable?: boolean;
}

/** A subscription as replicated to every node's topic (no functions: it crosses nodes). */
export interface Registration {
  readonly id: string;
  readonly topic: string;
  /** The consumer group, or null for a broadcast subscription. */
  readonly group: string | null;
  readonly guarantee: DeliveryGuarantee;
  readonly durable: boolean;
  /** Whether the subscriber filters; topics on other nodes leave the filtering to the subscriber's node. */
  readonly hasFilter: boolean;
  /** The node the subscriber subscribed on. */
  readonly home: string;
  /** The actor deliveries go to (the subscription's endpoint on its home node). */
  readonly endpoint: ActorRef<Delivery<unknown>>;
  readonly delivery: DeliverySettings;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,99}$/;

/** Checks a topic name, subscription id or group: 1–100 of `[A-Za-z0-9_.:-]`, not starting with `.`, `:` or `-`. */
export function checkName(kind: string, name: unknown, where: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TroupeError('invalid-argument', `${where}: ${kind} "${String(name)}" must be 1–100 characters of letters, digits, _ . : - (starting with a letter, digit or _).`, { [kind]: name });
  }
  return name;
}

/** Checks subscribe options against each other (durable needs an id and at-least-once). */
export function checkSubscribeOptions<E>(o: SubscribeOptions<E>, base: DeliverySettings, where: string): { settings: DeliverySettings; guarantee: DeliveryGuarantee } {
  const guarantee = o.guarantee ?? 'at-least-once';
  if (guarantee !== 'at-least-once' && guarantee !== 'at-most-once') {
    throw new TroupeError('invalid-argument', `${where}: guarantee must be 'at-least-once' or 'at-most-once', got "${String(guarantee)}".`);
  }
  if (o.id !== undefined) checkName('id', o.id, where);
  if (o.group !== undefined) checkName('group', o.group, where);
  if (o.filter !== undefined && typeof o.filter !== 'function') throw new TroupeError('invalid-argument', `${where}: filter must be a function (event) => boolean.`);
  if (o.durable === true && (o.id === undefined || guarantee !== 'at-least-once')) {
    throw new TroupeError('invalid-argument', `${where}: a durable subscription needs a stable id and the 'at-least-once' guarantee; pass { id: 'notifications', durable: true }.`);
  }
  return { settings: resolveDelivery(o, base, where), guarantee };
}
