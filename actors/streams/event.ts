// What flows out of a topic's log: the event a subscriber handles (with where it is stored),
// the delivery a handler actor receives, and the ack / nack it answers with.

import type { ActorRef } from '../../runtime/actor-ref.ts';

/** How urgent an event is: `'high'` events overtake `'normal'` ones of other partitions already read ahead for a subscriber (within a partition the log's order holds). */
export type EventPriority = 'high' | 'normal';

/**
 * What a subscription promises. `'at-least-once'` (default): an event counts as handled only once
 * the handler acknowledged it; the consumer's stored position moves only past handled events, so
 * events wait in the log while a subscriber is down and are redelivered after a failure (with
 * backoff, then the durable dead-letter stream). `'at-most-once'`: each event is handed to the
 * handler once, as it is read; failures are not retried (fire-and-forget topics).
 */
export type DeliveryGuarantee = 'at-most-once' | 'at-least-once';

/**
 * One event as read from a topic's log. `source` names the log it was read from (the publishing
 * node for per-node backends, the backend for shared ones) and `offset` its position there;
 * `partition` is `hash(key ?? id) mod partitions`. `headers` carry trace context and ids.
 */
export interface BusEvent<E> {
  readonly id: string;
  readonly topic: string;
  readonly source: string;
  readonly offset: number;
  readonly partition: number;
  readonly key?: string;
  readonly priority: EventPriority;
  readonly publishedAtMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly data: E;
}

/** What a handler actor answers a delivery with (sent to `delivery.ackTo`). */
export type AckMsg =
  | { readonly type: 'bus.ack'; readonly token: string }
  | { readonly type: 'bus.nack'; readonly token: string; readonly error: string };

/**
 * What a handler actor receives for each event. `attempt` is 1 on first delivery, 2 on the first
 * redelivery, and so on. Answer at-least-once deliveries with {@link ack} or {@link nack}
 * (for at-most-once ones both are no-ops).
 */
export interface Delivery<E> {
  readonly type: 'bus.delivery';
  readonly subscription: string;
  readonly event: BusEvent<E>;
  readonly attempt: number;
  readonly guarantee: DeliveryGuarantee;
  readonly token: string;
  readonly ackTo: ActorRef<AckMsg>;
}

/**
 * Acknowledges a delivery: the event is handled; the consumer's position may move past it.
 * @example receive: (s, d) => { ship(d.event.data); ack(d); }
 */
export function ack(delivery: Delivery<unknown>): void {
  if (delivery.guarantee !== 'at-least-once') return;
  delivery.ackTo.offer({ type: 'bus.ack', token: delivery.token }); // offer: the consumer's bookkeeping joins no trace
}

/**
 * Rejects a delivery: the event is redelivered after its backoff, or dead-lettered with
 * `error` (its message if it is an Error) once `maxAttempts` deliveries failed.
 * @example try { ship(d.event.data); ack(d); } catch (e) { nack(d, e); }
 */
export function nack(delivery: Delivery<unknown>, error: unknown): void {
  if (delivery.guarantee !== 'at-least-once') return;
  delivery.ackTo.offer({ type: 'bus.nack', token: delivery.token, error: errorText(error) });
}

/** An error as the text kept in dead letters and nacks (the message of an Error, else its string form). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}
