// Cluster membership: seed nodes, join and leave, member states, heartbeats with a phi-accrual
// failure detector, and gossip of the member table. Small clusters: every node heartbeats every
// other and piggybacks its whole table.

import { Observable, Subject } from 'rxjs';
import type { Scheduler, TimerId } from '../clock.ts';
import { TroupeError } from '../errors.ts';
import { compareManifests, parseManifest, type Manifest, type ManifestIncompatibility } from '../wire/manifest.ts';
import { SplitBrainResolver, type DowningAction, type DowningOptions, type DowningStrategyName } from './downing/resolver.ts';
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
  /** This node's failure detector suspects `member` (`member-unreachable`), or hears it again (`member-reachable`); neither changes its status. */
  | { readonly type: 'member-unreachable' | 'member-reachable'; readonly member: Member; readonly atMs: number }
  /**
   * This node's failure detector's phi for `member` reached the suspect threshold (`member-suspect`,
   * with that `phi`; before it is unreachable), or fell back below it (`member-trusted`, heard again).
   * Neither changes its status; a member downed or removed is no longer suspect, without an event.
   */
  | { readonly type: 'member-suspect'; readonly member: Member; readonly phi: number; readonly atMs: number }
  | { readonly type: 'member-trusted'; readonly member: Member; readonly atMs: number }
  /** This node's split-brain resolver decided: its side survives (`down-unreachable`) or stops (`down-reachable`). */
  | { readonly type: 'downing-decision'; readonly strategy: DowningStrategyName; readonly action: DowningAction; readonly reachable: readonly string[]; readonly unreachable: readonly string[]; readonly atMs: number }
  | { readonly type: 'incompatible'; readonly node: string; readonly incompatibilities: readonly ManifestIncompatibility[]; readonly atMs: number }
  | { readonly type: 'link-rejected'; readonly remote: string; readonly reason: string; readonly detail: string; readonly atMs: number }
  /** Input from trusted peer `peer` (a node id) was dropped unread; the link stays up. */
  | { readonly type: 'input-dropped'; readonly peer: string; readonly reason: InputDropReason; readonly detail: string; readonly atMs: number };

/**
 * Membership settings. Defaults: `heartbeatIntervalMs` 250, `acceptablePauseMs` 1 500,
 * `phiThreshold` 8, `suspectPhiThreshold` half of `phiThreshold` (4), `minStdDeviationMs` 100,
 * `joinRetryMs` 500, `downing` keep-majority after a stable 7 s. With these a node that falls
 * silent is *suspect* (phi ≥ 4: `member-suspect`, `cluster.suspected()`) after about 2.1 s,
 * marked `unreachable` (phi ≥ 8) after about 2.3 s (mean
 * interval + acceptable pause + a few deviations) and downed by the split-brain resolver once the
 * unreachable set has been stable for `downing.stableAfterMs` (see {@link DowningOptions}). A
 * node whose process died is declared down at once when a connect to its endpoint is refused
 * (TCP, simulated network). When this node's own heartbeat tick comes `acceptablePauseMs` or more
 * late (the process was paused), it blames itself: its detectors start afresh instead of
 * suspecting every peer.
 */
export interface MembershipOptions {
  readonly heartbeatIntervalMs?: number;
  readonly acceptablePauseMs?: number;
  readonly phiThreshold?: number;
  /** Phi at and above which a member is suspect (an unreachable member is suspect too); 0 < it ≤ `phiThreshold`, default `phiThreshold / 2`. */
  readonly suspectPhiThreshold?: number;
  readonly minStdDeviationMs?: number;
  readonly joinRetryMs?: number;
  /** Which side of a partition survives; default `{ strategy: 'keep-majority', stableAfterMs: 7_000 }`. */
  readonly downing?: DowningOptions;
}

/** What membership needs to talk to other nodes. */
export interface MembershipLink {
  sendToNode(node: string, type: string, payload: unknown): boolean;
  sendToEndpoint(endpoint: string, type: string, payload: unknown): boolean;
}

