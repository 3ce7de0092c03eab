// The topic actor's protocol: what the bus, subscribers, timers and peer topics on other nodes
// send it, the replies it gives, and the registry declarations of the types that cross nodes.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { MessageRegistry } from '../../runtime/wire/message-registry.ts';
import type { DeadLetter } from './dead-letter-queue.ts';
import type { DeliveryTimerMsg } from './delivery.ts';
import type { AckMsg, BusEvent, DeliveryGuarantee, EventPriority } from './event.ts';
import type { Registration } from './registration.ts';

/**
 * What `publish` resolves with: the event's id, sequence and timestamp, how many subscriptions
 * it was routed to, and `backpressured`: the subscriptions whose buffer is full after this
 * event (the next publish reaching them is refused until `whenWritable()` resolves).
 */
export interface PublishReceipt {
  readonly id: string;
  readonly sequence: number;
  readonly publishedAtMs: number;
  readonly routedTo: number;
  readonly backpressured: readonly string[];
}

/** The topic's answer to a publish: a receipt, or the live subscriptions whose buffer is full. */
export type PublishReply =
  | { readonly ok: true; readonly receipt: PublishReceipt }
  | { readonly ok: false; readonly full: readonly string[] };

/** One subscription as `topic.stats()` shows it. */
export interface SubscriptionStats {
  readonly id: string;
  readonly group: string | null;
  readonly guarantee: DeliveryGuarantee;
  readonly durable: boolean;
  readonly home: string;
  /** False while a durable subscription's subscriber is down. */
  readonly attached: boolean;
  readonly unacked: number;
  readonly queued: number;
}

/** A topic's state on this node: its last sequence, subscriptions, dead letters and peer nodes. */
export interface TopicStats {
  readonly topic: string;
  readonly sequence: number;
  readonly subscriptions: readonly SubscriptionStats[];
  readonly deadLetters: number;
  readonly peers: readonly string[];
}

/** Everything a topic actor accepts. Types marked "remote" cross nodes and are declared by {@link registerEventBusMessages}. */
export type TopicMsg =
  | { readonly type: 'bus.publish'; readonly data: unknown; readonly key: string | undefined; readonly priority: EventPriority; readonly id: string | undefined; readonly replyTo: ActorRef<PublishReply> }
  /** remote; `relay` true when it comes from this node's bus (then it is sent on to the peers). `filter` stays local. */
  | { readonly type: 'bus.subscribe'; readonly registration: Registration; readonly relay: boolean; readonly filter?: (event: BusEvent<unknown>) => boolean }
  /** remote */
  | { readonly type: 'bus.unsubscribe'; readonly subscription: string; readonly relay: boolean }
  /** remote */
  | AckMsg
  | DeliveryTimerMsg
  | { readonly type: 'bus.endpoint-down'; readonly subscription: string; readonly endpoint: string }
  /** remote: a peer topic introduces itself with the subscriptions of its node; answered by `bus.welcome`. */
  | { readonly type: 'bus.hello'; readonly peer: ActorRef<TopicMsg>; readonly registrations: readonly Registration[] }
  /** remote */
  | { readonly type: 'bus.welcome'; readonly peer: ActorRef<TopicMsg>; readonly registrations: readonly Registration[] }
  | { readonly type: 'bus.peer-found'; readonly peer: ActorRef<TopicMsg> }
  | { readonly type: 'bus.peer-down'; readonly node: string; readonly peer: string }
  | { readonly type: 'bus.member-up'; readonly node: string }
  | { readonly type: 'bus.dead-letters'; readonly replyTo: ActorRef<DeadLetter[]> }
  | { readonly type: 'bus.replay'; readonly filter: ((entry: DeadLetter) => boolean) | undefined; readonly replyTo: ActorRef<number> }
  | { readonly type: 'bus.when-writable'; readonly replyTo: ActorRef<true> }
  | { readonly type: 'bus.stats'; readonly replyTo: ActorRef<TopicStats> };

/** The message types that cross nodes (all version 1), each with the shape check its validator runs. */
export const EVENT_BUS_REMOTE_TYPES: Readonly<Record<string, (p: Record<string, unknown>) => boolean>> = Object.freeze({
  'bus.delivery': (p) => typeof p.subscription === 'string' && typeof p.event === 'object' && typeof p.attempt === 'number',
  'bus.ack': (p) => typeof p.subscription === 'string' && typeof p.eventId === 'string',
  'bus.nack': (p) => typeof p.subscription === 'string' && typeof p.eventId === 'string' && typeof p.attempt === 'number',
  'bus.subscribe': (p) => typeof p.registration === 'object' && p.registration !== null,
  'bus.unsubscribe': (p) => typeof p.subscription === 'string',
  'bus.hello': (p) => Array.isArray(p.registrations),
  'bus.welcome': (p) => Array.isArray(p.registrations),
});

/**
 * Declares the event bus's remote message types (all version 1) in a node's registry; call it on
 * every node before `createNode`. Event payloads travel inside `bus.delivery`, so they must be
 * data the wire codec carries (JSON, or what superjson handles: Date, Map, Set, BigInt…).
 *
 * @example
 * const registry = registerEventBusMessages(createMessageRegistry());
 * const node = await createNode({ node: 'n1', transport, registry });
 * const bus = createEventBus(node);
 */
export function registerEventBusMessages(registry: MessageRegistry): MessageRegistry {
  for (const [type, check] of Object.entries(EVENT_BUS_REMOTE_TYPES)) {
    registry.define(type, {
      version: 1,
      validate: (p) => (typeof p === 'object' && p !== null && check(p as Record<string, unknown>)) || `${type} payload is malformed`,
    });
  }
  return registry;
}
