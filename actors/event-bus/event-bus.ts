// The event bus: topics as actors on one system or on every node of a cluster, with typed
// publish/subscribe handles, dead letter inspection and replay, and rxjs interop.

import type { Observable, Subscription as RxSubscription } from 'rxjs';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { isTroupeError, TroupeError } from '../../runtime/errors.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import type { DeadLetter } from './dead-letter-queue.ts';
import { DEFAULT_DELIVERY, resolveDelivery, type DeliveryOptions } from './delivery-settings.ts';
import type { BusEvent, Delivery } from './event.ts';
import type { PublishReceipt, PublishReply, TopicMsg, TopicStats } from './messages.ts';
import { checkName, checkSubscribeOptions, type SubscribeOptions } from './registration.ts';
import { publishFromObservable, topicEvents, type PublishFromOptions, type PublishOptions } from './rx.ts';
import { startSubscription, type EventHandler, type Subscription } from './subscription.ts';
import { defineTopic } from './topic.ts';
import { peerDirectoryOf } from './topic-peers.ts';

/**
 * Options of {@link createEventBus}. Defaults: `name` `'event-bus'` (topic actors live at
 * `/user/<name>.<topic>`, the same path on every node), `delivery` defaults for subscriptions as
 * in {@link DeliveryOptions} (ackTimeoutMs 5 000, maxAttempts 5, backoff 100–10 000 ms ×2
 * jitter 0.2, maxUnacked 100, maxBuffered 1 000), `maxDeadLetters` 10 000 per topic per node,
 * `requestTimeoutMs` (publish, stats, dead letters) the system's `askTimeoutMs` (5 000).
 */
export interface EventBusOptions {
  readonly name?: string;
  readonly delivery?: DeliveryOptions;
  readonly maxDeadLetters?: number;
  readonly requestTimeoutMs?: number;
}

/** A typed handle to one topic on this node. */
export interface Topic<E> {
  readonly name: string;
  /** The topic actor on this node. */
  readonly ref: ActorRef<TopicMsg>;
  /**
   * Publishes `event` to every matching subscription on every node (one member per group).
   * Resolves with a {@link PublishReceipt} once the topic routed it. **Backpressure**: rejects
   * with `TroupeError('mailbox-full')` (data: `{ topic, subscriptions }`) without publishing
   * when a live at-least-once subscription it would reach has a full buffer; await
   * {@link Topic.whenWritable} and publish again. `receipt.backpressured` warns one event early.
   */
  publish(event: E, options?: PublishOptions): Promise<PublishReceipt>;
  /**
   * Subscribes a handler function or a handler actor (which gets {@link Delivery} messages and
   * answers with `ack(d)` / `nack(d, error)`). See {@link SubscribeOptions} for groups, filters,
   * guarantees, durability and delivery settings. Throws `invalid-argument` on bad options.
   */
  subscribe(handler: EventHandler<E> | ActorRef<Delivery<E>>, options?: SubscribeOptions<E>): Subscription;
  /**
   * Resolves once every live at-least-once subscription of this topic (as routed from this node)
   * has its buffer at most half full (`maxBuffered / 2`, the low-water mark), so publishers
   * refused at full resume together and find room.
   */
  whenWritable(): Promise<void>;
  /** The topic's state on this node. */
  stats(): Promise<TopicStats>;
  /** The events as a cold Observable; see {@link topicEvents}. */
  events$(options?: SubscribeOptions<E>): Observable<BusEvent<E>>;
  /** Publishes every value of `source` in order, waiting out backpressure; see {@link publishFromObservable}. */
  publishFrom(source: Observable<E>, options?: PublishFromOptions<E>): RxSubscription;
}

/** An event bus on one system or cluster node. */
export interface EventBus {
  readonly system: ActorSystem;
  /** The topic named `name` (1–100 of `[A-Za-z0-9_.:-]`), its actor started on first use. */
  topic<E>(name: string): Topic<E>;
  /** Dead letters of one topic, or of every topic used on this node (each node keeps those of the events it published). */
  deadLetters<E = unknown>(topic?: string): Promise<DeadLetter<E>[]>;
  /**
   * Delivers again the dead letters `filter` accepts (default: all), with a fresh attempt budget,
   * to their subscription (or another member of its group). Entries whose subscription is gone
   * stay in the queue. Resolves with how many were re-delivered.
   */
  replayDeadLetters(filter?: (entry: DeadLetter) => boolean): Promise<number>;
}

function isClusterNode(x: ActorSystem | ClusterNode): x is ClusterNode {
  return typeof (x as ClusterNode).cluster === 'object' && typeof (x as ClusterNode).system === 'object';
}

