// What flows through the bus: a published event with its id, timestamp and sequence, and the
// delivery a subscriber receives (with the ack and nack it answers by).

import type { ActorRef } from '../../runtime/actor-ref.ts';

/** How urgent an event is: `'high'` (operational) events overtake queued `'normal'` ones for a subscriber. */
export type EventPriority = 'high' | 'normal';

/**
 * What a subscription promises. `'at-most-once'`: sent once, never acknowledged, lost if the
 * subscriber is down. `'at-least-once'`: kept until the subscriber acknowledges it, redelivered
 * with backoff otherwise, and sent to the dead letter queue after `maxAttempts`.
 */
export type DeliveryGuarantee = 'at-most-once' | 'at-least-once';

/**
 * One published event, as plain data. `id` is the publisher's (or a system id); `sequence`
 * counts the topic's events published on `origin` (1, 2, …); `publishedAtMs` is the publishing
 * system's clock. `key` (absent when not given) routes all its events to the same group member.
 */
export interface BusEvent<E> {
  readonly id: string;
  readonly topic: string;
  readonly sequence: number;
  readonly publishedAtMs: number;
  readonly origin: string;
  readonly key?: string;
  readonly priority: EventPriority;
  readonly data: E;
}

/** Acknowledgements a subscriber sends to `delivery.ackTo`: `bus.ack` (handled) or `bus.nack` (failed, with the error text). */
export type AckMsg =
  | { readonly type: 'bus.ack'; readonly subscription: string; readonly eventId: string }
  | { readonly type: 'bus.nack'; readonly subscription: string; readonly eventId: string; readonly attempt: number; readonly error: string };

/**
 * What a subscriber actor receives for each event. `attempt` is 1 on first delivery, 2 on the
 * first redelivery, and so on. Answer at-least-once deliveries with {@link ack} or {@link nack};
 * for at-most-once ones both are no-ops. `filtered` is set when the topic already applied the
 * subscription's filter.
 */
export interface Delivery<E> {
  readonly type: 'bus.delivery';
  readonly subscription: string;
  readonly event: BusEvent<E>;
  readonly attempt: number;
  readonly guarantee: DeliveryGuarantee;
  readonly ackTo: ActorRef<AckMsg>;
  readonly filtered?: true;
}

/**
 * Acknowledges a delivery: the event is handled and will not be redelivered.
 * @example receive: (s, d) => { ship(d.event.data); ack(d); }
 */
export function ack(delivery: Delivery<unknown>): void {
  if (delivery.guarantee !== 'at-least-once') return;
  delivery.ackTo.tell({ type: 'bus.ack', subscription: delivery.subscription, eventId: delivery.event.id });
}

/**
 * Rejects a delivery: the event is redelivered after its backoff, or dead-lettered with
 * `error` (its message if it is an Error) once `maxAttempts` deliveries failed.
 * @example try { ship(d.event.data); ack(d); } catch (e) { nack(d, e); }
 */
export function nack(delivery: Delivery<unknown>, error: unknown): void {
  if (delivery.guarantee !== 'at-least-once') return;
  delivery.ackTo.tell({ type: 'bus.nack', subscription: delivery.subscription, eventId: delivery.event.id, attempt: delivery.attempt, error: errorText(error) });
}

/** An error as the text kept in dead letters and nacks (the message of an Error, else its string form). */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}
