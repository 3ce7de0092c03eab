// What the e2e case and its publisher process say to each other over IPC, and the registry both
// Troupe nodes use.

import { registerReceptionistMessages } from '../../actors/receptionist.ts';
import { registerEventBusMessages } from '../../actors/streams/index.ts';
import { createMessageRegistry, type MessageRegistry } from '../../runtime/wire/message-registry.ts';

/** How the measuring process configures the publisher (argv[2], JSON). */
export interface PublisherConfig {
  /** `troupe`: a cluster node with an event bus on a file backend; `raw`: a raw fsynced log + TCP frames. */
  readonly mode: 'troupe' | 'raw';
  readonly secret: string;
}

/**
 * Publish `count` events of phase `phase`: with `rate` 0, as fast as `publishers` concurrent
 * publishers (each awaiting its publish) go; else paced at `rate` events/s (1 ms ticks, publishes
 * not awaited one by one).
 */
export type PublishCommand = { type: 'publish'; phase: number; count: number; rate: number; publishers: number };

/** The publisher's answer once every publish of the phase resolved: when it started (µs, monotonic). */
export type Published = { type: 'published'; phase: number; startUs: number; endUs: number };

/** The bus registry both nodes use (event bus + receptionist messages). */
export const e2eRegistry = (): MessageRegistry => registerReceptionistMessages(registerEventBusMessages(createMessageRegistry()));

/** The raw baseline's ack frame: the consumer has handled every event up to `upTo` of the connection. */
export type RawAck = { a: number };
