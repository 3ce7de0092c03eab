// Remoting: turns deliveries to remote processes into envelopes on the transport, and inbound
// frames into deliveries to local processes. Refs inside payloads, remote death watch and the
// message registry's versioning all happen here, on the one delivery path.

import { ActorRef } from '../actor-ref.ts';
import { formatAddress, parseAddress, tryParseAddress, type Address } from '../address.ts';
import { AskProcess } from '../ask.ts';
import type { TerminationReason } from '../behavior.ts';
import { isTroupeError, TroupeError, type TroupeErrorCode } from '../errors.ts';
import { messageTypeOf, type DeadLetterReason } from '../events.ts';
import type { DeliveryResult, Process, SystemMessage } from '../internal/process.ts';
import type { SystemCore } from '../internal/system-core.ts';
import { decodePacket, encodePacket } from '../wire/codec.ts';
import { WIRE_PROTOCOL_VERSION, type Envelope } from '../wire/envelope.ts';
import type { MessageRegistry } from '../wire/message-registry.ts';
import { TracedMessage, untraced } from '../observe/internal/traced-message.ts';
import { decodeWatchMessage } from './internal/watch-message.ts';
import { refsFromWire, refsToWire } from './ref-codec.ts';
import { DeadProcess, RemoteProcess, type RemoteLink } from './remote-process.ts';
import type { Transport } from './transport.ts';

/** Message types every node understands without declaring them: untyped values (ask replies), identify, and failure replies. */
export const BUILTIN_TYPES = new Set(['$value', '$identify', '$failure']);

/** The codes a failure reply may carry (what a local ask would reject with); anything else reads as `actor-dead`. */
const FAILURE_CODES = new Set<TroupeErrorCode>(['actor-dead', 'mailbox-full', 'unknown-recipient', 'unknown-message-type', 'unsupported-version', 'schema-invalid']);

/** Where members are and whether they are up (the membership answers). */
export interface Directory {
  endpointOf(node: string): string | undefined;
  /** A member, not down (it may be unreachable). */
  isUp(node: string): boolean;
  /** A member, not down, that the failure detector does not suspect. */
  isReachable(node: string): boolean;
}

/** Node-level (cluster protocol) messages go to this handler; it returns why it dropped one, if it did. */
export type ClusterHandler = (peer: string, type: string, payload: unknown) => string | undefined;

/**
 * Why input from a trusted peer was dropped: `malformed-envelope` (a frame or envelope that is
 * not the wire format), `protocol-version` (another wire protocol), `malformed-message` (a
 * system or cluster message with a missing, mistyped or unknown field), `handler-failed` (reading
 * it threw — a Troupe bug, contained).
 */
export type InputDropReason = 'malformed-envelope' | 'protocol-version' | 'malformed-message' | 'handler-failed';

/** What a remoting layer reports that is not a dead letter: input it dropped, from which peer, and why. */
export type RemotingIssue = { readonly kind: InputDropReason; readonly peer: string; readonly detail: string };

interface Watch { readonly target: RemoteProcess; readonly watcher: Process }

/** What goes to one endpoint in this turn: envelopes, and for user messages what to dead-letter if the link refuses them. */
interface Outbox { envelopes: Envelope[]; undeliverable: ({ target: Process; msg: unknown } | null)[] }

export class Remoting implements RemoteLink {
  private readonly remotes = new Map<string, RemoteProcess>();
  private readonly inbound = new Map<string, Process>();
  private readonly watches = new Map<string, Watch[]>();
  private counter = 0;
  private readonly outboxes = new Map<string, Outbox>();
  private flushArmed = false;
  private readonly flushFn = (): void => this.flush();
  private readonly idPrefix: string;
  /** How this node's ask reply addresses begin (`…/temp/ask-<n>#<n>`, see AskProcess). */
  private readonly askPrefix: string;
  clusterHandler: ClusterHandler = () => undefined;
  onIssue: (issue: RemotingIssue) => void = () => {};

  constructor(
    private readonly host: SystemCore,
    private readonly transport: Transport,
    readonly registry: MessageRegistry,
    private readonly directory: Directory,
  ) {
    this.idPrefix = `${host.node}.${host.random.int(0x3fffffff).toString(36)}.`;
    this.askPrefix = `troupe://${host.name}@${host.node}/temp/ask-`;
    this.identifier = this.createIdentifier();
  }

