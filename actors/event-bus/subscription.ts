// A subscription: its endpoint actor on the subscriber's node (applies the filter, runs a handler
// function or forwards to a handler actor, acks and nacks) and the handle `subscribe` returns.

import { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import { ack, errorText, nack, type BusEvent, type Delivery } from './event.ts';
import type { TopicMsg } from './messages.ts';
import type { Registration, SubscribeOptions } from './registration.ts';
import type { DeliverySettings } from './delivery-settings.ts';
import type { DeliveryGuarantee } from './event.ts';

/** What a handler function learns besides the event: which delivery this is (1 = first). */
export interface HandlerInfo {
  readonly topic: string;
  readonly subscription: string;
  readonly attempt: number;
}

/**
 * A handler function. For at-least-once subscriptions, returning (or resolving) acknowledges the
 * event; throwing (or rejecting) nacks it with the error, so it is redelivered after backoff.
 * Deliveries to one subscription run one at a time, in the order they arrive.
 */
export type EventHandler<E> = (event: BusEvent<E>, info: HandlerInfo) => void | Promise<void>;

/** The handle of one subscription. */
export interface Subscription {
  readonly id: string;
  readonly topic: string;
  /** The endpoint actor deliveries go to (it stops when the subscription ends or detaches). */
  readonly endpoint: ActorRef<Delivery<unknown>>;
  /**
   * Stops this subscriber once the delivery it is handling (if any) is done; deliveries queued
   * behind it are not handled here. A durable subscription keeps collecting events (bounded by
   * `maxBuffered`, then the dead letter queue) until a subscriber with the same id subscribes
   * again; any other subscription ends (its unacknowledged events are dead-lettered).
   */
  detach(): void;
  /** Ends the subscription on every node, durable or not; its pending events are dropped. */
  unsubscribe(): void;
}

type EndpointMsg = Delivery<unknown> | { readonly type: 'bus.detach' } | { readonly type: 'bus.handler-down' };

/** In the endpoint's mailbox: a detach first (the handler running now finishes), then high-priority deliveries, then the rest, FIFO. */
const priorityOf = (m: unknown): number => {
  const msg = m as EndpointMsg;
  if (msg.type !== 'bus.delivery') return 0;
  return msg.event.priority === 'high' ? 1 : 2;
};

/** The endpoint actor of one subscription. A handler actor it forwards to is watched: when it stops, so does the endpoint. */
export function defineEndpoint(
  handler: EventHandler<unknown> | ActorRef<Delivery<unknown>>,
  filter: ((event: BusEvent<unknown>) => boolean) | undefined,
): ActorDefinition<EndpointMsg, undefined> {
  return defineActor<EndpointMsg, undefined>({
    name: 'event-bus-subscriber',
    mailbox: { kind: 'priority', priorityOf },
    init: (ctx) => {
      if (handler instanceof ActorRef) ctx.watch(handler as ActorRef<never>, { type: 'bus.handler-down' });
      return undefined;
    },
    receive: (_s, m, ctx) => {
      if (m.type !== 'bus.delivery') { ctx.stop(ctx.self as ActorRef<never>); return; }
      if (filter !== undefined && m.filtered !== true) {
        try {
          if (!filter(m.event)) { ack(m); return; }
        } catch (e) {
          nack(m, `filter threw: ${errorText(e)}`);
          return;
        }
      }
      if (handler instanceof ActorRef) { handler.tell(m); return; }
      let r: void | Promise<void>;
      try {
        r = handler(m.event, { topic: m.event.topic, subscription: m.subscription, attempt: m.attempt });
      } catch (e) {
        nack(m, e);
        return;
      }
      if (r === undefined || typeof (r as Promise<void>).then !== 'function') { ack(m); return; }
      return (r as Promise<void>).then(() => ack(m), (e: unknown) => nack(m, e));
    },
  });
}

/** What {@link startSubscription} needs from the bus. */
export interface SubscriptionSite {
  readonly system: ActorSystem;
  readonly topic: string;
  readonly topicRef: ActorRef<TopicMsg>;
  readonly endpointName: string;
}

/** Spawns the endpoint, registers it with the topic (which tells the other nodes) and returns the handle. */
export function startSubscription<E>(
  site: SubscriptionSite,
  handler: EventHandler<E> | ActorRef<Delivery<E>>,
  o: SubscribeOptions<E>,
  checked: { settings: DeliverySettings; guarantee: DeliveryGuarantee },
): Subscription {
  const { system, topicRef } = site;
  const filter = o.filter as ((e: BusEvent<unknown>) => boolean) | undefined;
  const endpoint = system.spawn(defineEndpoint(handler as EventHandler<unknown> | ActorRef<Delivery<unknown>>, filter), site.endpointName);
  const registration: Registration = {
    id: o.id ?? system.ids(),
    topic: site.topic,
    group: o.group ?? null,
    guarantee: checked.guarantee,
    durable: o.durable === true,
    hasFilter: filter !== undefined,
    home: system.node,
    endpoint,
    delivery: checked.settings,
  };
  topicRef.tell({ type: 'bus.subscribe', registration, relay: true, filter });
  return {
    id: registration.id,
    topic: site.topic,
    endpoint,
    detach: () => {
      if (!system.isTerminated) endpoint.tell({ type: 'bus.detach' } as never);
    },
    unsubscribe: () => {
      if (system.isTerminated) return;
      topicRef.tell({ type: 'bus.unsubscribe', subscription: registration.id, relay: true });
      endpoint.tell({ type: 'bus.detach' } as never);
    },
  };
}
