// The receptionist's logic, apart from the actor that hosts it: local registrations and
// subscriptions, and the replication protocol with the receptionists of the other members.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import type { Cluster } from '../../runtime/cluster/node.ts';
import type { Member } from '../../runtime/cluster/membership.ts';
import type { InstanceMetadata, ServiceInstance } from './receptionist-service.ts';
import type { PeerMsg, WireChange, WireEntry } from './receptionist-protocol.ts';
import { ReceptionistStore } from './receptionist-store.ts';

/** What the core tells its actor to do: watch a ref it cannot watch itself (only an actor can). */
export type WatchRequest = (ref: ActorRef<never>) => void;

/** Where a peer stands: its incarnation, the last version of its registrations applied, its receptionist. */
interface Peer {
  readonly incarnation: number;
  version: number; // -1: nothing applied yet
  ref: ActorRef<PeerMsg> | undefined;
  identifying: boolean;
}

/** Settings the core needs (resolved by `createReceptionist`). */
export interface CoreSettings {
  readonly node: string;
  readonly path: string;
  readonly identifyTimeoutMs: number;
  readonly cluster: Cluster | undefined;
}

/**
 * One receptionist's state and protocol. Invariants: `version` counts local changes and every
 * change is sent to every peer whose receptionist is known as one `delta`; a peer's replica is
 * only ever replaced by a sync or advanced by the delta of the next version; a node declared
 * down is ignored at that incarnation (a restarted node is a new incarnation, a new peer).
 */
export class ReceptionistCore {
  readonly store: ReceptionistStore;
  private readonly peers = new Map<string, Peer>();
  private readonly tombstones = new Set<string>(); // `${node}#${incarnation}` of members declared down or removed
  private readonly subscriptions = new Map<string, { readonly ref: ActorRef<unknown>; readonly stops: Map<string, () => void> }>(); // by subscriber address
  private readonly watching = new Set<string>();
  private version = 0;
  self: ActorRef<PeerMsg> | undefined;
  /** Set by the actor: turns identify results into messages to itself. */
  onFound: (node: string, incarnation: number, ref: ActorRef<PeerMsg> | undefined) => void = () => {};

  constructor(private readonly s: CoreSettings) {
    this.store = new ReceptionistStore(s.node);
  }

  private get incarnation(): number {
    return this.s.cluster?.self.incarnation ?? 0;
  }

  // ---- local registrations and subscriptions ---------------------------------------------

  register(key: string, ref: ActorRef<unknown>, metadata: InstanceMetadata): void {
    if (!this.store.putLocal(key, ref, metadata)) return;
    this.broadcast([{ op: 'put', key, ref, metadata }]);
    this.store.notify([key]);
  }

  deregister(key: string, ref: ActorRef<unknown>): void {
    if (!this.store.removeLocal(key, String(ref))) return;
    this.broadcast([{ op: 'remove', key, ref }]);
    this.store.notify([key]);
  }

  /** Whether the actor must start watching `ref` (true once per ref until it terminates). */
  needsWatch(ref: ActorRef<unknown>): boolean {
    const address = String(ref);
    if (this.watching.has(address)) return false;
    this.watching.add(address);
    return true;
  }

  /** A watched local actor terminated: drop its registrations and subscriptions. */
  terminated(ref: ActorRef<never>): void {
    const address = String(ref);
    this.watching.delete(address);
    for (const stop of this.subscriptions.get(address)?.stops.values() ?? []) stop();
    this.subscriptions.delete(address);
    const keys = this.store.removeLocalActor(address);
    if (keys.length === 0) return;
    this.broadcast(keys.map((key) => ({ op: 'remove', key, ref: ref as ActorRef<unknown> })));
    this.store.notify(keys);
  }

  /** Sends `subscriber` the listing of `key` now and after every change; returns whether it is new. */
  subscribe(key: string, subscriber: ActorRef<unknown>, listing: (list: readonly ServiceInstance<unknown>[]) => unknown): boolean {
    const address = String(subscriber);
    let sub = this.subscriptions.get(address);
    if (sub?.stops.has(key)) return false;
    if (sub === undefined) { sub = { ref: subscriber, stops: new Map() }; this.subscriptions.set(address, sub); }
    sub.stops.set(key, this.store.observe(key, { next: (list) => subscriber.tell(listing(list)), complete: () => {} }));
    subscriber.tell(listing(this.store.instances(key)));
    return true;
  }

  unsubscribe(key: string, subscriber: ActorRef<unknown>): void {
    const address = String(subscriber);
    const sub = this.subscriptions.get(address);
    if (sub === undefined) return;
    sub.stops.get(key)?.();
    sub.stops.delete(key);
    if (sub.stops.size === 0) this.subscriptions.delete(address);
  }

  // ---- peers ----------------------------------------------------------------------------