/**
 * Creates an event bus on a system (topics local to it) or on a cluster node (create one on every
 * node; declare the bus messages with `registerEventBusMessages` in every node's registry).
 *
 * @example
 * const bus = createEventBus(system);
 * const orders = bus.topic<{ orderId: string; total: number }>('orders');
 * orders.subscribe(async (e) => { await reserveStock(e.data.orderId); }, { group: 'inventory' });
 * await orders.publish({ orderId: 'o-1', total: 42 }, { key: 'o-1' });
 */
export function createEventBus(target: ActorSystem | ClusterNode, options: EventBusOptions = {}): EventBus {
  const system = isClusterNode(target) ? target.system : target;
  const peers = isClusterNode(target) ? peerDirectoryOf(target) : null;
  const busName = checkName('name', options.name ?? 'event-bus', 'createEventBus');
  const base = resolveDelivery(options.delivery, DEFAULT_DELIVERY, 'createEventBus delivery');
  const maxDeadLetters = options.maxDeadLetters ?? 10_000;
  if (!Number.isInteger(maxDeadLetters) || maxDeadLetters < 0) throw new TroupeError('invalid-argument', `createEventBus: maxDeadLetters must be an integer ≥ 0 (default 10 000), got ${maxDeadLetters}.`);
  const ask = { timeoutMs: options.requestTimeoutMs };
  const topics = new Map<string, Topic<unknown>>();
  let endpoints = 0;

  const makeTopic = <E>(name: string): Topic<E> => {
    const actorName = `${busName}.${name}`;
    const ref = system.spawn(defineTopic({ topic: name, path: `/user/${actorName}`, peers, maxDeadLetters }), actorName);
    const topic: Topic<E> = {
      name,
      ref,
      publish: async (event, o = {}) => {
        const priority = o.priority ?? 'normal';
        if (priority !== 'high' && priority !== 'normal') throw new TroupeError('invalid-argument', `publish to "${name}": priority must be 'high' or 'normal', got "${String(priority)}".`);
        if (o.key !== undefined && typeof o.key !== 'string') throw new TroupeError('invalid-argument', `publish to "${name}": key must be a string.`);
        if (o.id !== undefined && (typeof o.id !== 'string' || o.id.length === 0)) throw new TroupeError('invalid-argument', `publish to "${name}": id must be a non-empty string.`);
        const reply = await ref.ask<PublishReply>((replyTo) => ({ type: 'bus.publish', data: event, key: o.key, priority, id: o.id, replyTo }), ask);
        if (reply.ok) return reply.receipt;
        throw new TroupeError('mailbox-full', `Topic "${name}": the buffers of subscription(s) ${reply.full.join(', ')} are full (their subscribers are behind). Await topic.whenWritable() and publish again, or raise maxBuffered.`, { topic: name, subscriptions: reply.full });
      },
      subscribe: (handler, o = {}) => {
        const checked = checkSubscribeOptions(o, base, `subscribe to "${name}"`);
        return startSubscription({ system, topic: name, topicRef: ref, endpointName: `${actorName}.sub-${++endpoints}` }, handler, o, checked);
      },
      whenWritable: async () => {
        for (;;) {
          try {
            await ref.ask<true>((replyTo) => ({ type: 'bus.when-writable', replyTo }), ask);
            return;
          } catch (e) {
            if (!isTroupeError(e, 'ask-timeout')) throw e;
          }
        }
      },
      stats: () => ref.ask<TopicStats>((replyTo) => ({ type: 'bus.stats', replyTo }), ask),
      events$: (o) => topicEvents(topic, o),
      publishFrom: (source, o) => publishFromObservable(topic, source, o),
    };
    return topic;
  };

  return {
    system,
    topic: <E>(name: string): Topic<E> => {
      checkName('topic', name, 'bus.topic');
      if (busName.length + name.length > 100) {
        throw new TroupeError('invalid-argument', `bus.topic: "${busName}.${name}" is too long to name its actors; keep the bus name and topic name within 100 characters together.`, { topic: name });
      }
      let t = topics.get(name);
      if (t === undefined) { t = makeTopic<unknown>(name); topics.set(name, t); }
      return t as unknown as Topic<E>;
    },
    deadLetters: async <E>(name?: string): Promise<DeadLetter<E>[]> => {
      const chosen = name === undefined ? [...topics.values()] : [topics.get(name)].filter((t) => t !== undefined);
      const lists = await Promise.all(chosen.map((t) => t.ref.ask<DeadLetter[]>((replyTo) => ({ type: 'bus.dead-letters', replyTo }), ask)));
      return lists.flat() as DeadLetter<E>[];
    },
    replayDeadLetters: async (filter) => {
      const counts = await Promise.all([...topics.values()].map((t) => t.ref.ask<number>((replyTo) => ({ type: 'bus.replay', filter, replyTo }), ask)));
      return counts.reduce((a, b) => a + b, 0);
    },
  };
}
