// One simulated node's transport: a per-peer link state machine (connecting → up → gone) driven
// by packets the simulated network delivers. The connect models the handshake's secret check.

import type { Scheduler, TimerId } from '../../clock.ts';
import { TroupeError } from '../../errors.ts';
import type { LinkCloseReason, Transport, TransportContext } from '../transport.ts';

/** A packet on the simulated wire. `conn` names one connection attempt; stale packets are ignored. */
export type SimPacket =
  | { readonly kind: 'connect'; readonly conn: number; readonly from: string; readonly to: string; readonly system: string; readonly secret: Buffer }
  | { readonly kind: 'accept'; readonly conn: number; readonly from: string; readonly to: string }
  | { readonly kind: 'refuse' | 'close'; readonly conn: number; readonly from: string; readonly to: string; readonly reason: LinkCloseReason; readonly detail: string }
  | { readonly kind: 'frame'; readonly conn: number; readonly from: string; readonly to: string; readonly bytes: Buffer };

/** Counters of data frames, shared by the network and its nodes. */
export interface SimCounters { sent: number; delivered: number; dropped: number; duplicated: number }

/** What a node needs from its network. */
export interface SimWire {
  readonly scheduler: Scheduler;
  readonly counters: SimCounters;
  nextConn(): number;
  post(packet: SimPacket): void;
  register(node: SimNode): void;
  unregister(node: SimNode): void;
}

/** Settings of one simulated transport, already defaulted. */
export interface SimNodeSettings {
  readonly secret: Buffer;
  readonly maxQueuedBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly maxFrameBytes: number;
}

/** A simulated transport as the network sees it. */
export interface SimNode extends Transport {
  readonly id: string;
  readonly alive: boolean;
  /** Handles a packet the network delivered to this node. */
  receive(packet: SimPacket): void;
  /** Cuts the link to `peer` at once (a partition); the node hears of it on the next timer turn. */
  sever(peer: string, detail: string): void;
  /** Dies like a killed process: no more events, peers get `close` packets. */
  kill(): void;
  /** Peers this node has a link (connecting or up) with. */
  peers(): string[];
}

interface Link { state: 'connecting' | 'up'; conn: number; queue: Buffer[]; queuedBytes: number; timer: TimerId | undefined }