  /** A peer message arrived. */
  onPeer(msg: PeerMsg): void {
    if (msg.from === this.s.node) return;
    if (this.tombstones.has(`${msg.from}#${msg.incarnation}`)) return;
    const peer = this.peerAt(msg.from, msg.incarnation);
    peer.ref = msg.receptionist;
    switch (msg.type) {
      case 'receptionist.sync':
        if (msg.version >= peer.version) {
          peer.version = msg.version;
          this.store.notify(this.store.replaceNode(msg.from, msg.entries.map((e) => ({ ...e, node: msg.from }))));
        }
        if (msg.reply) this.sendSync(peer, false);
        return;
      case 'receptionist.delta': {
        if (msg.version <= peer.version) return;
        if (msg.version !== peer.version + 1) { this.send(peer, 'receptionist.status', { pull: true }); return; }
        peer.version = msg.version;
        const changed = new Set<string>();
        for (const c of msg.changes) {
          const hit = c.op === 'put' ? this.store.putRemote(msg.from, c.key, c.ref, c.metadata) : this.store.removeRemote(msg.from, c.key, String(c.ref));
          if (hit) changed.add(c.key);
        }
        this.store.notify(changed);
        return;
      }
      case 'receptionist.status':
        if (msg.pull) this.sendSync(peer, false);
        else if (msg.version > peer.version) this.send(peer, 'receptionist.status', { pull: true });
        return;
    }
  }

  /** A member came up: this node (look for every other) or another one (look for its receptionist). */
  memberUp(member: Member): void {
    if (member.node === this.s.node) { this.discoverAll(); return; }
    if (this.tombstones.has(`${member.node}#${member.incarnation}`)) return;
    const peer = this.peerAt(member.node, member.incarnation);
    if (peer.ref === undefined) this.discover(member.node, peer);
  }

  /** A member went down or was removed: forget its registrations at once. */
  memberGone(member: Member): void {
    if (member.node === this.s.node) return;
    this.tombstones.add(`${member.node}#${member.incarnation}`);
    const peer = this.peers.get(member.node);
    if (peer !== undefined && peer.incarnation !== member.incarnation) return; // already talking to its next incarnation
    this.peers.delete(member.node);
    this.store.notify(this.store.dropNode(member.node));
  }

  /** An identify this core started has answered. */
  found(node: string, incarnation: number, ref: ActorRef<PeerMsg> | undefined): void {
    const peer = this.peers.get(node);
    if (peer === undefined || peer.incarnation !== incarnation) return;
    peer.identifying = false;
    if (ref === undefined || peer.ref !== undefined) return;
    peer.ref = ref;
    this.sendSync(peer, true);
  }

  /** Periodic anti-entropy: a status digest to every known peer, discovery of the others. */
  tick(): void {
    for (const [node, peer] of this.peers) {
      if (peer.ref !== undefined) this.send(peer, 'receptionist.status', { pull: false });
      else this.discover(node, peer);
    }
    this.discoverAll();
  }

  /** Announces to every peer that this receptionist holds nothing any more (it is stopping). */
  retire(): void {
    this.version++;
    for (const peer of this.peers.values()) {
      if (peer.ref !== undefined) peer.ref.tell({ ...this.header(), type: 'receptionist.sync', entries: [], reply: false });
    }
  }

  /** Every ref whose termination the actor must watch (registered actors and subscribers), e.g. again after a restart. */
  watched(): ActorRef<never>[] {
    const out = new Map<string, ActorRef<never>>();
    for (const e of this.store.localEntries()) out.set(String(e.ref), e.ref as ActorRef<never>);
    for (const [address, sub] of this.subscriptions) out.set(address, sub.ref as ActorRef<never>);
    return [...out.values()];
  }

  /** Looks for the receptionist of every up member not yet known. */
  discoverAll(): void {
    const cluster = this.s.cluster;
    if (cluster === undefined || cluster.self.status !== 'up') return;
    for (const m of cluster.members()) {
      if (m.node === this.s.node || m.status !== 'up') continue;
      if (this.tombstones.has(`${m.node}#${m.incarnation}`)) continue;
      const peer = this.peerAt(m.node, m.incarnation);
      if (peer.ref === undefined) this.discover(m.node, peer);
    }
  }

  /** The peer record of `node` at `incarnation`; another incarnation (a restarted node) starts afresh. */
  private peerAt(node: string, incarnation: number): Peer {
    const known = this.peers.get(node);
    if (known !== undefined && known.incarnation === incarnation) return known;
    if (known !== undefined) this.store.notify(this.store.dropNode(node));
    const fresh: Peer = { incarnation, version: -1, ref: undefined, identifying: false };
    this.peers.set(node, fresh);
    return fresh;
  }

  private discover(node: string, peer: Peer): void {
    const cluster = this.s.cluster;
    if (cluster === undefined || peer.identifying) return;
    peer.identifying = true;
    const incarnation = peer.incarnation;
    cluster.identify<PeerMsg>(node, this.s.path, this.s.identifyTimeoutMs).then(
      (ref) => this.onFound(node, incarnation, ref),
      () => this.onFound(node, incarnation, undefined),
    );
  }

  private broadcast(changes: WireChange[]): void {
    this.version++;
    if (this.self === undefined) return;
    const msg: PeerMsg = { ...this.header(), type: 'receptionist.delta', changes };
    for (const peer of this.peers.values()) peer.ref?.tell(msg);
  }

  private sendSync(peer: Peer, reply: boolean): void {
    const entries: WireEntry[] = this.store.localEntries().map((e) => ({ key: e.key, ref: e.ref, metadata: e.metadata }));
    peer.ref?.tell({ ...this.header(), type: 'receptionist.sync', entries, reply });
  }

  private send(peer: Peer, type: 'receptionist.status', fields: { pull: boolean }): void {
    peer.ref?.tell({ ...this.header(), type, ...fields });
  }

  private header(): { from: string; incarnation: number; version: number; receptionist: ActorRef<PeerMsg> } {
    return { from: this.s.node, incarnation: this.incarnation, version: this.version, receptionist: this.self as ActorRef<PeerMsg> };
  }
}
