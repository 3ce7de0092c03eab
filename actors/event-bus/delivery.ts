// One subscription's delivery state inside a topic actor: a two-lane buffer (high before normal),
// the in-flight window, ack timeouts, redelivery with seeded exponential backoff, dead-lettering.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { backoffDelay } from '../../supervisors/backoff.ts';
import type { AckMsg, BusEvent, Delivery } from './event.ts';
import type { Registration } from './registration.ts';

/** Timer messages a channel starts on its topic actor. */
export type DeliveryTimerMsg =
  | { readonly type: 'bus.ack-timeout'; readonly subscription: string; readonly eventId: string; readonly attempt: number }
  | { readonly type: 'bus.redeliver'; readonly subscription: string; readonly eventId: string };

/** An event waiting for (re)delivery: `attempts` deliveries so far, the last one's error. */
export interface Pending {
  readonly event: BusEvent<unknown>;
  attempts: number;
  lastError: string;
}

interface InFlight extends Pending {
  waiting: 'ack' | 'backoff';
}

/** What a channel needs from its topic actor. */
export interface ChannelHost {
  readonly ackTo: ActorRef<AckMsg>;
  startTimer(key: string, msg: DeliveryTimerMsg, delayMs: number): void;
  cancelTimer(key: string): void;
  /** A draw in [0, 1) from the system's seeded random (backoff jitter). */
  draw(): number;
  deadLetter(channel: DeliveryChannel, pending: Pending): void;
}

/**
 * Delivery to one subscription. At-most-once: each event is told once, if the subscriber is up.
 * At-least-once: events wait in the buffer until the in-flight window (`maxUnacked`) has room;
 * each delivery starts an ack timer; a nack or a timeout schedules a redelivery after
 * `backoff(attempt)`; the `maxAttempts`-th failure dead-letters the event.
 */
export class DeliveryChannel {
  endpoint: ActorRef<Delivery<unknown>> | null = null;
  endpointText = '';
  /** The subscription's filter when it subscribed on this node (applied before buffering). */
  filter: ((event: BusEvent<unknown>) => boolean) | undefined = undefined;
  private high: Pending[] = [];
  private normal: Pending[] = [];
  private readonly inFlight = new Map<string, InFlight>();

  constructor(public reg: Registration, private readonly host: ChannelHost) {}

  get queued(): number { return this.high.length + this.normal.length; }
  get unacked(): number { return this.inFlight.size; }

  /** True when a live at-least-once subscriber's buffer has no room: publishes to it are refused. */
  get full(): boolean {
    return this.reg.guarantee === 'at-least-once' && this.endpoint !== null && this.queued >= this.reg.delivery.maxBuffered;
  }

  /** True while a live at-least-once subscriber's buffer is over half full: `whenWritable` waits until it is not (so publishers refused at full resume together, with room). */
  get draining(): boolean {
    return this.reg.guarantee === 'at-least-once' && this.endpoint !== null && this.queued > Math.floor(this.reg.delivery.maxBuffered / 2);
  }

  /** Takes a newly published (or replayed) event. */
  offer(event: BusEvent<unknown>, attempts = 0, lastError = ''): void {
    if (this.reg.guarantee === 'at-most-once') {
      if (this.endpoint !== null) this.endpoint.tell(this.delivery(event, 1));
      return;
    }
    this.enqueue({ event, attempts, lastError });
  }

  enqueue(p: Pending): void {
    if (this.endpoint === null && this.queued >= this.reg.delivery.maxBuffered) {
      p.lastError = `the subscriber was down and its buffer of ${this.reg.delivery.maxBuffered} events was full`;
      this.host.deadLetter(this, p);
      return;
    }
    (p.event.priority === 'high' ? this.high : this.normal).push(p);
    this.pump();
  }

