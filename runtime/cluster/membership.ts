// Cluster membership: seed nodes, join and leave, member states, heartbeats with a phi-accrual
// failure detector, and gossip of the member table. Small clusters: every node heartbeats every
// other and piggybacks its whole table.

import { Observable, Subject } from 'rxjs';
import type { Scheduler, TimerId } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import { compareManifests, parseManifest, type Manifest, type ManifestIncompatibility } from '../wire/manifest.ts';
import { createPhiAccrualDetector, type PhiAccrualDetector } from './phi-accrual.ts';
import type { InputDropReason } from './remoting.ts';

/** A member's state; it only moves forward within one incarnation. */
export type MemberStatus = 'joining' | 'up' | 'leaving' | 'down' | 'removed';

const RANK: Record<MemberStatus, number> = { joining: 0, up: 1, leaving: 2, down: 3, removed: 4 };

/** One node of the cluster, as plain data. A restarted node comes back with a new `incarnation`. */
export interface Member {
  readonly node: string;
  readonly endpoint: string;
  readonly incarnation: number;
  readonly status: MemberStatus;
}

/**
 * What `cluster.events$` emits. `incompatible` and the `link-rejected` events of a
 * misconfiguration (`auth-failed`, `protocol-version`) are sticky: a subscriber gets those seen so
 * far (the latest per node or remote, with their original `atMs`) at once when it subscribes, so
 * they cannot be missed by subscribing after `whenUp()`. Member events are not replayed: read
 * `members()` for the current table.
 */
export type ClusterEvent =
  | { readonly type: 'member-up' | 'member-leaving' | 'member-down' | 'member-removed'; readonly member: Member; readonly atMs: number }
  | { readonly type: 'incompatible'; readonly node: string; readonly incompatibilities: readonly ManifestIncompatibility[]; readonly atMs: number }
  | { readonly type: 'link-rejected'; readonly remote: string; readonly reason: string; readonly detail: string; readonly atMs: number }
  /** Input from trusted peer `peer` (a node id) was dropped unread; the link stays up. */
  | { readonly type: 'input-dropped'; readonly peer: string; readonly reason: InputDropReason; readonly detail: string; readonly atMs: number };

/**
 * Membership settings. Defaults: `heartbeatIntervalMs` 250, `acceptablePauseMs` 1 500,
 * `phiThreshold` 8, `minStdDeviationMs` 100, `joinRetryMs` 500. With these a node that falls
 * silent is declared down after about 2.3 s (mean interval + acceptable pause + a few
 * deviations): tolerant of GC pauses and a loaded machine. A node whose process died is
 * declared down sooner, as soon as a connect to its endpoint is refused (TCP, simulated network).
 */
export interface MembershipOptions {
  readonly heartbeatIntervalMs?: number;
  readonly acceptablePauseMs?: number;
  readonly phiThreshold?: number;
  readonly minStdDeviationMs?: number;
  readonly joinRetryMs?: number;
}

/** What membership needs to talk to other nodes. */
export interface MembershipLink {
  sendToNode(node: string, type: string, payload: unknown): boolean;
  sendToEndpoint(endpoint: string, type: string, payload: unknown): boolean;
}

interface Entry { member: Member; detector: PhiAccrualDetector | null }

/** Why a node has not joined yet: what `whenUp` rejects with (`join-timeout`, in `data.reasons`). */
export interface JoinProblem {
  /** `incompatible` (manifests), `unreachable` (no seed answered), or a transport's reason (`auth-failed`, `protocol-version`, `handshake-timeout`, …). */
  readonly reason: string;
  /** The seed endpoint or node it concerns. */
  readonly remote: string;
  readonly detail: string;
}

/** Options of `cluster.whenUp`. */
export interface WhenUpOptions {
  /** Rejects with `join-timeout` when the node is not up after this many ms; default: waits for ever. */
  readonly timeoutMs?: number;
}

const STICKY_REJECTIONS = new Set(['auth-failed', 'protocol-version']);

type Gossip = { readonly from: string; readonly incarnation: number; readonly members: readonly Member[] };

