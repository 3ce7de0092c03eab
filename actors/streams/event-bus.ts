// The event bus: topics as durable, ordered logs on a backend (memory, file, PostgreSQL,
// JetStream); publish appends, a subscription is a consumer with a stored position that moves
// only past acknowledged events; consumer groups share a topic's partitions across nodes.

import { BehaviorSubject, type Observable, type Subscription as RxSubscription } from 'rxjs';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { TroupeError } from '../../runtime/errors.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import type { TimerId } from '../../runtime/clock.ts';
import type { MessageRegistry } from '../../runtime/wire/message-registry.ts';
import { createReceptionist, defineServiceKey, type Receptionist } from '../receptionist.ts';
import { DEFAULT_DELIVERY, resolveDelivery, type DeliveryOptions } from './delivery-settings.ts';
import { createMemoryLogBackend } from './embedded-backends.ts';
import type { BusEvent, Delivery, EventPriority } from './event.ts';
import { defineConsumer, REPLAY_FOR, type ConsumerLag, type ConsumerMsg, type ConsumerStatus, type SourceHandle } from './internal/consumer.ts';
import { BusMetrics } from './internal/bus-metrics.ts';
import type { LogServerMsg } from './internal/log-protocol.ts';
import { defineLogServer } from './internal/log-server.ts';
import { createRemoteLog } from './internal/remote-log.ts';
import type { DeadLetterRecord, LogBackend, LogHead, LogRecord, NewLogRecord, Retention } from './log-source.ts';
import { checkName } from './names.ts';
import { hashString, partitionOf } from './partitions.ts';
import { publishFromObservable, topicEvents, type PublishFromOptions } from './rx.ts';
import { checkSubscribeOptions, type EventHandler, type SubscribeOptions } from './subscribe-options.ts';
import { addTraceHeaders, endPublishSpan, startPublishSpan } from './internal/bus-tracing.ts';
import type { RecordedSpan } from '../../runtime/observe/internal/recorded-span.ts';

/**
 * Options of {@link createEventBus}. Defaults:
 * - `backend`: a memory backend (nothing survives the process) — pass `await createFileLogBackend(…)`
 *   (the durable embedded default), `createPgLogBackend(…)` or `createJetStreamLogBackend(…)`;
 * - `name` `'event-bus'` (actors live at `/user/<name>.…`; every node of a cluster uses the same);
 * - `partitions` 8 per topic (the unit of work a group member owns; keep it the same on every node);
 * - `delivery`: subscription defaults as in {@link DeliveryOptions};
 * - `registry`: none (then topics are untyped; a typed topic names its message type, see {@link TopicOptions});
 * - `pollMs` 500: how often consumers look for work they were not told of (appends on this node,
 *   and on nodes whose log server it watches, are noticed at once);
 * - `requestTimeoutMs` 5 000: asks to other nodes' logs;
 * - `retentionIntervalMs` 60 000: how often topics with a retention policy are trimmed.
 */
export interface EventBusOptions {
  readonly backend?: LogBackend;
  readonly name?: string;
  readonly partitions?: number;
  readonly delivery?: DeliveryOptions;
  readonly registry?: MessageRegistry;
  readonly pollMs?: number;
  readonly requestTimeoutMs?: number;
  readonly retentionIntervalMs?: number;
}

/**
 * Options of `bus.topic`. `partitions` (default: the bus's), `retention` (default: keep
 * everything; see {@link Retention}), `messageType`: a type declared in the bus's registry —
 * published payloads are validated by it and stamped with its version; read payloads are upcast
 * to the current version (a payload that cannot be read is dead-lettered, not retried).
 */
export interface TopicOptions {
  readonly partitions?: number;
  readonly retention?: Retention;
  readonly messageType?: string;
}