interface Entry { member: Member; detector: PhiAccrualDetector | null; reachable: boolean; suspect?: boolean }

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
  private readonly o: Required<Omit<MembershipOptions, 'downing'>>;
  private readonly resolver: SplitBrainResolver;
  private lastTickMs: number | undefined;
  /** A member went down or was removed; `certain` when its process is known to be gone (a refused connect). */
  onDown: (node: string, certain: boolean) => void = () => {};
  /** A member became unreachable from here. */
  onUnreachable: (node: string) => void = () => {};
  /** This node was downed (by its own resolver or a peer's): it must stop; a restart rejoins as a new incarnation. */
  onSelfDown: () => void = () => {};
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
      suspectPhiThreshold: options.suspectPhiThreshold ?? (options.phiThreshold ?? 8) / 2,
      minStdDeviationMs: options.minStdDeviationMs ?? 100,
      joinRetryMs: options.joinRetryMs ?? 500,
    };
    const suspectAt = this.o.suspectPhiThreshold;
    if (typeof suspectAt !== 'number' || !(suspectAt > 0) || !(suspectAt <= this.o.phiThreshold)) {
      throw new TroupeError('invalid-argument', `membership.suspectPhiThreshold must be a number > 0 and ≤ phiThreshold (${this.o.phiThreshold}); default phiThreshold / 2, got ${String(suspectAt)}.`);
    }
    this.resolver = new SplitBrainResolver(options.downing ?? { strategy: 'keep-majority' }, scheduler);
    this.self = { node: nodeName, endpoint, incarnation, status: 'joining' };
    this.table.set(nodeName, { member: this.self, detector: null, reachable: true });
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

  /** A member (not down) that this node's failure detector does not suspect. */
  isReachable(node: string): boolean {
    return this.isUp(node) && this.table.get(node)!.reachable;
  }

  /** Members (not down) whose phi reached the suspect threshold here, or that are unreachable; sorted. */
  suspected(): string[] {
    return [...this.table.values()].filter((e) => (e.suspect === true || !e.reachable) && this.isUp(e.member.node)).map((e) => e.member.node).sort();
  }

  /** The members this node's failure detector suspects (not yet down), sorted. */
  unreachable(): string[] {
    return [...this.table.values()].filter((e) => !e.reachable && this.isUp(e.member.node)).map((e) => e.member.node).sort();
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
    this.table.set(this.self.node, { member: this.self, detector: null, reachable: true });
    this.gossipToAll();
  }

  stop(): void {
    if (this.timer !== null) this.scheduler.cancelTimer(this.timer);
    this.timer = null;
    this.resolver.stop();
    this.events.complete();
  }

  /** A connect to `endpoint` was refused: the member there is not running any more. */
  endpointRefused(endpoint: string): void {
    for (const e of this.table.values()) {
      // a member that announced it is leaving has gone as it said: removed, never down
      if (e.member.endpoint === endpoint && e.member.node !== this.self.node && (e.member.status === 'up' || e.member.status === 'joining' || e.member.status === 'leaving')) this.setStatus(e, e.member.status === 'leaving' ? 'removed' : 'down', true);
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
        // only a member that is up welcomes: two restarted nodes that are still joining must not
        // welcome each other into a cluster of their own
        if (this.self.status !== 'up') return undefined;
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
        this.tellIfDown(g.from, g.incarnation);
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
    e.detector ??= this.detector();
    const now = this.scheduler.clock.now();
    e.detector.heartbeat(now);
    if (!e.reachable && e.detector.isAvailable(now)) this.setReachable(e, true);
    if (e.suspect === true && e.detector.phi(now) < this.o.suspectPhiThreshold) this.setSuspect(e, false, 0);
  }

  /** A fresh detector that has seen its member once, now: a member is judged from first sight, heartbeat or not. */
  private detector(): PhiAccrualDetector {
    const d = createPhiAccrualDetector({
      threshold: this.o.phiThreshold,
      minStdDeviationMs: this.o.minStdDeviationMs,
      acceptableHeartbeatPauseMs: this.o.acceptablePauseMs,
      firstHeartbeatEstimateMs: this.o.heartbeatIntervalMs,
    });
    d.heartbeat(this.scheduler.clock.now());
    return d;
  }

  /** A member this node holds down still talks (it was paused or cut off): tell it, so it stops and rejoins. */
  private tellIfDown(node: string, incarnation: unknown): void {
    const e = this.table.get(node);
    if (e !== undefined && e.member.status === 'down' && e.member.incarnation === incarnation) this.link.sendToEndpoint(e.member.endpoint, 'cluster.heartbeat', this.gossip());
  }

  private setReachable(e: Entry, reachable: boolean): void {
    if (e.reachable === reachable) return;
    e.reachable = reachable;
    this.events.next({ type: reachable ? 'member-reachable' : 'member-unreachable', member: e.member, atMs: this.scheduler.clock.now() });
    if (!reachable) this.onUnreachable(e.member.node);
  }

  private setSuspect(e: Entry, suspect: boolean, phi: number): void {
    if ((e.suspect === true) === suspect) return;
    e.suspect = suspect;
    const atMs = this.scheduler.clock.now();
    this.events.next(suspect ? { type: 'member-suspect', member: e.member, phi, atMs } : { type: 'member-trusted', member: e.member, atMs });
  }

  private merge(members: readonly Member[]): void {
    for (const m of members) {
      if (m.node === this.self.node) {
        if (m.incarnation === this.self.incarnation && m.status === 'down') this.downSelf();
        continue;
      }
      const e = this.table.get(m.node);
      if (e === undefined || m.incarnation > e.member.incarnation) {
        if (e && e.member.status !== 'down' && e.member.status !== 'removed') this.setStatus(e, 'down', true); // it restarted: the old one is gone
        const fresh: Entry = { member: { ...m, status: 'joining' }, detector: null, reachable: true };
        this.table.set(m.node, fresh);
        if (m.status !== 'joining') this.setStatus(fresh, m.status);
      } else if (m.incarnation === e.member.incarnation && RANK[m.status] > RANK[e.member.status]) {
        this.setStatus(e, m.status === 'down' && e.member.status === 'leaving' ? 'removed' : m.status);
      }
    }
  }

  private setStatus(e: Entry, status: MemberStatus, certain = false): void {
    if (e.member.status === status) return;
    const was = e.member.status;
    e.member = { ...e.member, status };
    if (status !== 'up' && status !== 'leaving') { e.detector = null; e.reachable = true; e.suspect = false; }
    else e.detector ??= this.detector();
    const atMs = this.scheduler.clock.now();
    if (status === 'down' || status === 'removed') this.sticky.delete(`incompatible|${e.member.node}`);
    this.events.next({ type: `member-${status}` as 'member-up', member: e.member, atMs });
    if ((status === 'down' || status === 'removed') && was !== 'down' && was !== 'removed') this.onDown(e.member.node, certain);
  }

  private becomeUp(): void {
    if (this.self.status !== 'joining') return;
    this.self = { ...this.self, status: 'up' };
    this.table.set(this.self.node, { member: this.self, detector: null, reachable: true });
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
    const paused = this.lastTickMs !== undefined && now - this.lastTickMs >= this.o.acceptablePauseMs;
    this.lastTickMs = now;
    if (!this.welcomed && this.self.status === 'joining') this.sendJoin(this.seeds.filter((s) => s !== this.self.endpoint));
    if (this.self.status === 'up' || this.self.status === 'leaving') {
      this.gossipToAll();
      if (paused) {
        // This node's own tick came late: its process was paused (or starved), so the silence it
        // measured is its own. It forgets its suspicions and judges afresh from the heartbeats
        // waiting in its sockets, instead of accusing every peer.
        for (const e of this.table.values()) if (e.detector !== null) { e.detector = this.detector(); this.setReachable(e, true); this.setSuspect(e, false, 0); }
        this.resolver.reset();
      }
      for (const e of this.table.values()) {
        if (e.detector === null || (e.member.status !== 'up' && e.member.status !== 'leaving')) continue;
        if (e.detector.isAvailable(now)) this.setReachable(e, true);
        else if (e.member.status === 'leaving') { this.setStatus(e, 'removed'); continue; } // it said it was going
        else this.setReachable(e, false);
        const phi = e.detector.phi(now);
        this.setSuspect(e, !e.reachable || phi >= this.o.suspectPhiThreshold, phi);
      }
      if (this.self.status === 'up') this.resolver.evaluate(this.downingView(), now, this.applyDowning);
    }
    if (this.self.status === 'down') return;
    this.timer = this.scheduler.startTimer(this.welcomed || this.self.status === 'up' ? this.o.heartbeatIntervalMs : this.o.joinRetryMs, this.tick);
  };

  private downingView(): { self: string; members: { node: string; incarnation: number; reachable: boolean }[] } {
    const members = [...this.table.values()]
      .filter((e) => e.member.status === 'up' || e.member.status === 'leaving')
      .map((e) => ({ node: e.member.node, incarnation: e.member.incarnation, reachable: e.reachable }));
    return { self: this.self.node, members };
  }

  private readonly applyDowning = (action: DowningAction): void => {
    if (this.self.status !== 'up') return;
    const others = [...this.table.values()].filter((e) => e.member.node !== this.self.node && (e.member.status === 'up' || e.member.status === 'leaving'));
    const unreachable = others.filter((e) => !e.reachable);
    const reachable = others.filter((e) => e.reachable);
    this.events.next({ type: 'downing-decision', strategy: this.resolver.strategy, action, reachable: [this.self.node, ...reachable.map((e) => e.member.node)].sort(), unreachable: unreachable.map((e) => e.member.node).sort(), atMs: this.scheduler.clock.now() });
    if (action === 'down-unreachable') {
      for (const e of unreachable) this.setStatus(e, e.member.status === 'leaving' ? 'removed' : 'down');
      this.gossipToAll();
      return;
    }
    // This side loses: it downs itself and tells the members it can reach, which stop too.
    for (const e of reachable) this.setStatus(e, 'down');
    const g: Gossip = { ...this.gossip(), members: this.members().map((m) => (m.node === this.self.node ? { ...m, status: 'down' } : m)) };
    for (const e of reachable) this.link.sendToEndpoint(e.member.endpoint, 'cluster.heartbeat', g);
    this.downSelf();
  };

  /** This node is down (by its own resolver or a peer's gossip): it stops judging and tells its owner. */
  private downSelf(): void {
    if (this.self.status === 'down' || this.self.status === 'removed') return;
    this.self = { ...this.self, status: 'down' };
    this.table.set(this.self.node, { member: this.self, detector: null, reachable: true });
    if (this.timer !== null) this.scheduler.cancelTimer(this.timer);
    this.timer = null;
    this.resolver.stop();
    this.events.next({ type: 'member-down', member: this.self, atMs: this.scheduler.clock.now() });
    this.onSelfDown();
  }

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