  private readonly identifier: Process;

  // ---- resolving addresses ---------------------------------------------------------------

  /** The process for an address: local (or dead) on this node, remote elsewhere. */
  processFor(address: Address, text?: string): Process {
    if (address.system === this.host.name && address.node === this.host.node) {
      if (address.path === IDENTIFY_PATH) return this.identifier;
      const p = this.host.resolveLocal(address.path, address.uid);
      if (p !== undefined) return p;
      const occupied = address.path.startsWith('/temp/') || this.host.api.lookup(address.path) !== undefined;
      return new DeadProcess(this.host, address, occupied ? 'unknown-recipient' : 'actor-stopped');
    }
    // One-shot reply addresses of remote asks are used once: they are not cached (the cache
    // would grow by one entry per ask), and their text is kept as the peer wrote it.
    if (address.path.startsWith('/temp/')) return new RemoteProcess(this.host, address, this, text);
    const key = formatAddress(address); // canonical, so one process per actor whatever the peer wrote
    let p = this.remotes.get(key);
    if (p === undefined) { p = new RemoteProcess(this.host, address, this, key); this.remotes.set(key, p); }
    return p;
  }

  refFor(text: string): ActorRef<unknown> {
    return this.refAt(parseAddress(text), text);
  }

  private refAt(address: Address, text: string): ActorRef<unknown> {
    const p = this.processFor(address, text);
    return p instanceof RemoteProcess ? p.ref : new ActorRef(p);
  }

  /** A ref for an address text from a peer; undefined when it is not an address (never throws). */
  private readonly peerRef = (text: string): ActorRef<unknown> | undefined => {
    const address = tryParseAddress(text);
    return address === undefined ? undefined : this.refAt(address, text);
  };

  reachable(node: string): boolean {
    return this.directory.isReachable(node);
  }

  unreachable(node: string): boolean {
    return this.directory.isUp(node) && !this.directory.isReachable(node);
  }

  /** Endpoints of peers whose links are up, by node (a reply may go to a node not yet a member). */
  private readonly peerEndpoints = new Map<string, string>();

  /** The transport authenticated a link to `peer` at `endpoint`. */
  linkUp(peer: string, endpoint: string): void {
    if (this.peerEndpoints.size > 10_000) this.peerEndpoints.clear();
    this.peerEndpoints.set(peer, endpoint);
  }

  /**
   * Where a user message to `target` goes: its node's endpoint while it is an up member; a reply
   * to an ask may also use the link its request came in on (a restarted node answers its first
   * lookup before it has learnt the asker from the membership).
   */
  private endpointFor(target: RemoteProcess): string | undefined {
    const node = target.address.node;
    if (this.directory.isReachable(node)) return this.directory.endpointOf(node);
    return target.address.path.startsWith('/temp/') ? this.peerEndpoints.get(node) : undefined;
  }

  private readonly addressOf = (ref: ActorRef<unknown>): string => {
    if (ref.proc instanceof AskProcess) {
      this.host.asks.export(ref.proc);
      return `${this.askPrefix}${ref.proc.n}#${ref.proc.n}`;
    }
    return ref.proc instanceof RemoteProcess ? ref.proc.text : formatAddress(ref.proc.address);
  };

  // ---- outbound ------------------------------------------------------------------------

  sendUser(target: RemoteProcess, sent: unknown): DeliveryResult {
    // tracing on: a message sent in a sampled trace arrives wrapped; its context crosses in `traceparent`
    const traced = sent instanceof TracedMessage ? sent : null;
    const msg = traced === null ? sent : traced.msg;
    const type = messageTypeOf(msg) ?? '$value';
    const builtin = BUILTIN_TYPES.has(type);
    if (!builtin && !this.registry.has(type)) {
      // a programming error on this side: the sender learns it at once, as a local ask would
      this.drop(target, sent, 'unknown-message-type');
      throw new TroupeError('unknown-message-type', `Cannot send '${type}' to ${target.text}: no message type '${type}' is declared in this node's MessageRegistry. Define it (in the registries of both nodes) before sending it to another node.`, { type, target: target.text });
    }
    const endpoint = this.endpointFor(target);
    if (endpoint === undefined) return this.drop(target, sent, 'node-unreachable');
    const { value, found } = refsToWire(msg, this.addressOf);
    const id = this.nextId();
    const traceparent = traced === null ? undefined : this.host.traceHost?.sendRemote(traced, target.address, type, id);
    const env: Envelope = { v: WIRE_PROTOCOL_VERSION, id, kind: 'user', to: target.text, type, typeVersion: builtin ? 1 : this.registry.versionOf(type), traceparent, payload: value, refs: found };
    return this.enqueue(endpoint, env, { target, msg: sent }) ? 0 : this.drop(target, sent, 'link-overflow');
  }

