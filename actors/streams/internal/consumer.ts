// The consumer: one actor per subscription that pulls a topic's records from every source log
// it owns partitions of, hands them to the handler one window at a time, and moves its stored
// position only past records the handler acknowledged (or that went to the dead-letter stream).
// Partitions are claimed with a generation, so a member that lost one cannot commit for it.

import { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../../runtime/behavior.ts';
import type { ActorContext } from '../../../runtime/context.ts';
import { assertNever, isTroupeError } from '../../../runtime/errors.ts';
import { backoffDelay } from '../../../supervisors/backoff.ts';
import { errorText, type AckMsg, type BusEvent, type Delivery } from '../event.ts';
import type { CursorState, LogRecord, LogSource } from '../log-source.ts';
import { assignedTo } from '../partitions.ts';
import type { CheckedSubscribe, EventHandler } from '../subscribe-options.ts';
import type { AppendedMsg, LogServerMsg } from './log-protocol.ts';
import type { ConsumerCounters } from './bus-metrics.ts';
import type { RecordedSpan } from '../../../runtime/observe/internal/recorded-span.ts';
import { endDeliverySpan, inDeliverySpan, startDeliverySpan } from './bus-tracing.ts';
import { untracedActor } from '../../../runtime/observe/internal/untraced-actors.ts';

/** A log the consumer reads: local, shared, or another node's (then `server` is where to register for append notices). */
export interface SourceHandle {
  readonly name: string;
  readonly log: LogSource;
  readonly server?: ActorRef<LogServerMsg>;
}

/** Header that marks a dead letter replayed for one consumer only. */
export const REPLAY_FOR = 'troupe-replay-for';

/** A consumer's status, as plain data. */
export interface ConsumerStatus {
  readonly subscription: string;
  readonly consumer: string | null;
  readonly members: readonly string[];
  readonly owned: readonly { readonly source: string; readonly partition: number; readonly generation: number; readonly committed: number }[];
  readonly waiting: readonly { readonly source: string; readonly partition: number; readonly owner: string | null }[];
  readonly inFlight: number;
  readonly buffered: number;
  readonly delivered: number;
  readonly deadLettered: number;
}

/** How far behind a consumer is: events not yet handled (approximate for groups) and the age of the oldest. */
export interface ConsumerLag {
  readonly events: number;
  readonly ageMs: number;
}

/** Everything the consumer actor needs, fixed at subscribe time. */
export interface ConsumerSetup {
  readonly topic: string;
  readonly partitions: number;
  /** The subscription's id (the consumer name, or a generated id for an ephemeral one). */
  readonly subscription: string;
  readonly checked: CheckedSubscribe;
  readonly handler: EventHandler<unknown> | ActorRef<Delivery<unknown>>;
  readonly filter: ((e: BusEvent<unknown>) => boolean) | undefined;
  /** Turns a record's payload into the current version (registry upcast + validation); throws to dead-letter it. */
  readonly decode: (r: LogRecord) => unknown;
  /** Calls back with the current sources now and after every change; returns the stop function. */
  readonly watchSources: (onChange: (handles: readonly SourceHandle[]) => void) => () => void;
  /** Joins the consumer's group (registers `self`) and calls back with the member ids now and after every change; returns the leave function. */
  readonly joinGroup: ((self: ActorRef<never>, onChange: (members: readonly string[]) => void) => () => void) | null;
  /** How often to poll sources, retry claims and failed commits; appends are noticed at once through watches. */
  readonly pollMs: number;
  /** Records per read. */
  readonly readBatch: number;
  /** Counters of deliveries on the system's metrics (null: the system has none). */
  readonly metrics?: ConsumerCounters | null;
}

export type ConsumerMsg =
  | AckMsg
  | AppendedMsg
  | { readonly type: 'c.sources'; readonly handles: readonly SourceHandle[] }
  | { readonly type: 'c.members'; readonly ids: readonly string[] }
  | { readonly type: 'c.fetched'; readonly source: string; readonly epoch: number; readonly from: number; readonly records?: readonly LogRecord[]; readonly error?: string }
  | { readonly type: 'c.head'; readonly source: string; readonly epoch: number; readonly last: number }
  | { readonly type: 'c.claimed'; readonly source: string; readonly epoch: number; readonly partition: number; readonly state?: CursorState; readonly error?: string }
  | { readonly type: 'c.committed'; readonly source: string; readonly epoch: number; readonly partition: number; readonly offset: number; readonly error?: string; readonly stale?: boolean }
  | { readonly type: 'c.released'; readonly source: string; readonly epoch: number; readonly partition: number }
  | { readonly type: 'c.handled'; readonly token: string; readonly error?: string }
  | { readonly type: 'c.dead'; readonly token: string; readonly error?: string }
  | { readonly type: 'c.retry'; readonly token: string }
  | { readonly type: 'c.ack-timeout'; readonly token: string }
  | { readonly type: 'c.tick' }
  | { readonly type: 'c.detach' }
  | { readonly type: 'c.status'; readonly replyTo: ActorRef<ConsumerStatus> }
  | { readonly type: 'c.lag'; readonly replyTo: ActorRef<ConsumerLag> };

type EntryState = 'queued' | 'inflight' | 'retry' | 'dead-lettering' | 'done';

interface Entry {
  readonly record: LogRecord;
  readonly seq: number;
  readonly high: boolean;
  state: EntryState;
  attempt: number;
  token: string;
  lastError: string;
  /** Whether an ack-timeout timer runs for the current delivery. */
  timed: boolean;
  /** The current delivery's span (tracing on, the event in a sampled trace). */
  span: RecordedSpan | null;
}

interface Part {
  readonly partition: number;
  status: 'claiming' | 'owned' | 'revoking';
  generation: number;
  committed: number;
  readThrough: number;
  readonly queue: Entry[];
  committing: boolean;
  claimInFlight: boolean;
  foreignSince: number | undefined;
  owner: string | null;
}

interface Src {
  readonly handle: SourceHandle;
  /** Bumped when the source is replaced; async results of an old epoch are ignored. */
  readonly epoch: number;
  readonly parts: Map<number, Part>;
  fetching: boolean;
  again: boolean;
  unwatch: () => void;
  headKnown: boolean;
}

interface State {
  readonly sources: Map<string, Src>;
  members: readonly string[];
  readonly tokens: Map<string, { src: Src; part: Part; entry: Entry }>;
  inFlight: number;
  buffered: number;
  /** Entries waiting to be handed to the handler (state 'queued'). */
  queued: number;
  seq: number;
  epochs: number;
  delivered: number;
  deadLettered: number;
  stopSources: () => void;
  leaveGroup: () => void;
  self: string;
  stopped: boolean;
}

const TICK = 'tick';
/** Outcomes known at once that one dispatch settles before it lets other messages in. */
const INLINE_SETTLES = 128;

/** Tells the consumer a result that arrived asynchronously; after the system terminated there is nobody to tell. */
function post(ctx: ActorContext<ConsumerMsg>, msg: ConsumerMsg): void {
  try { ctx.self.offer(msg); } catch { /* system terminated */ } // offer: the consumer's own bookkeeping joins no trace
}

/** The consumer actor of one subscription. */
export function defineConsumer(setup: ConsumerSetup): ActorDefinition<ConsumerMsg, State> {
  const { topic, checked, handler } = setup;
  const { settings, guarantee, consumer } = checked;
  const counters = setup.metrics ?? null;
  const durable = consumer !== null;
  const handlerIsActor = handler instanceof ActorRef;
  const window = guarantee === 'at-least-once' && handlerIsActor ? settings.maxUnacked : 1;
  const allPartitions = Array.from({ length: setup.partitions }, (_, i) => i);
  const lowWater = Math.min(setup.readBatch, Math.ceil(settings.maxBuffered / 2));

  const everyPartition: ReadonlySet<number> = new Set(allPartitions);
  /** The last assignment worked out (a pure function of self and the members, asked for on every claim and read). */
  let assignment: { readonly self: string; readonly members: readonly string[]; readonly want: ReadonlySet<number> } | null = null;
  const desired = (s: State): ReadonlySet<number> => {
    if (setup.joinGroup === null) return everyPartition;
    if (assignment === null || assignment.members !== s.members || assignment.self !== s.self) {
      const want = s.members.includes(s.self) ? new Set(assignedTo(s.self, s.members, setup.partitions)) : new Set<number>();
      assignment = { self: s.self, members: s.members, want };
    }
    return assignment.want;
  };

  const newPart = (partition: number): Part => ({
    partition, status: 'claiming', generation: 0, committed: 0, readThrough: 0, queue: [], committing: false,
    claimInFlight: false, foreignSince: undefined, owner: null,
  });

  // ---- claims ---------------------------------------------------------------------------------
  const startClaim = (s: State, src: Src, part: Part, ctx: ActorContext<ConsumerMsg>): void => {
    if (part.claimInFlight || part.status !== 'claiming' || s.stopped) return;
    part.claimInFlight = true;
    const log = src.handle.log;
    const members = s.members;
    const mayTakeForeign = part.foreignSince !== undefined && ctx.now() - part.foreignSince >= checked.takeoverMs;
    const self = s.self;
    const run = async (): Promise<CursorState> => {
      const now = await log.cursor(topic, consumer!, part.partition);
      const free = now.owner === null || now.owner === self || (!members.includes(now.owner) && mayTakeForeign);
      if (!free) return now;
      let got = await log.claim(topic, consumer!, part.partition, self, now.generation);
      if (got.owner === self && got.offset === 0 && checked.startAt === 'latest' && now.generation === 0) {
        const head = await log.head(topic);
        if (head.last > 0) { await log.commit(topic, consumer!, part.partition, head.last, got.generation); got = { ...got, offset: head.last }; }
      }
      return got;
    };
    run().then(
      (state) => post(ctx, { type: 'c.claimed', source: src.handle.name, epoch: src.epoch, partition: part.partition, state }),
      (e: unknown) => post(ctx, { type: 'c.claimed', source: src.handle.name, epoch: src.epoch, partition: part.partition, error: errorText(e) }));
  };

  /** An ephemeral consumer owns every partition of a source from `last` on; its position lives here only. */
  const ownAll = (s: State, src: Src, last: number, ctx: ActorContext<ConsumerMsg>): void => {
    if (s.sources.get(src.handle.name) !== src) return;
    for (const p of allPartitions) {
      const part = newPart(p);
      part.status = 'owned'; part.committed = last; part.readThrough = last;
      src.parts.set(p, part);
    }
    maybeFetch(s, src, ctx);
  };

  const ephemeralStart = (s: State, src: Src, ctx: ActorContext<ConsumerMsg>): void => {
    if (src.headKnown) return;
    src.headKnown = true;
    if (checked.startAt === 'earliest') { ownAll(s, src, 0, ctx); return; }
    src.handle.log.head(topic).then(
      (h) => post(ctx, { type: 'c.head', source: src.handle.name, epoch: src.epoch, last: h.last }),
      () => { src.headKnown = false; }); // asked again on the next tick
  };

  const reconcile = (s: State, src: Src, ctx: ActorContext<ConsumerMsg>): void => {
    if (!durable) { ephemeralStart(s, src, ctx); return; }
    const want = desired(s);
    for (const p of want) {
      let part = src.parts.get(p);
      if (part === undefined) { part = newPart(p); src.parts.set(p, part); }
      if (part.status === 'revoking' && part.committing === false && inFlightOf(part) === 0) continue;
      if (part.status === 'claiming') startClaim(s, src, part, ctx);
    }
    for (const part of src.parts.values()) {
      if (want.has(part.partition)) continue;
      if (part.status === 'claiming') { if (!part.claimInFlight) src.parts.delete(part.partition); continue; }
      if (part.status === 'owned') part.status = 'revoking';
      finishRevoke(s, src, part, ctx);
    }
  };

  const inFlightOf = (part: Part): number => {
    let n = 0;
    for (const e of part.queue) if (e.state === 'inflight' || e.state === 'dead-lettering') n++;
    return n;
  };

  const dropPart = (s: State, src: Src, part: Part): void => {
    for (const e of part.queue) {
      if (e.state !== 'done') s.buffered--;
      if (e.state === 'queued') s.queued--;
      if (e.state === 'inflight') s.inFlight--;
      s.tokens.delete(e.token);
    }
    part.queue.length = 0;
    src.parts.delete(part.partition);
  };

  const finishRevoke = (s: State, src: Src, part: Part, ctx: ActorContext<ConsumerMsg>): void => {
    if (part.status !== 'revoking' || inFlightOf(part) > 0 || part.committing) return;
    const target = commitTarget(part);
    if (target > part.committed) { maybeCommit(s, src, part, ctx); return; }
    const generation = part.generation;
    dropPart(s, src, part);
    src.handle.log.release(topic, consumer!, part.partition, generation).then(
      () => post(ctx, { type: 'c.released', source: src.handle.name, epoch: src.epoch, partition: part.partition }),
      () => post(ctx, { type: 'c.released', source: src.handle.name, epoch: src.epoch, partition: part.partition }));
  };

  // ---- commits --------------------------------------------------------------------------------
  const commitTarget = (part: Part): number => {
    for (const e of part.queue) if (e.state !== 'done') return e.record.offset - 1;
    return part.readThrough;
  };

  const popDone = (part: Part): void => {
    let i = 0;
    while (i < part.queue.length && part.queue[i].state === 'done') i++;
    if (i > 0) part.queue.splice(0, i);
  };

  const maybeCommit = (s: State, src: Src, part: Part, ctx: ActorContext<ConsumerMsg>): void => {
    if (part.committing || part.status === 'claiming') return;
    const target = commitTarget(part);
    if (target <= part.committed) return;
    if (!durable) { part.committed = target; return; }
    part.committing = true;
    const generation = part.generation;
    src.handle.log.commit(topic, consumer!, part.partition, target, generation).then(
      () => post(ctx, { type: 'c.committed', source: src.handle.name, epoch: src.epoch, partition: part.partition, offset: target }),
      (e: unknown) => post(ctx, { type: 'c.committed', source: src.handle.name, epoch: src.epoch, partition: part.partition, offset: target, error: errorText(e), stale: isTroupeError(e, 'stale-generation') }));
  };

  // ---- reading --------------------------------------------------------------------------------
  const maybeFetch = (s: State, src: Src, ctx: ActorContext<ConsumerMsg>): void => {
    if (s.stopped) return;
    if (src.fetching) { src.again = true; return; }
    let from = Infinity;
    for (const part of src.parts.values()) if (part.status === 'owned') from = Math.min(from, part.readThrough + 1);
    if (from === Infinity) return;
    const room = settings.maxBuffered - s.buffered;
    if (room <= 0) return;
    // While events wait to be handled, wait for room for a whole batch (else a full buffer would
    // read one record per handled event); handling them frees the room and calls here again.
    if (s.queued > 0 && room < lowWater) return;
    src.fetching = true;
    src.again = false;
    const max = Math.min(room, setup.readBatch);
    src.handle.log.read(topic, from, max).then(
      (records) => post(ctx, { type: 'c.fetched', source: src.handle.name, epoch: src.epoch, from, records }),
      (e: unknown) => post(ctx, { type: 'c.fetched', source: src.handle.name, epoch: src.epoch, from, error: errorText(e) }));
  };

  const onFetched = (s: State, src: Src, from: number, records: readonly LogRecord[], ctx: ActorContext<ConsumerMsg>): void => {
    src.fetching = false;
    const last = records.length > 0 ? records[records.length - 1].offset : from - 1;
    for (const r of records) {
      const part = src.parts.get(r.partition);
      if (part === undefined || part.status !== 'owned' || part.readThrough + 1 < from || r.offset <= part.readThrough) continue;
      part.readThrough = r.offset;
      const replayFor = r.headers?.[REPLAY_FOR];
      if (replayFor !== undefined && replayFor !== (consumer ?? setup.subscription)) continue;
      part.queue.push({ record: r, seq: ++s.seq, high: r.headers?.['troupe-priority'] === 'high', state: 'queued', attempt: 0, token: '', lastError: '', timed: false, span: null });
      s.buffered++;
      s.queued++;
    }
    for (const part of src.parts.values()) {
      if (part.status === 'owned' && part.readThrough + 1 >= from && part.readThrough < last) part.readThrough = last;
      if (part.status === 'owned') maybeCommit(s, src, part, ctx);
    }
    dispatch(s, ctx);
    if (records.length >= setup.readBatch || src.again) maybeFetch(s, src, ctx);
  };

  // ---- handing records to the handler --------------------------------------------------------
  const pick = (s: State): { src: Src; part: Part; entry: Entry } | undefined => {
    let best: { src: Src; part: Part; entry: Entry } | undefined;
    for (const src of s.sources.values()) {
      for (const part of src.parts.values()) {
        if (part.status !== 'owned') continue;
        for (const e of part.queue) {
          if (e.state === 'done' || e.state === 'inflight') continue;
          // Strictly in order within a partition; across partitions, high priority first, then oldest read.
          if (e.state === 'queued' && (best === undefined || (e.high && !best.entry.high) || (e.high === best.entry.high && e.seq < best.entry.seq))) best = { src, part, entry: e };
          break;
        }
      }
    }
    return best;
  };

  const toEvent = (r: LogRecord, data: unknown): BusEvent<unknown> => {
    const ev: { -readonly [K in keyof BusEvent<unknown>]: BusEvent<unknown>[K] } = {
      id: r.id, topic: r.topic, source: r.source, offset: r.offset, partition: r.partition,
      priority: r.headers?.['troupe-priority'] === 'high' ? 'high' : 'normal', publishedAtMs: r.publishedAtMs,
      headers: r.headers ?? {}, data,
    };
    if (r.key !== undefined) ev.key = r.key;
    return ev;
  };

  const dispatch = (s: State, ctx: ActorContext<ConsumerMsg>): void => {
    // Outcomes known at once (a handler function that returned or threw) are settled here, in a
    // loop bounded by INLINE_SETTLES so other messages get their turn; the rest arrive as messages.
    let inline = 0;
    while (!s.stopped && s.inFlight < window) {
      const next = pick(s);
      if (next === undefined) return;
      const outcome = deliver(s, next.src, next.part, next.entry, ctx);
      if (outcome === undefined) continue;
      const token = next.entry.token;
      if (++inline > INLINE_SETTLES) { post(ctx, outcome === null ? { type: 'c.handled', token } : { type: 'c.handled', token, error: outcome }); return; }
      settleEntry(s, token, outcome ?? undefined, ctx);
      for (const src of s.sources.values()) maybeFetch(s, src, ctx);
    }
  };

  /** Hands `entry` to the handler. Returns its outcome when known at once (null: handled, a string: the error), undefined when it will arrive as a message. */
  const deliver = (s: State, src: Src, part: Part, entry: Entry, ctx: ActorContext<ConsumerMsg>): string | null | undefined => {
    entry.attempt++;
    entry.token = `${src.handle.name}#${src.epoch}#${entry.record.offset}#${entry.attempt}`;
    entry.state = 'inflight';
    s.inFlight++;
    s.queued--;
    s.tokens.set(entry.token, { src, part, entry });
    const token = entry.token;
    let event: BusEvent<unknown>;
    try {
      event = toEvent(entry.record, setup.decode(entry.record));
    } catch (e) {
      // A payload this node cannot read never becomes readable by retrying: dead-letter it now.
      entry.attempt = Math.max(entry.attempt, settings.maxAttempts);
      return `cannot decode: ${errorText(e)}`;
    }
    if (setup.filter !== undefined) {
      let pass: boolean;
      try { pass = setup.filter(event); } catch (e) { return `filter threw: ${errorText(e)}`; }
      if (!pass) return null;
    }
    s.delivered++;
    if (counters !== null) { counters.delivered.value++; if (entry.attempt > 1) counters.redelivered.value++; }
    // tracing: the handler runs in a `process <topic>` span continuing the event's traceparent (ended when settled)
    const span = entry.span = startDeliverySpan(ctx.system, event, entry.attempt, setup.subscription, consumer);
    if (handlerIsActor) {
      if (guarantee === 'at-least-once') armAckTimeout(entry, ctx);
      const delivery: Delivery<unknown> = { type: 'bus.delivery', subscription: setup.subscription, event, attempt: entry.attempt, guarantee, token, ackTo: ctx.self as ActorRef<AckMsg> };
      inDeliverySpan(ctx.system, span, () => (handler as ActorRef<Delivery<unknown>>).tell(delivery), undefined);
      return guarantee === 'at-most-once' ? null : undefined;
    }
    let r: void | Promise<void>;
    try {
      r = inDeliverySpan(ctx.system, span, () => (handler as EventHandler<unknown>)(event, { topic, subscription: setup.subscription, attempt: entry.attempt }), handler);
    } catch (e) {
      return errorText(e);
    }
    if (r === undefined || typeof (r as Promise<void>).then !== 'function') return null;
    // A handler that returned synchronously cannot time out; one that returned a promise can.
    if (guarantee === 'at-least-once') armAckTimeout(entry, ctx);
    (r as Promise<void>).then(() => post(ctx, { type: 'c.handled', token }), (e: unknown) => post(ctx, { type: 'c.handled', token, error: errorText(e) }));
    return undefined;
  };

  const armAckTimeout = (entry: Entry, ctx: ActorContext<ConsumerMsg>): void => {
    entry.timed = true;
    ctx.timers.startSingle(`ack:${entry.token}`, { type: 'c.ack-timeout', token: entry.token }, settings.ackTimeoutMs);
  };

  const settle = (s: State, token: string, error: string | undefined, ctx: ActorContext<ConsumerMsg>): void => {
    if (!settleEntry(s, token, error, ctx)) return;
    dispatch(s, ctx);
    for (const src2 of s.sources.values()) maybeFetch(s, src2, ctx);
  };

  /** Records the outcome of the delivery `token` (false when it is late: timed out, revoked or lost). */
  const settleEntry = (s: State, token: string, error: string | undefined, ctx: ActorContext<ConsumerMsg>): boolean => {
    const found = s.tokens.get(token);
    if (found === undefined || found.entry.state !== 'inflight') return false;
    const { src, part, entry } = found;
    s.tokens.delete(token);
    s.inFlight--;
    if (entry.span !== null) { endDeliverySpan(entry.span, error); entry.span = null; }
    if (entry.timed) { entry.timed = false; ctx.timers.cancel(`ack:${token}`); }
    if (error === undefined || guarantee === 'at-most-once') {
      entry.state = 'done';
      s.buffered--;
      popDone(part);
      maybeCommit(s, src, part, ctx);
      if (part.status === 'revoking') finishRevoke(s, src, part, ctx);
    } else {
      entry.lastError = error;
      if (entry.attempt >= settings.maxAttempts) deadLetter(s, src, part, entry, ctx);
      else {
        entry.state = 'retry';
        const delay = backoffDelay(settings.backoff, entry.attempt, ctx.random.next());
        ctx.timers.startSingle(`retry:${token}`, { type: 'c.retry', token }, delay);
        s.tokens.set(token, { src, part, entry });
      }
    }
    return true;
  };

  const deadLetter = (s: State, src: Src, part: Part, entry: Entry, ctx: ActorContext<ConsumerMsg>): void => {
    entry.state = 'dead-lettering';
    s.tokens.set(entry.token, { src, part, entry });
    const token = entry.token;
    src.handle.log.deadLetter(topic, { record: entry.record, consumer: consumer ?? setup.subscription, error: entry.lastError, attempts: entry.attempt, deadAtMs: ctx.now() }).then(
      () => post(ctx, { type: 'c.dead', token }),
      (e: unknown) => post(ctx, { type: 'c.dead', token, error: errorText(e) }));
  };

  // ---- sources and members --------------------------------------------------------------------
  const setSources = (s: State, handles: readonly SourceHandle[], ctx: ActorContext<ConsumerMsg>): void => {
    const names = new Set(handles.map((h) => h.name));
    for (const [name, src] of s.sources) {
      const next = handles.find((h) => h.name === name);
      if (names.has(name) && next !== undefined && next.log === src.handle.log) continue;
      src.unwatch();
      for (const part of [...src.parts.values()]) dropPart(s, src, part);
      s.sources.delete(name);
    }
    for (const h of handles) {
      if (s.sources.has(h.name)) continue;
      const src: Src = { handle: h, epoch: ++s.epochs, parts: new Map(), fetching: false, again: false, unwatch: () => undefined, headKnown: false };
      s.sources.set(h.name, src);
      if (h.server !== undefined) {
        const server = h.server;
        server.tell({ type: 'bus.log.watch', topic, watcher: ctx.self as ActorRef<AppendedMsg> });
        src.unwatch = () => server.tell({ type: 'bus.log.unwatch', topic, watcher: ctx.self as ActorRef<AppendedMsg> });
      } else {
        src.unwatch = h.log.watch(topic, (last) => post(ctx, { type: 'bus.log.appended', source: h.name, topic, last }));
      }
      reconcile(s, src, ctx);
    }
  };

  const lookup = (s: State, name: string, epoch: number): Src | undefined => {
    const src = s.sources.get(name);
    return src !== undefined && src.epoch === epoch ? src : undefined;
  };

  const stopAll = (s: State): void => {
    if (s.stopped) return;
    s.stopped = true;
    s.stopSources();
    s.leaveGroup();
    for (const src of s.sources.values()) {
      src.unwatch();
      if (!durable) continue;
      for (const part of src.parts.values()) {
        if (part.status === 'claiming') continue;
        const target = commitTarget(part);
        const log = src.handle.log;
        const generation = part.generation;
        // Best effort: what is not committed here is delivered again to the next owner.
        const release = (): Promise<void> => log.release(topic, consumer!, part.partition, generation);
        void (target > part.committed ? log.commit(topic, consumer!, part.partition, target, generation).then(release) : release()).catch(() => undefined);
      }
    }
  };

  return untracedActor(defineActor<ConsumerMsg, State>({
    name: 'bus-consumer',
    init: (ctx) => {
      const s: State = {
        sources: new Map(), members: [], tokens: new Map(), inFlight: 0, buffered: 0, queued: 0, seq: 0, epochs: 0, delivered: 0, deadLettered: 0,
        stopSources: () => undefined, leaveGroup: () => undefined, self: ctx.self.toString(), stopped: false,
      };
      if (setup.joinGroup !== null) s.leaveGroup = setup.joinGroup(ctx.self as ActorRef<never>, (ids) => post(ctx, { type: 'c.members', ids }));
      s.stopSources = setup.watchSources((handles) => post(ctx, { type: 'c.sources', handles }));
      if (handler instanceof ActorRef) ctx.watch(handler as ActorRef<never>, { type: 'c.detach' });
      ctx.timers.startPeriodic(TICK, { type: 'c.tick' }, setup.pollMs);
      return s;
    },
    receive: (s, m, ctx) => {
      switch (m.type) {
        case 'bus.ack': settle(s, m.token, undefined, ctx); return;
        case 'bus.nack': settle(s, m.token, m.error, ctx); return;
        case 'c.handled': settle(s, m.token, m.error, ctx); return;
        case 'c.ack-timeout': settle(s, m.token, `no ack within ${settings.ackTimeoutMs} ms`, ctx); return;
        case 'bus.log.appended': {
          const src = s.sources.get(m.source);
          if (src !== undefined) maybeFetch(s, src, ctx);
          return;
        }
        case 'c.sources': if (!s.stopped) setSources(s, m.handles, ctx); return;
        case 'c.members': {
          s.members = [...m.ids].sort();
          for (const src of s.sources.values()) reconcile(s, src, ctx);
          return;
        }
        case 'c.fetched': {
          const src = lookup(s, m.source, m.epoch);
          if (src === undefined) return;
          if (m.records === undefined) { src.fetching = false; return; } // retried on the next tick
          onFetched(s, src, m.from, m.records, ctx);
          return;
        }
        case 'c.head': {
          const src = lookup(s, m.source, m.epoch);
          if (src !== undefined && !s.stopped) ownAll(s, src, m.last, ctx);
          return;
        }
        case 'c.claimed': {
          const src = lookup(s, m.source, m.epoch);
          if (src === undefined || s.stopped) return;
          const part = src.parts.get(m.partition);
          if (part === undefined) return;
          part.claimInFlight = false;
          if (m.state === undefined) return; // backend unavailable: the tick retries
          const st = m.state;
          if (st.owner === s.self && part.status === 'claiming') {
            part.status = 'owned'; part.generation = st.generation; part.committed = st.offset; part.readThrough = st.offset;
            part.foreignSince = undefined; part.owner = s.self;
            if (!desired(s).has(part.partition)) { part.status = 'revoking'; finishRevoke(s, src, part, ctx); return; }
            maybeFetch(s, src, ctx);
          } else if (part.status === 'claiming') {
            part.owner = st.owner;
            if (st.owner !== null && !s.members.includes(st.owner)) part.foreignSince ??= ctx.now();
            else part.foreignSince = undefined;
            if (!desired(s).has(part.partition)) src.parts.delete(part.partition);
          }
          return;
        }
        case 'c.committed': {
          const src = lookup(s, m.source, m.epoch);
          const part = src?.parts.get(m.partition);
          if (src === undefined || part === undefined) return;
          part.committing = false;
          if (m.error === undefined) {
            part.committed = Math.max(part.committed, m.offset);
            maybeCommit(s, src, part, ctx);
            if (part.status === 'revoking') finishRevoke(s, src, part, ctx);
          } else if (m.stale === true) {
            // Another member took this partition: what we hold for it is theirs to deliver now.
            dropPart(s, src, part);
            if (desired(s).has(part.partition)) { src.parts.set(part.partition, newPart(part.partition)); }
            dispatch(s, ctx);
          }
          return;
        }
        case 'c.released': {
          const src = lookup(s, m.source, m.epoch);
          if (src !== undefined) reconcile(s, src, ctx);
          return;
        }
        case 'c.dead': {
          const found = s.tokens.get(m.token);
          if (found === undefined || found.entry.state !== 'dead-lettering') return;
          const { src, part, entry } = found;
          if (m.error !== undefined) { entry.state = 'retry'; ctx.timers.startSingle(`retry:${m.token}`, { type: 'c.retry', token: m.token }, settings.backoff.maxMs); return; }
          s.tokens.delete(m.token);
          s.deadLettered++;
          if (counters !== null) counters.deadLettered.value++;
          entry.state = 'done';
          s.buffered--;
          popDone(part);
          maybeCommit(s, src, part, ctx);
          if (part.status === 'revoking') finishRevoke(s, src, part, ctx);
          dispatch(s, ctx);
          maybeFetch(s, src, ctx);
          return;
        }
        case 'c.retry': {
          const found = s.tokens.get(m.token);
          if (found === undefined || found.entry.state !== 'retry') return;
          s.tokens.delete(m.token);
          // A retry after a failed dead-letter write writes it again; any other retry redelivers.
          if (found.entry.attempt >= settings.maxAttempts) { deadLetter(s, found.src, found.part, found.entry, ctx); return; }
          found.entry.state = 'queued';
          s.queued++;
          dispatch(s, ctx);
          return;
        }
        case 'c.tick':
          for (const src of s.sources.values()) {
            if (!durable && src.parts.size === 0) ephemeralStart(s, src, ctx);
            for (const part of src.parts.values()) {
              if (part.status === 'claiming') startClaim(s, src, part, ctx);
              else maybeCommit(s, src, part, ctx);
            }
            if (durable) reconcile(s, src, ctx);
            maybeFetch(s, src, ctx);
          }
          return;
        case 'c.detach': stopAll(s); ctx.stop(ctx.self as ActorRef<never>); return;
        case 'c.status': {
          const owned: { source: string; partition: number; generation: number; committed: number }[] = [];
          const waiting: { source: string; partition: number; owner: string | null }[] = [];
          for (const src of s.sources.values()) for (const p of src.parts.values()) {
            if (p.status === 'claiming') waiting.push({ source: src.handle.name, partition: p.partition, owner: p.owner });
            else owned.push({ source: src.handle.name, partition: p.partition, generation: p.generation, committed: p.committed });
          }
          m.replyTo.tell({ subscription: setup.subscription, consumer, members: s.members, owned, waiting, inFlight: s.inFlight, buffered: s.buffered, delivered: s.delivered, deadLettered: s.deadLettered });
          return;
        }
        case 'c.lag': {
          const now = ctx.now();
          let oldest = Infinity;
          let held = 0;
          const fronts: { log: LogSource; from: number }[] = [];
          for (const src of s.sources.values()) {
            let front = Infinity;
            for (const p of src.parts.values()) {
              if (p.status === 'claiming') continue;
              front = Math.min(front, p.readThrough);
              for (const e of p.queue) if (e.state !== 'done') { held++; oldest = Math.min(oldest, e.record.publishedAtMs); }
            }
            if (front !== Infinity) fronts.push({ log: src.handle.log, from: front });
          }
          const replyTo = m.replyTo;
          void Promise.all(fronts.map(async (f) => {
            const head = await f.log.head(topic);
            const behind = Math.max(0, head.last - f.from);
            if (behind > 0) {
              const [next] = await f.log.read(topic, f.from + 1, 1);
              if (next !== undefined) oldest = Math.min(oldest, next.publishedAtMs);
            }
            return behind;
          })).then(
            (behind) => replyTo.tell({ events: held + behind.reduce((a, b) => a + b, 0), ageMs: oldest === Infinity ? 0 : Math.max(0, now - oldest) }),
            () => replyTo.tell({ events: held, ageMs: oldest === Infinity ? 0 : Math.max(0, now - oldest) }));
          return;
        }
        default: return assertNever(m);
      }
    },
    signal: (s, sig) => {
      if (sig.type === 'stopping' || sig.type === 'stopped') stopAll(s);
    },
  }));
}
