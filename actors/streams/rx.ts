// rxjs interop: a topic's events as an Observable (a bus subscription per Observable
// subscription) and publishing every value of an Observable, in order, each durable before the next.

import { Observable, type Subscription as RxSubscription } from 'rxjs';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { BusEvent, Delivery } from './event.ts';
import type { EventHandler, SubscribeOptions } from './subscribe-options.ts';

/** What the rx helpers need from a topic handle. */
export interface RxTopic<E> {
  subscribe(handler: EventHandler<E> | ActorRef<Delivery<E>>, options?: SubscribeOptions<E>): { unsubscribe(): void };
  publish(event: E, options?: import('./event-bus.ts').PublishOptions): Promise<unknown>;
}

/**
 * The topic's events as a cold Observable: each Observable subscription subscribes to the topic
 * with `options` (default: ephemeral, at-least-once from the next event, acknowledged once `next`
 * returned) and unsubscribing ends that bus subscription.
 */
export function topicEvents<E>(topic: RxTopic<E>, options?: SubscribeOptions<E>): Observable<BusEvent<E>> {
  return new Observable<BusEvent<E>>((subscriber) => {
    const sub = topic.subscribe((event) => { subscriber.next(event); }, options);
    return () => sub.unsubscribe();
  });
}

/**
 * Options of `publishFrom`: per-value publish options, and `onError` for a value whose publish
 * failed (default: that value is skipped; with a backend that is down, `backend-unavailable`).
 */
export interface PublishFromOptions<E> {
  readonly options?: (value: E) => import('./event-bus.ts').PublishOptions;
  readonly onError?: (error: unknown, value: E) => void;
}

/**
 * Publishes every value of `source`, one at a time in emission order, each durable before the
 * next is published; values wait in a queue meanwhile. Unsubscribing stops taking values; values
 * already taken are still published.
 */
export function publishFromObservable<E>(topic: RxTopic<E>, source: Observable<E>, o: PublishFromOptions<E> = {}): RxSubscription {
  const queue: E[] = [];
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      const value = queue.shift() as E;
      try {
        await topic.publish(value, o.options?.(value));
      } catch (e) {
        o.onError?.(e, value);
      }
    }
    running = false;
  };
  return source.subscribe((value) => {
    queue.push(value);
    if (!running) void drain();
  });
}
