// The topic actor: one per topic per node. Stamps and routes published events (broadcast,
// filters, consumer groups), owns their delivery state and dead letters, and replicates its
// node's subscriptions to the same topic on the other nodes, so a publish anywhere reaches all.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorContext } from '../../runtime/context.ts';
import { assertNever } from '../../runtime/errors.ts';
import { addMember, pickMember, type ConsumerGroup } from './consumer-group.ts';
import { DeadLetterQueue, type DeadLetter } from './dead-letter-queue.ts';
import { DeliveryChannel, type ChannelHost, type Pending } from './delivery.ts';
import { errorText, type BusEvent } from './event.ts';
import type { TopicMsg, TopicStats } from './messages.ts';
import type { Registration } from './registration.ts';
import type { PeerDirectory } from './topic-peers.ts';

/** What a topic actor is built from. `maxDeadLetters` bounds its dead letter queue (default 10 000). */
export interface TopicConfig {
  readonly topic: string;
  /** The topic actor's path, the same on every node (peers are identified there). */
  readonly path: string;
  readonly peers: PeerDirectory | null;
  readonly maxDeadLetters: number;
}

interface TopicState {
  sequence: number;
  readonly channels: Map<string, DeliveryChannel>;
  readonly groups: Map<string, ConsumerGroup>;
  broadcast: DeliveryChannel[];
  readonly peers: Map<string, ActorRef<TopicMsg>>;
  readonly dlq: DeadLetterQueue;
  waiters: ActorRef<true>[];
  readonly host: ChannelHost;
  leaveCluster: () => void;
}

type Ctx = ActorContext<TopicMsg>;

/** Defines the topic actor for `config` (spawned by the bus, at `config.path`). */
export function defineTopic(config: TopicConfig): ActorDefinition<TopicMsg, TopicState> {
  return defineActor<TopicMsg, TopicState>({
    name: `topic:${config.topic}`,
    init: (ctx) => init(config, ctx),
    receive: (s, m, ctx) => {
      handle(config, s, m, ctx);
      if (s.waiters.length > 0 && writable(s)) {
        for (const w of s.waiters) w.tell(true);
        s.waiters = [];
      }
      return s;
    },
    signal: (s, sig) => {
      if (sig.type === 'stopped' || sig.type === 'pre-restart') s.leaveCluster();
    },
  });
}

function init(config: TopicConfig, ctx: Ctx): TopicState {
  const dlq = new DeadLetterQueue(config.maxDeadLetters);
  const host: ChannelHost = {
    ackTo: ctx.self,
    startTimer: (key, msg, delayMs) => ctx.timers.startSingle(key, msg, delayMs),
    cancelTimer: (key) => ctx.timers.cancel(key),
    draw: () => ctx.random.next(),
    deadLetter: (ch, p) => dlq.add({ topic: config.topic, subscription: ch.reg.id, group: ch.reg.group, event: p.event, attempts: p.attempts, lastError: p.lastError, deadAtMs: ctx.now() }),
  };
  let leaveCluster = (): void => {};
  const dir = config.peers;
  if (dir !== null) {
    const tellSelf = (m: TopicMsg): void => { if (!ctx.system.isTerminated) ctx.self.tell(m); };
    leaveCluster = dir.onMemberUp((node) => tellSelf({ type: 'bus.member-up', node }));
    for (const node of dir.otherNodes()) discover(config, ctx, node);
  }
  return { sequence: 0, channels: new Map(), groups: new Map(), broadcast: [], peers: new Map(), dlq, waiters: [], host, leaveCluster };
}

function discover(config: TopicConfig, ctx: Ctx, node: string): void {
  void config.peers?.identify<TopicMsg>(node, config.path).then((peer) => {
    if (peer !== undefined && !ctx.system.isTerminated) ctx.self.tell({ type: 'bus.peer-found', peer });
  });
}