  /**
   * Queues an envelope for `endpoint`; everything queued until pending I/O has had its turn
   * leaves as one packet (one JSON.stringify, one frame), in order — flushing per I/O turn rather
   * than per microtask makes bigger packets under load and cut remote ask latency. Returns false
   * when the link's queue is full.
   */
  private enqueue(endpoint: string, env: Envelope, undeliverable: { target: Process; msg: unknown } | null): boolean {
    if (this.linkFull.has(endpoint)) return false;
    let box = this.outboxes.get(endpoint);
    if (box === undefined) { box = { envelopes: [], undeliverable: [] }; this.outboxes.set(endpoint, box); }
    box.envelopes.push(env);
    box.undeliverable.push(undeliverable);
    if (!this.flushArmed) { this.flushArmed = true; this.host.scheduler.yieldThen(this.flushFn); }
    return true;
  }

  /** Endpoints whose last packet the transport refused; cleared at the next flush. */
  private readonly linkFull = new Set<string>();

  private flush(): void {
    this.flushArmed = false;
    this.linkFull.clear();
    for (const [endpoint, box] of this.outboxes) {
      this.outboxes.delete(endpoint);
      let bytes: Buffer | undefined;
      try { bytes = encodePacket(box.envelopes); } catch { bytes = undefined; }
      if (bytes !== undefined && this.transport.send(endpoint, bytes)) continue;
      if (bytes !== undefined) this.linkFull.add(endpoint);
      if (this.host.terminated) continue; // nothing left to tell about them
      for (const u of box.undeliverable) if (u !== null) this.host.deadLetter(u.target, u.msg, bytes === undefined ? 'undeliverable' : 'link-overflow');
    }
  }

  sendSystem(target: RemoteProcess, msg: SystemMessage): void {
    switch (msg.type) {
      case 'watch': {
        const list = this.watches.get(target.address.node) ?? [];
        list.push({ target, watcher: msg.watcher });
        this.watches.set(target.address.node, list);
        if (!this.directory.isUp(target.address.node)) { this.nodeDown(target.address.node); return; }
        this.sendToNode(target.address.node, 'actor.watch', { target: target.text, watcher: this.addressText(msg.watcher) });
        return;
      }
      case 'unwatch': {
        const list = this.watches.get(target.address.node);
        if (list) this.watches.set(target.address.node, list.filter((w) => !(w.target === target && w.watcher === msg.watcher)));
        this.sendToNode(target.address.node, 'actor.unwatch', { target: target.text, watcher: this.addressText(msg.watcher) });
        return;
      }
      case 'terminated':
        // `target` is a remote watcher of a local actor that terminated
        this.sendToNode(target.address.node, 'actor.terminated', { ref: this.addressText(msg.ref.proc), watcher: target.text, reason: msg.reason.kind });
        return;
      default:
        return; // parent/child system messages never cross nodes (no remote spawn)
    }
  }

  /** Tells the asking node that its request (with reply address `replyTo`) was not delivered here. */
  sendFailure(replyTo: RemoteProcess, error: TroupeError, recipient: Process | undefined): void {
    const endpoint = this.endpointFor(replyTo);
    if (endpoint === undefined || this.host.terminated) return; // its asker times out, as before
    const payload = { code: error.code, message: error.message, recipient: recipient === undefined ? null : this.addressText(recipient) };
    this.enqueue(endpoint, { v: WIRE_PROTOCOL_VERSION, id: this.nextId(), kind: 'user', to: replyTo.text, type: '$failure', typeVersion: 1, payload }, null);
  }