export class Membership {
  private readonly table = new Map<string, Entry>();
  private readonly events = new Subject<ClusterEvent>();
  /** Sticky facts (see ClusterEvent), replayed to each new subscriber, keyed by node or remote. */
  private readonly sticky = new Map<string, ClusterEvent>();
  readonly events$: Observable<ClusterEvent> = new Observable<ClusterEvent>((sub) => {
    for (const e of [...this.sticky.values()]) sub.next(e);
    return this.events.subscribe(sub);
  });
  /** Join problems seen while joining (bounded: the latest per reason and remote). */
  private readonly problems = new Map<string, JoinProblem>();
  private self: Member;
  private timer: TimerId | null = null;
  private welcomed = false;
  private readonly o: Required<MembershipOptions>;
  onDown: (node: string) => void = () => {};
  private upWaiters: (() => void)[] = [];

  constructor(
    nodeName: string,
    endpoint: string,
    incarnation: number,
    private readonly seeds: readonly string[],
    private readonly manifest: Manifest,
    private readonly scheduler: Scheduler,
    private readonly link: MembershipLink,
    options: MembershipOptions = {},
  ) {
    this.o = {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 250,
      acceptablePauseMs: options.acceptablePauseMs ?? 1_500,
      phiThreshold: options.phiThreshold ?? 8,
      minStdDeviationMs: options.minStdDeviationMs ?? 100,
      joinRetryMs: options.joinRetryMs ?? 500,
    };
    this.self = { node: nodeName, endpoint, incarnation, status: 'joining' };
    this.table.set(nodeName, { member: this.self, detector: null });
  }

  get selfMember(): Member { return this.self; }

  members(): Member[] {
    return [...this.table.values()].map((e) => e.member).sort((a, b) => (a.node < b.node ? -1 : 1));
  }

  endpointOf(node: string): string | undefined {
    return this.table.get(node)?.member.endpoint;
  }

  isUp(node: string): boolean {
    const s = this.table.get(node)?.member.status;
    return s === 'up' || s === 'leaving' || s === 'joining';
  }