  /** Sends buffered events while the subscriber is up and the in-flight window has room. */
  pump(): void {
    const max = this.reg.delivery.maxUnacked;
    while (this.endpoint !== null && this.inFlight.size < max) {
      const p = this.high.length > 0 ? this.high.shift() : this.normal.shift();
      if (p === undefined) return;
      const f = p as InFlight;
      this.inFlight.set(f.event.id, f);
      this.send(f);
    }
  }

  ack(eventId: string): boolean {
    const f = this.inFlight.get(eventId);
    if (f === undefined) return false;
    this.inFlight.delete(eventId);
    this.host.cancelTimer(this.key(f.waiting, eventId));
    this.pump();
    return true;
  }

  /** A nack or an ack timeout of delivery number `attempt` (stale ones are ignored). */
  failed(eventId: string, attempt: number, error: string): void {
    const f = this.inFlight.get(eventId);
    if (f === undefined || f.waiting !== 'ack' || f.attempts !== attempt) return;
    this.host.cancelTimer(this.key('ack', eventId));
    f.lastError = error;
    if (f.attempts >= this.reg.delivery.maxAttempts) {
      this.inFlight.delete(eventId);
      this.host.deadLetter(this, f);
      this.pump();
      return;
    }
    f.waiting = 'backoff';
    const delay = backoffDelay(this.reg.delivery.backoff, f.attempts, this.host.draw());
    this.host.startTimer(this.key('backoff', eventId), { type: 'bus.redeliver', subscription: this.reg.id, eventId }, delay);
  }

  redeliver(eventId: string): void {
    const f = this.inFlight.get(eventId);
    if (f !== undefined && f.waiting === 'backoff' && this.endpoint !== null) this.send(f);
  }

  attach(endpoint: ActorRef<Delivery<unknown>>): void {
    this.endpoint = endpoint;
    this.endpointText = String(endpoint);
    this.pump();
  }

  /**
   * The subscriber is gone. Durable: in-flight events go back to the front of the buffer (in
   * publish order) for its return, and nothing is returned. Otherwise everything pending is
   * returned (in-flight first) for the topic to re-route or dead-letter.
   */
  detach(): Pending[] {
    this.endpoint = null;
    this.endpointText = '';
    const back = this.stopInFlight();
    if (this.reg.durable) {
      this.high.unshift(...back.filter((p) => p.event.priority === 'high'));
      this.normal.unshift(...back.filter((p) => p.event.priority !== 'high'));
      return [];
    }
    return [...back, ...this.drain()];
  }

  /** Removes and returns everything pending (unsubscribe), cancelling timers. */
  drain(): Pending[] {
    const all = [...this.stopInFlight(), ...this.high, ...this.normal];
    this.high = [];
    this.normal = [];
    return all;
  }

  private stopInFlight(): Pending[] {
    const back = [...this.inFlight.values()].sort((a, b) => a.event.sequence - b.event.sequence);
    for (const f of back) this.host.cancelTimer(this.key(f.waiting, f.event.id));
    this.inFlight.clear();
    return back;
  }

  private send(f: InFlight): void {
    f.attempts++;
    f.waiting = 'ack';
    this.endpoint!.tell(this.delivery(f.event, f.attempts));
    const { ackTimeoutMs } = this.reg.delivery;
    this.host.startTimer(this.key('ack', f.event.id), { type: 'bus.ack-timeout', subscription: this.reg.id, eventId: f.event.id, attempt: f.attempts }, ackTimeoutMs);
  }

  private delivery(event: BusEvent<unknown>, attempt: number): Delivery<unknown> {
    const d: Delivery<unknown> = { type: 'bus.delivery', subscription: this.reg.id, event, attempt, guarantee: this.reg.guarantee, ackTo: this.host.ackTo };
    return this.filter !== undefined ? { ...d, filtered: true } : d;
  }

  private key(kind: 'ack' | 'backoff', eventId: string): string {
    return `${kind === 'ack' ? 'a' : 'r'}|${this.reg.id}|${eventId}`;
  }
}
