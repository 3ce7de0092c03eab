// The event bus's public names (durable streams), re-exported by name.

export {
  createEventBus, type EventBus, type EventBusOptions, type Topic, type TopicOptions, type PublishOptions, type PublishReceipt,
  type Subscription, type DeadLetter,
} from './event-bus.ts';
export { ack, nack, type AckMsg, type BusEvent, type Delivery, type DeliveryGuarantee, type EventPriority } from './event.ts';
export { DEFAULT_DELIVERY, type DeliveryOptions, type DeliverySettings } from './delivery-settings.ts';
export type { SubscribeOptions, EventHandler, HandlerInfo, StartAt } from './subscribe-options.ts';
export type { ConsumerLag, ConsumerStatus } from './internal/consumer.ts';
export { registerEventBusMessages } from './internal/log-protocol.ts';
export {
  idempotent, DedupWindow, createMemoryIdempotencyStore, createJournalIdempotencyStore,
  type IdempotentOptions, type IdempotencyStore, type JournalIdempotencyOptions,
} from './idempotent.ts';
export type { PublishFromOptions } from './rx.ts';
export type { LogBackend, LogSource, LogRecord, NewLogRecord, LogHead, CursorState, DeadLetterRecord, Retention } from './log-source.ts';
export { createMemoryLogBackend, createFileLogBackend, type MemoryLogOptions, type FileLogOptions, type EmbeddedLogOptions } from './embedded-backends.ts';
export { createJournalLog, type DerivedTopic, type JournalLogOptions } from './journal-log.ts';
export { createPgLogBackend, type PgLogOptions } from './pg-log.ts';
export { createJetStreamLogBackend, type JetStreamLogOptions } from './jetstream-log.ts';
export { transactional } from './transactional.ts';