function handle(config: TopicConfig, s: TopicState, m: TopicMsg, ctx: Ctx): void {
  switch (m.type) {
    case 'bus.publish': return publish(config, s, m, ctx);
    case 'bus.subscribe': return subscribe(s, m.registration, m.relay, m.filter, ctx);
    case 'bus.unsubscribe': {
      const ch = s.channels.get(m.subscription);
      if (ch !== undefined) {
        remove(s, ch);
        ch.drain();
        if (ch.endpoint !== null) ctx.unwatch(ch.endpoint as ActorRef<never>);
      }
      if (m.relay) for (const p of s.peers.values()) p.tell({ type: 'bus.unsubscribe', subscription: m.subscription, relay: false });
      return;
    }
    case 'bus.ack': s.channels.get(m.subscription)?.ack(m.eventId); return;
    case 'bus.nack': s.channels.get(m.subscription)?.failed(m.eventId, m.attempt, m.error); return;
    case 'bus.ack-timeout': {
      const ch = s.channels.get(m.subscription);
      ch?.failed(m.eventId, m.attempt, `no ack within ${ch.reg.delivery.ackTimeoutMs} ms`);
      return;
    }
    case 'bus.redeliver': s.channels.get(m.subscription)?.redeliver(m.eventId); return;
    case 'bus.endpoint-down': return endpointDown(s, m.subscription, m.endpoint);
    case 'bus.hello':
    case 'bus.welcome':
      addPeer(s, m.peer, ctx);
      for (const r of m.registrations) subscribe(s, r, false, undefined, ctx);
      if (m.type === 'bus.hello') m.peer.tell({ type: 'bus.welcome', peer: ctx.self, registrations: ownRegistrations(s, ctx) });
      return;
    case 'bus.peer-found':
      if (addPeer(s, m.peer, ctx)) m.peer.tell({ type: 'bus.hello', peer: ctx.self, registrations: ownRegistrations(s, ctx) });
      return;
    case 'bus.peer-down':
      if (String(s.peers.get(m.node)) === m.peer) s.peers.delete(m.node);
      return;
    case 'bus.member-up': return discover(config, ctx, m.node);
    case 'bus.dead-letters': m.replyTo.tell(s.dlq.list()); return;
    case 'bus.replay': m.replyTo.tell(replay(s, m.filter)); return;
    case 'bus.when-writable': if (writable(s)) m.replyTo.tell(true); else s.waiters.push(m.replyTo); return;
    case 'bus.stats': m.replyTo.tell(stats(config, s)); return;
    default: assertNever(m);
  }
}

function publish(config: TopicConfig, s: TopicState, m: Extract<TopicMsg, { type: 'bus.publish' }>, ctx: Ctx): void {
  const base = { id: m.id ?? ctx.system.ids(), topic: config.topic, sequence: s.sequence + 1, publishedAtMs: ctx.now(), origin: ctx.system.node };
  const event: BusEvent<unknown> = m.key === undefined ? { ...base, priority: m.priority, data: m.data } : { ...base, key: m.key, priority: m.priority, data: m.data };
  const targets: DeliveryChannel[] = [];
  const filterErrors: [DeliveryChannel, unknown][] = [];
  const consider = (ch: DeliveryChannel | undefined): void => {
    if (ch === undefined) return;
    if (ch.filter === undefined) { targets.push(ch); return; }
    try {
      if (ch.filter(event)) targets.push(ch);
    } catch (e) {
      filterErrors.push([ch, e]);
    }
  };
  for (const ch of s.broadcast) consider(ch);
  for (const g of s.groups.values()) consider(pickMember(g, m.key));
  const full = targets.filter((t) => t.full).map((t) => t.reg.id);
  if (full.length > 0) { m.replyTo.tell({ ok: false, full }); return; }
  s.sequence++;
  for (const t of targets) t.offer(event);
  for (const [ch, e] of filterErrors) s.host.deadLetter(ch, { event, attempts: 0, lastError: `filter threw: ${errorText(e)}` });
  const backpressured = targets.filter((t) => t.full).map((t) => t.reg.id);
  m.replyTo.tell({ ok: true, receipt: { id: event.id, sequence: event.sequence, publishedAtMs: event.publishedAtMs, routedTo: targets.length, backpressured } });
}

