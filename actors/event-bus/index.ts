// The event bus's public names, re-exported by name.

export { createEventBus, type EventBus, type EventBusOptions, type Topic } from './event-bus.ts';
export { ack, nack, type AckMsg, type BusEvent, type Delivery, type DeliveryGuarantee, type EventPriority } from './event.ts';
export type { DeliveryOptions, DeliverySettings } from './delivery-settings.ts';
export { DEFAULT_DELIVERY } from './delivery-settings.ts';
export type { SubscribeOptions } from './registration.ts';
export type { EventHandler, HandlerInfo, Subscription } from './subscription.ts';
export type { DeadLetter } from './dead-letter-queue.ts';
export { registerEventBusMessages, type PublishReceipt, type TopicStats, type SubscriptionStats } from './messages.ts';
export { idempotent, DedupWindow, type IdempotentOptions } from './idempotent.ts';
export type { PublishOptions, PublishFromOptions } from './rx.ts';