  /** A failure reply arrived for one of this node's asks: it fails with the receiver's code; a gone recipient is dead here too. */
  private onFailure(peer: string, target: Process, payload: unknown): void {
    if (!(target instanceof AskProcess) || !target.alive) return; // the ask is over: nothing to fail
    const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
    const code = FAILURE_CODES.has(p.code as TroupeErrorCode) ? (p.code as TroupeErrorCode) : 'actor-dead';
    const message = typeof p.message === 'string' ? p.message.slice(0, 1_000) : `The request was not delivered on node ${peer}.`;
    const recipient = typeof p.recipient === 'string' ? p.recipient : undefined;
    if (recipient !== undefined && (code === 'actor-dead' || code === 'unknown-recipient')) {
      let key: string | undefined;
      try { key = formatAddress(parseAddress(recipient)); } catch { key = undefined; }
      const asked = target.targetProcess;
      if (key !== undefined) {
        const reason = code === 'actor-dead' ? 'actor-stopped' : 'unknown-recipient';
        this.remotes.get(key)?.markGone(reason);
        if (asked instanceof RemoteProcess && formatAddress(asked.address) === key) asked.markGone(reason);
      }
    }
    target.fail(new TroupeError(code, message, { target: target.targetProcess.address.path, node: peer, recipient }));
  }

  /** Writes what is queued now (before the transport stops). */
  flushNow(): void {
    if (this.outboxes.size > 0) this.flush();
  }

  /** Sends a node-level message to a member by name. */
  sendToNode(node: string, type: string, payload: unknown): boolean {
    const endpoint = this.directory.endpointOf(node);
    return endpoint !== undefined && this.sendToEndpoint(endpoint, type, payload);
  }

  /** Sends a node-level message to an endpoint (seeds before their names are known). */
  sendToEndpoint(endpoint: string, type: string, payload: unknown): boolean {
    const env: Envelope = { v: WIRE_PROTOCOL_VERSION, id: this.nextId(), kind: 'system', to: `troupe://${this.host.name}@${endpoint}/system#0`, type, typeVersion: 1, payload };
    return this.enqueue(endpoint, env, null);
  }

  private drop(target: Process, msg: unknown, reason: DeadLetterReason): DeliveryResult {
    this.host.deadLetter(target, msg, reason);
    return reason === 'link-overflow' ? 2 : 4;
  }

  private nextId(): string {
    return this.idPrefix + (++this.counter).toString(36);
  }

  private addressText(p: Process): string {
    return p instanceof RemoteProcess ? p.text : formatAddress(p.address);
  }

  // ---- inbound -------------------------------------------------------------------------

