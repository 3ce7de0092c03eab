// rxjs interop: a topic's events as an Observable (a bus subscription per Observable
// subscription) and publishing every value of an Observable, in order, with backpressure.

import { Observable, type Subscription as RxSubscription } from 'rxjs';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { isTroupeError } from '../../runtime/errors.ts';
import type { BusEvent, Delivery, EventPriority } from './event.ts';
import type { PublishReceipt } from './messages.ts';
import type { SubscribeOptions } from './registration.ts';
import type { EventHandler, Subscription } from './subscription.ts';

/** Options of one publish: `key` (per-key ordering in groups), `priority` (default `'normal'`), `id` (default: a system id). */
export interface PublishOptions {
  readonly key?: string;
  readonly priority?: EventPriority;
  readonly id?: string;
}

/** What the rx helpers need from a topic handle. */
export interface RxTopic<E> {
  subscribe(handler: EventHandler<E> | ActorRef<Delivery<E>>, options?: SubscribeOptions<E>): Subscription;
  publish(event: E, options?: PublishOptions): Promise<PublishReceipt>;
  whenWritable(): Promise<void>;
}

/**
 * The topic's events as a cold Observable: each Observable subscription subscribes to the topic
 * with `options` (default: at-least-once, acknowledged once `next` returned) and unsubscribing
 * ends that bus subscription.
 */
export function topicEvents<E>(topic: RxTopic<E>, options?: SubscribeOptions<E>): Observable<BusEvent<E>> {
  return new Observable<BusEvent<E>>((subscriber) => {
    const sub = topic.subscribe((event) => { subscriber.next(event); }, options);
    return () => sub.unsubscribe();
  });
}

/**
 * Options of `publishFrom`: per-value publish options, and `onError` for a value whose publish
 * failed for another reason than backpressure (default: that value is skipped).
 */
export interface PublishFromOptions<E> {
  readonly options?: (value: E) => PublishOptions;
  readonly onError?: (error: unknown, value: E) => void;
}

/**
 * Publishes every value of `source`, one at a time in emission order. A publish refused for
 * backpressure (`mailbox-full`) waits for `whenWritable()` and is retried, so no value is lost;
 * values wait in an unbounded queue meanwhile. Unsubscribing stops taking values; values already
 * taken are still published.
 */
export function publishFromObservable<E>(topic: RxTopic<E>, source: Observable<E>, o: PublishFromOptions<E> = {}): RxSubscription {
  const queue: E[] = [];
  let running = false;
  const drain = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      const value = queue[0];
      try {
        await topic.publish(value, o.options?.(value));
        queue.shift();
      } catch (e) {
        if (isTroupeError(e, 'mailbox-full')) { await topic.whenWritable().catch(() => undefined); continue; }
        queue.shift();
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
