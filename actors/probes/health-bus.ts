// Health events onto the event bus: every event of a stream published, in order, to a durable topic.

import type { Observable, Subscription } from 'rxjs';
import type { EventBus } from '../streams/event-bus.ts';
import type { HealthEvent } from './health-registry.ts';

/**
 * Options of {@link publishHealthEvents}: the `topic` (default `'troupe.health'`) and `onError`
 * for an event whose publish failed (default: skipped).
 */
export interface PublishHealthOptions {
  readonly topic?: string;
  readonly onError?: (error: unknown, event: HealthEvent) => void;
}

/**
 * Publishes every health event of `events` (e.g. `registry.events$`) to a durable event-bus topic,
 * one at a time in order, keyed by instance (or service) so each one's events stay ordered in
 * their partition. Unsubscribe to stop.
 *
 * @example
 * const sub = publishHealthEvents(registry.events$, bus);
 * bus.topic<HealthEvent>('troupe.health').subscribe((e) => alert(e.data), { group: 'ops' });
 */
export function publishHealthEvents(events: Observable<HealthEvent>, bus: EventBus, options: PublishHealthOptions = {}): Subscription {
  const topic = bus.topic<HealthEvent>(options.topic ?? 'troupe.health');
  return topic.publishFrom(events, {
    options: (e) => ({ key: e.type === 'service-health' ? `service/${e.service}` : e.instance }),
    onError: options.onError,
  });
}