  /**
   * One frame from trusted peer `peer`. Total: what cannot be read is dropped and reported (a
   * dead letter when it has a recipient, else `onIssue`), and the other envelopes are delivered.
   */
  onFrame(peer: string, bytes: Buffer): void {
    const report = (e: TroupeError): void => {
      this.onIssue({ kind: isTroupeError(e, 'protocol-version') ? 'protocol-version' : 'malformed-envelope', peer, detail: e.message });
    };
    for (const env of decodePacket(bytes, report)) {
      try {
        this.receive(peer, env);
      } catch (e) {
        // Backstop: receive is total by construction; a throw here is a bug, contained to this envelope.
        this.onIssue({ kind: 'handler-failed', peer, detail: `reading '${env.type}' to ${env.to.slice(0, 120)} threw: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
  }

  private receive(peer: string, env: Envelope): void {
    if (env.kind === 'system') { this.onSystem(peer, env); return; }
    if (this.host.terminated) return; // frames still arriving while the node leaves: no one is left to deliver to or tell
    const target = this.resolveInbound(env.to);
    if (env.type === '$failure') { this.onFailure(peer, target, env.payload); return; }
    let payload = env.payload;
    if (env.refs) {
      const revived = refsFromWire(payload, this.peerRef);
      if (!revived.ok) { this.host.deadLetter(target, payload, 'malformed-payload'); return; }
      payload = revived.value;
    }
    if (!BUILTIN_TYPES.has(env.type)) {
      try {
        payload = this.registry.decode(env.type, env.typeVersion, payload);
      } catch (e) {
        const code = isTroupeError(e) ? e.code : 'schema-invalid';
        const reason: DeadLetterReason = code === 'unknown-message-type' || code === 'unsupported-version' ? code : 'schema-invalid';
        this.host.deadLetter(target, payload, reason);
        return;
      }
    }
    // tracing on: a readable, sampled trace context continues here; anything else is counted by reason and ignored
    const tracing = this.host.traceHost;
    if (tracing !== null && env.traceparent !== undefined) payload = tracing.receiveRemote(env.traceparent, payload);
    target.deliverUser(payload);
  }

  private resolveInbound(to: string): Process {
    const cached = this.inbound.get(to);
    if (cached !== undefined && cached.alive) return cached;
    if (to.startsWith(this.askPrefix)) {
      // a reply to one of this node's asks: `<prefix><n>#<n>`, found without parsing the address
      const hash = to.lastIndexOf('#');
      const n = Number(to.slice(hash + 1));
      const ask = this.host.asks.get(n);
      if (ask !== undefined && to.slice(this.askPrefix.length, hash) === String(n)) return ask;
    }
    let address: Address;
    try {
      address = parseAddress(to);
    } catch {
      return new DeadProcess(this.host, { system: this.host.name, node: this.host.node, path: '/unknown', uid: 0 });
    }
    const p = this.processFor(address);
    if (p.alive && !(p instanceof AskProcess)) {
      if (this.inbound.size > 100_000) this.inbound.clear();
      this.inbound.set(to, p);
    }
    return p;
  }

  private onSystem(peer: string, env: Envelope): void {
    if (env.type.startsWith('cluster.')) {
      const dropped = this.clusterHandler(peer, env.type, env.payload);
      if (dropped !== undefined) this.onIssue({ kind: 'malformed-message', peer, detail: dropped });
      return;
    }
    const decoded = decodeWatchMessage(env.type, env.payload);
    if (!decoded.ok) { this.onIssue({ kind: 'malformed-message', peer, detail: decoded.reason }); return; }
    const m = decoded.message;
    switch (m.type) {
      case 'actor.watch':
      case 'actor.unwatch': {
        const watcher = this.processFor(m.watcher, m.watcherText);
        this.resolveInbound(m.target).deliverSystem({ type: m.type === 'actor.watch' ? 'watch' : 'unwatch', watcher });
        return;
      }
      case 'actor.terminated': {
        const ref = this.refAt(m.ref, m.refText);
        this.forgetWatch(ref.proc);
        const reason = (m.reason === 'failure' ? { kind: 'failure', error: undefined } : { kind: m.reason }) as TerminationReason;
        this.resolveInbound(m.watcher).deliverSystem({ type: 'terminated', ref: ref as ActorRef<never>, reason });
        return;
      }
    }
  }

  private forgetWatch(target: Process): void {
    if (!(target instanceof RemoteProcess)) return;
    const list = this.watches.get(target.address.node);
    if (list) this.watches.set(target.address.node, list.filter((w) => w.target !== target));
  }

  // ---- node down -------------------------------------------------------------------------

  /**
   * A member was declared down: its watched actors are terminated for their watchers, asks to it
   * fail: `actor-dead` when its process is known to be gone (`certain`), else `node-unreachable`
   * (a downed node may still have run the request).
   */
  nodeDown(node: string, certain = true): void {
    const list = this.watches.get(node) ?? [];
    this.watches.delete(node);
    for (const w of list) w.watcher.deliverSystem({ type: 'terminated', ref: w.target.ref as ActorRef<never>, reason: { kind: 'node-down' } });
    for (const a of this.host.asks.all()) if (a.targetNode === node) a.failNodeDown(certain ? 'actor-dead' : 'node-unreachable');
    for (const [text, p] of this.remotes) if (p.address.node === node) this.remotes.delete(text);
  }

  /** A member became unreachable: asks waiting on it fail with `node-unreachable` (the request may still run there). */
  nodeUnreachable(node: string): void {
    for (const a of this.host.asks.all()) if (a.targetNode === node) a.failNodeDown('node-unreachable');
  }

  // ---- identify ----------------------------------------------------------------------------

  /** Answers `$identify` asks: the live local actor at a path, whatever its incarnation. */
  private createIdentifier(): Process {
    const host = this.host;
    return {
      host,
      alive: true,
      address: { system: host.name, node: host.node, path: IDENTIFY_PATH, uid: 0 },
      deliverUser: (msg: unknown): DeliveryResult => {
        const m = untraced(msg) as { type?: string; path?: unknown; replyTo?: unknown };
        if (m?.type !== '$identify' || typeof m.path !== 'string' || !(m.replyTo instanceof ActorRef)) return 4;
        m.replyTo.offer(host.api.lookup(m.path) ?? null); // untraced: this runs in a transport callback
        return 0;
      },
      deliverSystem: () => {},
    };
  }
}

/** The path of a node's identify service (`cluster.identify`). */
export const IDENTIFY_PATH = '/system/identify';