function subscribe(s: TopicState, reg: Registration, relay: boolean, filter: ((e: BusEvent<unknown>) => boolean) | undefined, ctx: Ctx): void {
  let ch = s.channels.get(reg.id);
  if (ch !== undefined && ch.reg.group !== reg.group) { remove(s, ch); ch = undefined; }
  if (ch === undefined) {
    ch = new DeliveryChannel(reg, s.host);
    s.channels.set(reg.id, ch);
    if (reg.group === null) s.broadcast.push(ch);
    else {
      const g = s.groups.get(reg.group) ?? { members: [], next: 0 };
      s.groups.set(reg.group, g);
      addMember(g, ch);
    }
  }
  ch.reg = reg;
  if (relay) ch.filter = filter;
  else if (reg.home !== ctx.system.node) ch.filter = undefined;
  const text = String(reg.endpoint);
  if (ch.endpointText !== text) {
    if (ch.endpoint !== null) ctx.unwatch(ch.endpoint as ActorRef<never>);
    ctx.watch(reg.endpoint as ActorRef<never>, { type: 'bus.endpoint-down', subscription: reg.id, endpoint: text });
    ch.attach(reg.endpoint);
  }
  if (relay) for (const p of s.peers.values()) p.tell({ type: 'bus.subscribe', registration: reg, relay: false });
}

function endpointDown(s: TopicState, id: string, endpoint: string): void {
  const ch = s.channels.get(id);
  if (ch === undefined || ch.endpointText !== endpoint) return;
  const orphans: Pending[] = ch.detach();
  if (ch.reg.durable) return;
  remove(s, ch);
  const group = ch.reg.group === null ? undefined : s.groups.get(ch.reg.group);
  for (const p of orphans) {
    const other = group === undefined ? undefined : pickMember(group, p.event.key);
    if (other !== undefined) other.enqueue(p);
    else s.host.deadLetter(ch, { ...p, lastError: `the subscriber stopped before acknowledging${p.lastError ? ` (last error: ${p.lastError})` : ''}` });
  }
}

function remove(s: TopicState, ch: DeliveryChannel): void {
  s.channels.delete(ch.reg.id);
  if (ch.reg.group === null) { s.broadcast = s.broadcast.filter((c) => c !== ch); return; }
  const g = s.groups.get(ch.reg.group);
  if (g === undefined) return;
  g.members = g.members.filter((c) => c !== ch);
  if (g.members.length === 0) s.groups.delete(ch.reg.group);
}

function addPeer(s: TopicState, peer: ActorRef<TopicMsg>, ctx: Ctx): boolean {
  const node = peer.address.node;
  const known = s.peers.get(node);
  if (known !== undefined && String(known) === String(peer)) return false;
  s.peers.set(node, peer);
  ctx.watch(peer as ActorRef<never>, { type: 'bus.peer-down', node, peer: String(peer) });
  return true;
}

function ownRegistrations(s: TopicState, ctx: Ctx): Registration[] {
  const out: Registration[] = [];
  for (const ch of s.channels.values()) if (ch.reg.home === ctx.system.node) out.push(ch.reg);
  return out;
}

function replay(s: TopicState, filter: ((entry: DeadLetter) => boolean) | undefined): number {
  const target = (subscription: string, group: string | null, key: string | undefined): DeliveryChannel | undefined => {
    const ch = s.channels.get(subscription);
    if (ch !== undefined) return ch;
    const g = group === null ? undefined : s.groups.get(group);
    return g === undefined ? undefined : pickMember(g, key);
  };
  const taken = s.dlq.takeWhere((e) => {
    let wanted = true;
    try { wanted = filter === undefined || filter(e); } catch { wanted = false; }
    return wanted && target(e.subscription, e.group, e.event.key) !== undefined;
  });
  for (const e of taken) target(e.subscription, e.group, e.event.key)!.offer(e.event);
  return taken.length;
}

/** Every live at-least-once buffer is at most half full (the low-water mark `whenWritable` waits for). */
function writable(s: TopicState): boolean {
  for (const ch of s.channels.values()) if (ch.draining) return false;
  return true;
}

function stats(config: TopicConfig, s: TopicState): TopicStats {
  return {
    topic: config.topic,
    sequence: s.sequence,
    subscriptions: [...s.channels.values()].map((ch) => ({
      id: ch.reg.id, group: ch.reg.group, guarantee: ch.reg.guarantee, durable: ch.reg.durable, home: ch.reg.home,
      attached: ch.endpoint !== null, unacked: ch.unacked, queued: ch.queued,
    })),
    deadLetters: s.dlq.size,
    peers: [...s.peers.keys()].sort(),
  };
}