  /** Resolves once this node is up (welcomed by a seed, or the first seed itself); see {@link WhenUpOptions}. */
  whenUp(options: WhenUpOptions = {}): Promise<void> {
    if (this.self.status !== 'joining') return Promise.resolve();
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && !(timeoutMs > 0)) return Promise.reject(new TroupeError('invalid-argument', `whenUp: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`));
    return new Promise((resolve, reject) => {
      let timer: TimerId | null = null;
      const waiter = (): void => { if (timer !== null) this.scheduler.cancelTimer(timer); resolve(); };
      this.upWaiters.push(waiter);
      if (timeoutMs === undefined || timeoutMs === Infinity) return;
      timer = this.scheduler.startTimer(timeoutMs, () => {
        this.upWaiters = this.upWaiters.filter((w) => w !== waiter);
        reject(this.joinTimeout(timeoutMs));
      });
    });
  }

  private joinTimeout(timeoutMs: number): TroupeError {
    const others = this.seeds.filter((s) => s !== this.self.endpoint);
    const reasons = [...this.problems.values()];
    if (reasons.length === 0) {
      reasons.push({ reason: 'unreachable', remote: others.join(','), detail: 'No seed welcomed this node; check that the seeds run and listen at these endpoints.' });
    }
    const summary = reasons.map((r) => `${r.reason} (${r.remote})`).join(', ');
    return new TroupeError('join-timeout', `Node ${this.self.node} did not join the cluster within ${timeoutMs} ms through seeds [${others.join(', ')}]: ${summary}. Check the cluster secret, the message registries and the seed endpoints.`,
      { node: this.self.node, seeds: others, timeoutMs, reasons });
  }

  private problem(p: JoinProblem): void {
    if (this.self.status !== 'joining') return;
    this.problems.delete(`${p.reason}|${p.remote}`);
    this.problems.set(`${p.reason}|${p.remote}`, p);
    if (this.problems.size > 32) this.problems.delete(this.problems.keys().next().value!);
  }

  start(): void {
    const others = this.seeds.filter((s) => s !== this.self.endpoint);
    if (others.length === 0 || this.seeds[0] === this.self.endpoint) this.becomeUp();
    if (others.length > 0) this.sendJoin(others);
    this.tick();
  }

  /** Announces leaving, then removal; the caller stops the node in between. */
  announce(status: 'leaving' | 'removed'): void {
    this.self = { ...this.self, status };
    this.table.set(this.self.node, { member: this.self, detector: null });
    this.gossipToAll();
  }

  stop(): void {
    if (this.timer !== null) this.scheduler.cancelTimer(this.timer);
    this.timer = null;
    this.events.complete();
  }

  /** A connect to `endpoint` was refused: the member there is not running any more. */
  endpointRefused(endpoint: string): void {
    for (const e of this.table.values()) {
      // a member that announced it is leaving has gone as it said: removed, never down
      if (e.member.endpoint === endpoint && e.member.node !== this.self.node && (e.member.status === 'up' || e.member.status === 'joining' || e.member.status === 'leaving')) this.setStatus(e, e.member.status === 'leaving' ? 'removed' : 'down');
    }
    if (this.seeds.includes(endpoint)) this.problem({ reason: 'refused', remote: endpoint, detail: 'Nothing listens at this seed endpoint.' });
  }

  reportRejected(remote: string, reason: string, detail: string): void {
    const event: ClusterEvent = { type: 'link-rejected', remote, reason, detail, atMs: this.scheduler.clock.now() };
    if (STICKY_REJECTIONS.has(reason)) this.remember(`rejected|${remote}`, event);
    this.problem({ reason, remote, detail });
    this.events.next(event);
  }

  private remember(key: string, event: ClusterEvent): void {
    this.sticky.delete(key);
    this.sticky.set(key, event);
    if (this.sticky.size > 64) this.sticky.delete(this.sticky.keys().next().value!);
  }

  reportDropped(peer: string, reason: InputDropReason, detail: string): void {
    this.events.next({ type: 'input-dropped', peer, reason, detail, atMs: this.scheduler.clock.now() });
  }

  // ---- protocol ------------------------------------------------------------------------------

  /** Handles one cluster message from a peer; returns why it was dropped (wholly or partly), if it was. */
  onMessage(_peer: string, type: string, payload: unknown): string | undefined {
    const p = payload as Record<string, unknown> | null;
    const bad = (why: string): string => `cluster message '${type.slice(0, 80)}' dropped: ${why}`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return bad('its payload is not an object');
    switch (type) {
      case 'cluster.join': {
        const m = asMember(p.member);
        if (!m) return bad('`member` is not { node, endpoint, incarnation, status }');
        const manifestProblem = this.checkManifest(m.node, p.manifest);
        this.merge([{ ...m, status: 'up' }]);
        this.heartbeatFrom(m.node);
        this.link.sendToEndpoint(m.endpoint, 'cluster.welcome', { ...this.gossip(), manifest: this.manifest });
        return manifestProblem;
      }
      case 'cluster.welcome':
      case 'cluster.heartbeat': {
        const g = p as unknown as Gossip;
        if (typeof g.from !== 'string' || !Array.isArray(g.members)) return bad('`from` is not a string or `members` not an array');
        const manifestProblem = type === 'cluster.welcome' ? this.checkManifest(g.from, p.manifest) : undefined;
        if (type === 'cluster.welcome') this.welcomed = true;
        const members = g.members.map(asMember).filter((m): m is Member => m !== undefined);
        this.merge(members);
        this.heartbeatFrom(g.from);
        if (type === 'cluster.welcome') this.becomeUp();
        if (members.length < g.members.length) return bad(`${g.members.length - members.length} of its ${g.members.length} members are not { node, endpoint, incarnation, status } (the others were merged)`);
        return manifestProblem;
      }
      default:
        return bad('unknown cluster message type');
    }
  }

  private heartbeatFrom(node: string): void {
    const e = this.table.get(node);
    if (!e || e.member.status === 'down' || e.member.status === 'removed') return;
    e.detector ??= createPhiAccrualDetector({
      threshold: this.o.phiThreshold,
      minStdDeviationMs: this.o.minStdDeviationMs,
      acceptableHeartbeatPauseMs: this.o.acceptablePauseMs,
      firstHeartbeatEstimateMs: this.o.heartbeatIntervalMs,
    });
    e.detector.heartbeat(this.scheduler.clock.now());
  }

  private merge(members: readonly Member[]): void {
    for (const m of members) {
      if (m.node === this.self.node) continue;
      const e = this.table.get(m.node);
      if (e === undefined || m.incarnation > e.member.incarnation) {
        if (e && e.member.status !== 'down' && e.member.status !== 'removed') this.setStatus(e, 'down');
        const fresh: Entry = { member: { ...m, status: 'joining' }, detector: null };
        this.table.set(m.node, fresh);
        if (m.status !== 'joining') this.setStatus(fresh, m.status);
      } else if (m.incarnation === e.member.incarnation && RANK[m.status] > RANK[e.member.status]) {
        this.setStatus(e, m.status === 'down' && e.member.status === 'leaving' ? 'removed' : m.status);
      }
    }
  }

  private setStatus(e: Entry, status: MemberStatus): void {
    if (e.member.status === status) return;
    const was = e.member.status;
    e.member = { ...e.member, status };
    if (status !== 'up' && status !== 'leaving') e.detector = null;
    const atMs = this.scheduler.clock.now();
    if (status === 'down' || status === 'removed') this.sticky.delete(`incompatible|${e.member.node}`);
    this.events.next({ type: `member-${status}` as 'member-up', member: e.member, atMs });
    if ((status === 'down' || status === 'removed') && was !== 'down' && was !== 'removed') this.onDown(e.member.node);
  }

  private becomeUp(): void {
    if (this.self.status !== 'joining') return;
    this.self = { ...this.self, status: 'up' };
    this.table.set(this.self.node, { member: this.self, detector: null });
    this.events.next({ type: 'member-up', member: this.self, atMs: this.scheduler.clock.now() });
    for (const w of this.upWaiters.splice(0)) w();
  }

  private sendJoin(endpoints: readonly string[]): void {
    for (const ep of endpoints) this.link.sendToEndpoint(ep, 'cluster.join', { member: this.self, manifest: this.manifest });
  }

  private gossip(): Gossip {
    return { from: this.self.node, incarnation: this.self.incarnation, members: this.members() };
  }

  private gossipToAll(): void {
    const g = this.gossip();
    for (const e of this.table.values()) {
      const s = e.member.status;
      if (e.member.node !== this.self.node && (s === 'up' || s === 'joining' || s === 'leaving')) this.link.sendToNode(e.member.node, 'cluster.heartbeat', g);
    }
  }

  private tick = (): void => {
    const now = this.scheduler.clock.now();
    if (!this.welcomed && this.self.status === 'joining') this.sendJoin(this.seeds.filter((s) => s !== this.self.endpoint));
    if (this.self.status === 'up' || this.self.status === 'leaving') {
      this.gossipToAll();
      for (const e of this.table.values()) {
        if (e.detector !== null && (e.member.status === 'up' || e.member.status === 'leaving') && !e.detector.isAvailable(now)) this.setStatus(e, e.member.status === 'leaving' ? 'removed' : 'down');
      }
    }
    this.timer = this.scheduler.startTimer(this.welcomed || this.self.status === 'up' ? this.o.heartbeatIntervalMs : this.o.joinRetryMs, this.tick);
  };

  /** Compares a peer's manifest with this node's; returns why it could not be read, if it could not. */
  private checkManifest(node: string, value: unknown): string | undefined {
    let remote: Manifest;
    try { remote = parseManifest(value); } catch (e) { return (e as Error).message; }
    const incompatibilities = compareManifests(this.manifest, remote);
    if (incompatibilities.length === 0) return undefined;
    const event: ClusterEvent = { type: 'incompatible', node, incompatibilities, atMs: this.scheduler.clock.now() };
    this.remember(`incompatible|${node}`, event);
    this.problem({ reason: 'incompatible', remote: node, detail: incompatibilities.map((i) => i.message).join(' ') });
    this.events.next(event);
    return undefined;
  }
}

function asMember(v: unknown): Member | undefined {
  const m = v as Member | null;
  if (typeof m !== 'object' || m === null) return undefined;
  // hasOwn: a status such as 'toString' or '__proto__' is not a status.
  if (typeof m.node !== 'string' || typeof m.endpoint !== 'string' || !Number.isSafeInteger(m.incarnation) ||
      typeof m.status !== 'string' || !Object.hasOwn(RANK, m.status)) return undefined;
  return { node: m.node, endpoint: m.endpoint, incarnation: m.incarnation, status: m.status };
}