/** Options of one publish: `key` (all events of a key go to one partition, in order), `id` (default a system id; a publisher retrying should reuse it), `priority` (default `'normal'`), `headers` (string values; trace context, correlation ids). */
export interface PublishOptions {
  readonly key?: string;
  readonly id?: string;
  readonly priority?: EventPriority;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a durable publish returns: where the event is stored. */
export interface PublishReceipt {
  readonly id: string;
  readonly topic: string;
  readonly source: string;
  readonly offset: number;
  readonly partition: number;
}

/** The handle of one subscription. */
export interface Subscription {
  /** The consumer's name (its group or durable id), or a generated id for an ephemeral subscription. */
  readonly id: string;
  readonly topic: string;
  /** The consumer actor. */
  readonly consumer: ActorRef<ConsumerMsg>;
  /**
   * Stops this subscriber: it finishes the delivery in hand, stores its position and lets go of
   * its partitions (other members take them). A durable consumer's position stays in the backend:
   * subscribing again with the same id resumes after the last acknowledged event.
   */
  detach(): void;
  /** Same as {@link Subscription.detach}: a consumer's stored position is kept by the backend. */
  unsubscribe(): void;
  /** Events not yet handled (approximate for a group: counts the log between this member's position and the head) and the age of the oldest. */
  lag(): Promise<ConsumerLag>;
  /** What this consumer owns and holds now. */
  status(): Promise<ConsumerStatus>;
}

/** A typed handle to one topic. */
export interface Topic<E> {
  readonly name: string;
  readonly partitions: number;
  /**
   * Appends `event` to the topic's log on this node (or the shared log) and resolves once it is
   * durable — whoever is subscribed, whether or not the cluster is up. Rejects `schema-invalid`
   * (payload refused by the topic's message type, or not serializable), `invalid-argument` (bad
   * options), `backend-unavailable` / `storage-full` (nothing was stored; publish again later).
   */
  publish(event: E, options?: PublishOptions): Promise<PublishReceipt>;
  /** Appends several events as one atomic append (all stored or none); receipts in order. */
  publishBatch(events: readonly { readonly data: E; readonly options?: PublishOptions }[]): Promise<PublishReceipt[]>;
  /**
   * Subscribes a handler function (return = ack, throw = nack) or a handler actor (gets
   * {@link Delivery} messages; answers `ack(d)` / `nack(d, error)`). See {@link SubscribeOptions}.
   * Throws `invalid-argument` on bad options.
   */
  subscribe(handler: EventHandler<E> | ActorRef<Delivery<E>>, options?: SubscribeOptions<E>): Subscription;
  /** The first and last offsets of each log this node reads the topic from. */
  stats(): Promise<Record<string, LogHead>>;
  /** Applies the topic's retention now on this node's log (or the shared one). */
  trim(): Promise<LogHead>;
  /** The events as a cold Observable: one subscription per Observable subscriber (acked once `next` returned). */
  events$(options?: SubscribeOptions<E>): Observable<BusEvent<E>>;
  /** Publishes every value of `source` in order (one at a time, each durable before the next). */
  publishFrom(source: Observable<E>, options?: PublishFromOptions<E>): RxSubscription;
}

/** A dead letter as listed by the bus: the event, who gave up on it and why. */
export interface DeadLetter<E = unknown> {
  readonly event: BusEvent<E>;
  readonly consumer: string;
  readonly error: string;
  readonly attempts: number;
  readonly deadAtMs: number;
}

/** An event bus on one system or cluster node. */
export interface EventBus {
  readonly system: ActorSystem;
  readonly backend: LogBackend;
  /** The topic `name` (1–100 of `[A-Za-z0-9_.:-]`); the same options every time it is asked for. */
  topic<E>(name: string, options?: TopicOptions): Topic<E>;
  /** The durable dead letters of `consumer` on `topic`, from every log this node reads. */
  deadLetters<E = unknown>(topic: string, consumer: string): Promise<DeadLetter<E>[]>;
  /**
   * Delivers again, to `consumer` only, the dead letters `filter` accepts (default all): each is
   * appended to the topic's log on this node marked for that consumer, then purged from the
   * dead-letter stream. Resolves with how many. (A crash between the two may replay one twice.)
   */
  replayDeadLetters(topic: string, consumer: string, filter?: (d: DeadLetter) => boolean): Promise<number>;
  /** Removes the dead letters `filter` accepts (default all); resolves with how many. */
  purgeDeadLetters(topic: string, consumer: string, filter?: (d: DeadLetter) => boolean): Promise<number>;
  /** Stops this bus's consumers and servers (not the backend: close it yourself). */
  close(): Promise<void>;
}

function isClusterNode(x: ActorSystem | ClusterNode): x is ClusterNode {
  return typeof (x as ClusterNode).cluster === 'object' && typeof (x as ClusterNode).system === 'object';
}

const positiveInt = (v: unknown, field: string, dflt: string, where: string): number => {
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new TroupeError('invalid-argument', `${where}: ${field} must be an integer ≥ 1 (default ${dflt}), got ${String(v)}.`, { field });
  return v as number;
};

/**
 * Creates an event bus on a system or a cluster node. On a cluster, create one on every node
 * with the same `name`, declare the bus's remote messages in every node's registry
 * (`registerEventBusMessages`), and, with a per-node backend (memory, file), consumers read every
 * node's log through that node's bus.
 *
 * @example
 * const bus = createEventBus(node, { backend: await createFileLogBackend({ dir: './data/bus', name: node.system.node }) });
 * const orders = bus.topic<{ orderId: string; total: number }>('orders');
 * orders.subscribe(async (e) => { await reserveStock(e.data.orderId); }, { group: 'inventory' });
 * await orders.publish({ orderId: 'o-1', total: 42 }, { key: 'o-1' }); // durable when it resolves
 */
export function createEventBus(target: ActorSystem | ClusterNode, options: EventBusOptions = {}): EventBus {
  const system = isClusterNode(target) ? target.system : target;
  const node = isClusterNode(target) ? target : null;
  const where = 'createEventBus';
  const busName = checkName('name', options.name ?? 'event-bus', where);
  const backend = options.backend ?? createMemoryLogBackend({ name: system.node, clock: system.clock, ids: system.ids });
  const defaultPartitions = positiveInt(options.partitions ?? 8, 'partitions', '8', where);
  const base = resolveDelivery(options.delivery, DEFAULT_DELIVERY, `${where} delivery`);
  const pollMs = options.pollMs ?? 500;
  if (!(pollMs > 0)) throw new TroupeError('invalid-argument', `${where}: pollMs must be > 0 (default 500), got ${pollMs}.`);
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const retentionIntervalMs = options.retentionIntervalMs ?? 60_000;
  const registry = options.registry;
  const local = backend.local;
  const topics = new Map<string, { topic: Topic<unknown>; options: TopicOptions }>();
  const consumers = new Set<ActorRef<ConsumerMsg>>();
  let endpoints = 0;
  let closed = false;
  const metrics = new BusMetrics(system);

  // ---- where consumers read: this node's log, the shared log, or every node's log -------------
  const localHandle: SourceHandle = { name: local.name, log: local };
  const sources$ = new BehaviorSubject<readonly SourceHandle[]>([localHandle]);
  const stops: (() => void)[] = [];
  if (!backend.shared) {
    const server = system.spawn(defineLogServer(local), `${busName}.log`);
    stops.push(() => system.stop(server as ActorRef<never>));
    if (node !== null) {
      const path = `/user/${busName}.log`;
      const remotes = new Map<string, SourceHandle>();
      const publishSources = (): void => { if (!closed) sources$.next([localHandle, ...[...remotes.values()].sort((a, b) => a.name.localeCompare(b.name))]); };
      /** A node that is up but did not answer (busy, or its log server not started yet) is asked again. */
      const retry = (name: string): void => { system.scheduler.startTimer(pollMs, () => { if (!closed && !remotes.has(name)) find(name); }); };
      const find = (name: string): void => {
        void node.cluster.identify<LogServerMsg>(name, path, requestTimeoutMs).catch(() => undefined).then((ref) => {
          if (closed || !node.cluster.members().some((m) => m.node === name && m.status === 'up')) return;
          if (ref === undefined) { retry(name); return; }
          if (remotes.get(name)?.server?.toString() === ref.toString()) return; // the same server, found twice
          remotes.set(name, { name, log: createRemoteLog(name, ref, requestTimeoutMs), server: ref });
          publishSources();
        });
      };
      for (const m of node.cluster.members()) if (m.node !== system.node && m.status === 'up') find(m.node);
      const sub = node.cluster.events$.subscribe((e) => {
        if (e.type === 'member-up' && e.member.node !== system.node) find(e.member.node);
        if ((e.type === 'member-down' || e.type === 'member-removed' || e.type === 'member-leaving') && remotes.delete(e.member.node)) publishSources();
      });
      stops.push(() => sub.unsubscribe());
    }
  }

  // ---- who is in a group: the bus's own receptionist (the same name on every node) ------------
  let receptionist: Receptionist | undefined;
  const groupKey = (topic: string, consumer: string) => {
    const id = `${busName}/${topic}/${consumer}`;
    return defineServiceKey<ConsumerMsg>(id.length <= 200 ? id : `${busName}/h${hashString(id).toString(36)}`);
  };
  const joinGroup = (topic: string, consumer: string) => (self: ActorRef<never>, onChange: (members: readonly string[]) => void): (() => void) => {
    receptionist ??= createReceptionist(node ?? system, { name: `${busName}.members` });
    const key = groupKey(topic, consumer);
    receptionist.register(key, self as unknown as ActorRef<ConsumerMsg>);
    const sub = receptionist.listing$(key).subscribe((list) => onChange(list.map((i) => i.ref.toString())));
    return () => { sub.unsubscribe(); receptionist?.deregister(key, self as unknown as ActorRef<ConsumerMsg>); };
  };

  // ---- retention --------------------------------------------------------------------------------
  let retentionTimer: TimerId | undefined;
  const trimAll = (): void => {
    for (const [name, t] of topics) if (t.options.retention !== undefined) void local.trim(name, t.options.retention, system.clock.now()).catch(() => undefined);
  };
  const armRetention = (): void => {
    if (retentionTimer !== undefined || closed) return;
    const tick = (): void => { trimAll(); retentionTimer = system.scheduler.startTimer(retentionIntervalMs, tick); };
    retentionTimer = system.scheduler.startTimer(retentionIntervalMs, tick);
  };

  const decoderFor = (messageType: string | undefined) => (r: LogRecord): unknown => {
    if (messageType === undefined || registry === undefined) return r.data;
    if (r.type !== messageType) throw new TroupeError('unknown-message-type', `Record ${r.id} has type "${r.type}", this topic reads "${messageType}".`);
    return registry.decode(messageType, r.schemaVersion, r.data);
  };

  const toNewRecord = (name: string, partitions: number, messageType: string | undefined, data: unknown, o: PublishOptions = {}, span: RecordedSpan | null = null): NewLogRecord => {
    const w = `publish to "${name}"`;
    if (typeof o !== 'object' || o === null) throw new TroupeError('invalid-argument', `${w}: options must be an object.`);
    const priority = o.priority ?? 'normal';
    if (priority !== 'high' && priority !== 'normal') throw new TroupeError('invalid-argument', `${w}: priority must be 'high' or 'normal', got "${String(priority)}".`, { field: 'priority' });
    if (o.key !== undefined && (typeof o.key !== 'string' || o.key.length > 1024)) throw new TroupeError('invalid-argument', `${w}: key must be a string of at most 1 024 characters.`, { field: 'key' });
    if (o.id !== undefined && (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 1024)) throw new TroupeError('invalid-argument', `${w}: id must be a string of 1–1 024 characters.`, { field: 'id' });
    const headers: Record<string, string> = {};
    if (o.headers !== undefined) {
      if (typeof o.headers !== 'object' || o.headers === null) throw new TroupeError('invalid-argument', `${w}: headers must be an object of strings.`, { field: 'headers' });
      for (const [k, v] of Object.entries(o.headers)) {
        if (typeof v !== 'string') throw new TroupeError('invalid-argument', `${w}: header "${k}" must be a string.`, { field: 'headers' });
        if (k.startsWith('troupe-')) throw new TroupeError('invalid-argument', `${w}: header names starting with "troupe-" are the bus's own.`, { field: 'headers' });
        headers[k] = v;
      }
    }
    if (priority === 'high') headers['troupe-priority'] = 'high';
    addTraceHeaders(headers, span);
    let schemaVersion = 1;
    if (messageType !== undefined && registry !== undefined) {
      schemaVersion = registry.versionOf(messageType);
      registry.decode(messageType, schemaVersion, data); // validates (schema-invalid names the reason)
    }
    const id = o.id ?? system.ids();
    const rec: { -readonly [K in keyof NewLogRecord]: NewLogRecord[K] } = {
      id, partition: partitionOf(o.key, id, partitions), type: messageType ?? '', schemaVersion, data, publishedAtMs: system.clock.now(),
    };
    if (o.key !== undefined) rec.key = o.key;
    if (Object.keys(headers).length > 0) rec.headers = headers;
    return rec;
  };

  const makeTopic = <E>(name: string, to: TopicOptions): Topic<E> => {
    const partitions = positiveInt(to.partitions ?? defaultPartitions, 'partitions', String(defaultPartitions), `bus.topic("${name}")`);
    const messageType = to.messageType;
    if (messageType !== undefined) {
      if (registry === undefined) throw new TroupeError('invalid-argument', `bus.topic("${name}"): messageType "${messageType}" needs createEventBus({ registry }).`);
      if (!registry.has(messageType)) throw new TroupeError('unknown-message-type', `bus.topic("${name}"): message type "${messageType}" is not declared in the registry; registry.define('${messageType}', { version: 1, validate }).`, { type: messageType });
    }
    if (to.retention !== undefined) armRetention();
    const receipt = (r: NewLogRecord, offset: number): PublishReceipt => ({ id: r.id, topic: name, source: local.name, offset, partition: r.partition });
    const topic: Topic<E> = {
      name,
      partitions,
      publish: async (event, o) => {
        if (closed) throw new TroupeError('system-terminated', `The event bus "${busName}" is closed.`);
        const span = startPublishSpan(system, name, 1); // tracing: its context goes into the event's headers
        try {
          const r = toNewRecord(name, partitions, messageType, event, o, span);
          const [offset] = await local.append(name, [r]);
          metrics.publishedTo(name, 1);
          endPublishSpan(span);
          return receipt(r, offset);
        } catch (e) { endPublishSpan(span, e); throw e; }
      },
      publishBatch: async (events) => {
        if (closed) throw new TroupeError('system-terminated', `The event bus "${busName}" is closed.`);
        if (!Array.isArray(events) || events.length === 0) throw new TroupeError('invalid-argument', `publishBatch to "${name}": give at least one { data, options? }.`);
        const span = startPublishSpan(system, name, events.length);
        try {
          const rs = events.map((e) => toNewRecord(name, partitions, messageType, e.data, e.options, span));
          const offsets = await local.append(name, rs);
          metrics.publishedTo(name, rs.length);
          endPublishSpan(span);
          return rs.map((r, i) => receipt(r, offsets[i]));
        } catch (e) { endPublishSpan(span, e); throw e; }
      },
      subscribe: (handler, o = {}) => {
        if (closed) throw new TroupeError('system-terminated', `The event bus "${busName}" is closed.`);
        const where2 = `subscribe to "${name}"`;
        if (typeof handler !== 'function' && !(typeof handler === 'object' && handler !== null && 'tell' in handler)) {
          throw new TroupeError('invalid-argument', `${where2}: give a handler function (event) => … or a handler actor ref.`);
        }
        const checked = checkSubscribeOptions(o, base, where2);
        const subscription = checked.consumer ?? `${name}-${system.ids()}`;
        const ref = system.spawn(defineConsumer({
          topic: name, partitions, subscription, checked,
          handler: handler as EventHandler<unknown> | ActorRef<Delivery<unknown>>,
          filter: o.filter as ((e: BusEvent<unknown>) => boolean) | undefined,
          decode: decoderFor(messageType),
          watchSources: (onChange) => { const s = sources$.subscribe(onChange); return () => s.unsubscribe(); },
          joinGroup: checked.consumer === null ? null : joinGroup(name, checked.consumer),
          pollMs, readBatch: Math.min(256, checked.settings.maxBuffered),
          metrics: metrics.consumer(name, checked.consumer),
        }), `${busName}.${name}.c${++endpoints}`.slice(0, 200));
        consumers.add(ref);
        const ask = <R>(make: (replyTo: ActorRef<R>) => ConsumerMsg): Promise<R> => ref.ask<R>(make as never, { timeoutMs: requestTimeoutMs });
        const unwatch = metrics.watch(name, checked.consumer, () => ask<ConsumerLag>((replyTo) => ({ type: 'c.lag', replyTo })),
          async () => (await listDead(name, checked.consumer ?? subscription)).length);
        const stop = (): void => { unwatch(); if (!system.isTerminated) ref.tell({ type: 'c.detach' }); consumers.delete(ref); };
        return {
          id: subscription, topic: name, consumer: ref,
          detach: stop, unsubscribe: stop,
          lag: () => ask<ConsumerLag>((replyTo) => ({ type: 'c.lag', replyTo })),
          status: () => ask<ConsumerStatus>((replyTo) => ({ type: 'c.status', replyTo })),
        };
      },
      stats: async () => {
        const out: Record<string, LogHead> = {};
        await Promise.all(sources$.value.map(async (h) => { out[h.name] = await h.log.head(name); }));
        return out;
      },
      trim: () => local.trim(name, to.retention ?? {}, system.clock.now()),
      events$: (o) => topicEvents(topic, o),
      publishFrom: (source, o) => publishFromObservable(topic, source, o),
    };
    return topic;
  };

  const listDead = async (topic: string, consumer: string): Promise<{ handle: SourceHandle; entry: DeadLetterRecord }[]> => {
    checkName('topic', topic, 'deadLetters'); checkName('consumer', consumer, 'deadLetters');
    const lists = await Promise.all(sources$.value.map(async (handle) => (await handle.log.deadLetters(topic, consumer)).map((entry) => ({ handle, entry }))));
    return lists.flat();
  };
  const asDeadLetter = (topic: string, d: DeadLetterRecord): DeadLetter => {
    const r = d.record;
    const event: { -readonly [K in keyof BusEvent<unknown>]: BusEvent<unknown>[K] } = {
      id: r.id, topic, source: r.source, offset: r.offset, partition: r.partition, priority: r.headers?.['troupe-priority'] === 'high' ? 'high' : 'normal',
      publishedAtMs: r.publishedAtMs, headers: r.headers ?? {}, data: r.data,
    };
    if (r.key !== undefined) event.key = r.key;
    return { event, consumer: d.consumer, error: d.error, attempts: d.attempts, deadAtMs: d.deadAtMs };
  };

  return {
    system,
    backend,
    topic: <E>(name: string, o: TopicOptions = {}): Topic<E> => {
      checkName('topic', name, 'bus.topic');
      const known = topics.get(name);
      if (known !== undefined) return known.topic as Topic<E>;
      const t = makeTopic<unknown>(name, o);
      topics.set(name, { topic: t, options: o });
      return t as Topic<E>;
    },
    deadLetters: async <E>(topic: string, consumer: string) => (await listDead(topic, consumer)).map((d) => asDeadLetter(topic, d.entry) as DeadLetter<E>),
    replayDeadLetters: async (topic, consumer, filter) => {
      const chosen = (await listDead(topic, consumer)).filter((d) => filter === undefined || filter(asDeadLetter(topic, d.entry)));
      let n = 0;
      for (const { handle, entry } of chosen) {
        const r = entry.record;
        const copy: { -readonly [K in keyof NewLogRecord]: NewLogRecord[K] } = {
          id: r.id, partition: r.partition, type: r.type, schemaVersion: r.schemaVersion, data: r.data, publishedAtMs: r.publishedAtMs,
          headers: { ...r.headers, [REPLAY_FOR]: consumer },
        };
        if (r.key !== undefined) copy.key = r.key;
        await local.append(topic, [copy]);
        n += await handle.log.purgeDeadLetters(topic, consumer, [r.id]);
      }
      return n;
    },
    purgeDeadLetters: async (topic, consumer, filter) => {
      const chosen = (await listDead(topic, consumer)).filter((d) => filter === undefined || filter(asDeadLetter(topic, d.entry)));
      const bySource = new Map<SourceHandle, string[]>();
      for (const d of chosen) bySource.set(d.handle, [...(bySource.get(d.handle) ?? []), d.entry.record.id]);
      let n = 0;
      for (const [h, ids] of bySource) n += await h.log.purgeDeadLetters(topic, consumer, ids);
      return n;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      metrics.close();
      if (retentionTimer !== undefined) system.scheduler.cancelTimer(retentionTimer);
      for (const c of consumers) if (!system.isTerminated) c.tell({ type: 'c.detach' });
      consumers.clear();
      for (const s of stops) s();
      sources$.complete();
    },
  };
}