/** Creates one simulated node's transport on `wire`. */
export function createSimNode(wire: SimWire, settings: SimNodeSettings): SimNode {
  const { scheduler, counters } = wire;
  const links = new Map<string, Link>();
  let ctx: TransportContext | undefined;
  let alive = false;

  const id = (): string => ctx?.nodeId ?? '';
  /** Runs `fn` on the next timer turn if this node is still alive then (no re-entrant events). */
  const later = (fn: (c: TransportContext) => void): void => {
    scheduler.startTimer(0, () => { if (alive && ctx) fn(ctx); });
  };
  const drop = (link: Link): void => {
    if (link.timer) scheduler.cancelTimer(link.timer);
    counters.dropped += link.queue.length;
    link.queue = [];
    link.queuedBytes = 0;
  };
  const transmit = (peer: string, conn: number, bytes: Buffer): void =>
    wire.post({ kind: 'frame', conn, from: id(), to: peer, bytes });
  const goUp = (peer: string, link: Link): void => {
    if (link.timer) scheduler.cancelTimer(link.timer);
    link.timer = undefined;
    link.state = 'up';
    ctx?.events.linkUp(peer, peer);
    const queued = link.queue;
    link.queue = [];
    link.queuedBytes = 0;
    for (const bytes of queued) transmit(peer, link.conn, bytes);
  };
  /** Closes every link with a `close` packet to the peer; returns the peers whose link was up. */
  const closeAll = (detail: string): string[] => {
    const up: string[] = [];
    for (const [peer, link] of links) {
      drop(link);
      if (link.state === 'up') up.push(peer);
      wire.post({ kind: 'close', conn: link.conn, from: id(), to: peer, reason: 'closed', detail });
    }
    links.clear();
    return up;
  };

  const onConnect = (p: Extract<SimPacket, { kind: 'connect' }>, c: TransportContext): void => {
    const refuse = (why: string): void => {
      c.events.rejected(p.from, 'auth-failed', `Handshake with peer failed: ${why}.`);
      wire.post({ kind: 'refuse', conn: p.conn, from: c.nodeId, to: p.from, reason: 'auth-failed', detail: `Peer rejected the handshake: ${why}.` });
    };
    if (!p.secret.equals(settings.secret)) return refuse(`peer '${p.from}' did not prove the shared cluster secret (wrong secret); check that both nodes use the same secret`);
    if (p.system !== c.system) return refuse(`peer belongs to system '${p.system}', this node to '${c.system}'; check the cluster configuration`);
    if (p.from === c.nodeId) return refuse(`peer claims this node's own id '${c.nodeId}'; give every node a distinct id`);
    const link = links.get(p.from);
    // A peer that dropped its link always sent `close` first on this FIFO channel, so a connect
    // meeting an up link is the loser of a simultaneous open, already superseded.
    if (link?.state === 'up') return;
    if (link?.state === 'connecting') {
      // Simultaneous open: the connection started by the smaller node id wins on both sides.
      if (c.nodeId < p.from) return;
      if (link.timer) scheduler.cancelTimer(link.timer);
    }
    const next: Link = { state: 'connecting', conn: p.conn, queue: link?.queue ?? [], queuedBytes: link?.queuedBytes ?? 0, timer: undefined };
    links.set(p.from, next);
    wire.post({ kind: 'accept', conn: p.conn, from: c.nodeId, to: p.from });
    goUp(p.from, next);
  };

  const receive = (p: SimPacket): void => {
    const c = ctx;
    if (!alive || !c) { if (p.kind === 'frame') counters.dropped++; return; }
    if (p.kind === 'connect') return onConnect(p, c);
    const link = links.get(p.from);
    const current = link !== undefined && link.conn === p.conn;
    switch (p.kind) {
      case 'frame':
        if (!current || link.state !== 'up') { counters.dropped++; return; }
        counters.delivered++;
        c.events.frame(p.from, p.bytes);
        return;
      case 'accept':
        if (current && link.state === 'connecting') goUp(p.from, link);
        return;
      case 'refuse':
      case 'close':
        if (!current) return;
        links.delete(p.from);
        drop(link);
        if (link.state === 'up') c.events.linkDown(p.from, p.from, p.reason, p.detail);
        else c.events.rejected(p.from, p.reason, p.detail);
        return;
    }
  };

  const node: SimNode = {
    kind: 'memory',
    get id() { return id(); },
    get alive() { return alive; },
    async start(context) {
      if (ctx) throw new TroupeError('invalid-argument', `This simulated transport already started as '${ctx.nodeId}'; create one transport per node with network.transport().`);
      ctx = context;
      wire.register(node);
      alive = true;
      return context.nodeId;
    },
    send(endpoint, bytes) {
      if (!alive || bytes.length > settings.maxFrameBytes) return false;
      const copy = Buffer.from(bytes);
      const link = links.get(endpoint);
      if (link?.state === 'up') {
        counters.sent++;
        transmit(endpoint, link.conn, copy);
        return true;
      }
      if (link) {
        if (link.queuedBytes + copy.length > settings.maxQueuedBytes) return false;
        counters.sent++;
        link.queue.push(copy);
        link.queuedBytes += copy.length;
        return true;
      }
      if (copy.length > settings.maxQueuedBytes) return false;
      const conn = wire.nextConn();
      const fresh: Link = { state: 'connecting', conn, queue: [copy], queuedBytes: copy.length, timer: undefined };
      fresh.timer = scheduler.startTimer(settings.handshakeTimeoutMs, () => {
        if (links.get(endpoint) !== fresh || fresh.state !== 'connecting') return;
        links.delete(endpoint);
        fresh.timer = undefined;
        drop(fresh);
        wire.post({ kind: 'close', conn, from: id(), to: endpoint, reason: 'handshake-timeout', detail: 'The peer gave up waiting for this node.' });
        ctx?.events.rejected(endpoint, 'handshake-timeout', `No handshake with '${endpoint}' within ${settings.handshakeTimeoutMs} ms; the node is down or unreachable.`);
      });
      links.set(endpoint, fresh);
      counters.sent++;
      wire.post({ kind: 'connect', conn, from: id(), to: endpoint, system: ctx?.system ?? '', secret: settings.secret });
      return true;
    },
    disconnect(endpoint) {
      const link = links.get(endpoint);
      if (!alive || !link) return;
      links.delete(endpoint);
      drop(link);
      wire.post({ kind: 'close', conn: link.conn, from: id(), to: endpoint, reason: 'closed', detail: `Peer '${id()}' closed the link.` });
      if (link.state === 'up') later((c) => c.events.linkDown(endpoint, endpoint, 'closed', 'This node closed the link (disconnect).'));
    },
    async stop() {
      if (!alive || !ctx) return;
      const c = ctx;
      alive = false;
      const up = closeAll(`Peer '${c.nodeId}' stopped.`);
      wire.unregister(node);
      for (const peer of up) c.events.linkDown(peer, peer, 'stopped', 'This transport stopped.');
    },
    receive,
    sever(peer, detail) {
      const link = links.get(peer);
      if (!alive || !link) return;
      links.delete(peer);
      drop(link);
      if (link.state === 'up') later((c) => c.events.linkDown(peer, peer, 'closed', detail));
      else later((c) => c.events.rejected(peer, 'closed', detail));
    },
    kill() {
      if (!alive) return;
      alive = false;
      closeAll(`Peer '${id()}' died.`);
      wire.unregister(node);
    },
    peers: () => [...links.keys()],
  };
  return node;
}
