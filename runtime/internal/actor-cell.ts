// The actor cell: one live actor. It owns the mailbox and state, runs turns for the dispatcher,
// and carries out lifecycle (start, restart, stop) and supervision of its children. It is also
// the `ctx` its behavior sees (one object per actor keeps idle actors small).
// Over 400 lines on purpose: delivery, turn and lifecycle share the flags and must be read together.
// The supervisor side (directives, group restarts, the dynamic child API) is in supervision.ts.

import { ActorRef } from '../actor-ref.ts';
import type { Address } from '../address.ts';
import { askProcess, type AskOptions } from '../ask.ts';
import { IGNORE, type ActorDefinition, type Signal, type TerminationReason } from '../behavior.ts';
import type { ActorContext, TimerScheduler } from '../context.ts';
import type { Logger } from 'pino';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { resolveSpawnOptions, validateName, type ResolvedSpawnOptions, type SpawnOptions } from '../spawn-options.ts';
import type { ActorSystem } from '../system.ts';
import type { Mailbox } from '../../mailboxes/mailbox.ts';
import { createMailbox } from '../../mailboxes/create-mailbox.ts';
import { BulkheadGate, type PermitWaiter } from '../../supervisors/bulkhead.ts';
import { CellTimers } from './cell-timers.ts';
import { DELIVERED_DEAD, type DeliveryResult, type Process, type SystemMessage } from './process.ts';
import type { SystemCore } from './system-core.ts';
import { Supervising, type GroupRestart } from './supervision.ts';
import { HandlerThrew } from '../observe/tracing.ts';
import { ProbeLane, type LaneCell, type LaneTask } from './probe-lane.ts';
import type { TraceIds } from '../observe/trace-context.ts';

/**
 * Cell flags. INITED: init ran and its state is live. GROUP: a group restart of its children is
 * stopping them (OTP's supervisor is busy then). PROBING: its probe lane holds a request; TIMING:
 * its next messages are timed (either sends its turns through {@link ActorCell.laneTurn}).
 */
export const SCHEDULED = 1, BUSY = 2, SUSPENDED = 4, STOPPING = 8, DEAD = 16, PARKED = 32, PERMIT = 64, INITED = 128, GROUP = 256, BY_ITSELF = 512,
  PROBING = 1024, TIMING = 2048;
const NOT_RUNNABLE = BUSY | SUSPENDED | STOPPING | DEAD | PARKED | GROUP;
const LANE = PROBING | TIMING;
export const NORMAL: TerminationReason = Object.freeze({ kind: 'normal' });
export const SHUTDOWN: TerminationReason = Object.freeze({ kind: 'shutdown' });
const KILLED: TerminationReason = Object.freeze({ kind: 'killed' });

/** Rarely used parts of a cell, allocated on first use so idle actors stay small. */
export interface Extras {
  watchers: Set<Process> | null;
  watching: Map<Process, unknown> | null;
  timers: CellTimers | null;
  stash: unknown[] | null;
  /** As a supervisor: times of recent restarts (intensity window); emptied when this actor restarts. */
  restartTimes: number[];
  restarts: number;
  shutdownTimers: Map<ActorCell, unknown> | null;
  /** Its supervisor asked it to tear down for a restart (set by the supervisor, cleared when done or forced). */
  tearDownRequested: boolean;
  /** The cause of the tear-down in progress. */
  restarting: { cause: unknown } | null;
  autoName: number;
  /** Children still to stop, oldest first (newest on top); built when a stop or restart starts. */
  stopOrder: ActorCell[] | null;
  /** As a supervisor: the group restart in its stop phase, and system messages put off until it ends. */
  group: GroupRestart | null;
  deferred: SystemMessage[] | null;
  /** As a child: the group restart whose start it waits for (backoff), and its backoff counters. */
  pendingStart: GroupRestart | null;
  backoffAttempts: number;
  lastStartMs: number;
  /** While waiting out a backoff: how many messages it keeps (-1: not waiting). */
  backoffCap: number;
  /** `terminated` signals that arrived while it had no live state (restarting); given to the new state. */
  pendingSignals: Signal[] | null;
  /** As a supervisor: callbacks waiting for a child's termination (terminateChild). */
  onTerminated: Map<ActorCell, (() => void)[]> | null;
  /** Its probe lane (a definition with probe hooks), made at the first probe, error or restart. */
  lane: ProbeLane | null;
}

export class ActorCell implements Process, ActorContext<unknown>, PermitWaiter, LaneCell {
  readonly ref: ActorRef<unknown>;
  readonly mailbox: Mailbox;
  state: unknown = undefined;
  flags = 0;
  private sysq: SystemMessage[] | null = null;
  kids: Map<string, ActorCell> | null = null;
  x: Extras | null = null;
  /** Why it stopped or is stopping (its own stop is flagged BY_ITSELF); read by watches that arrive after death. */
  stopReason: TerminationReason = NORMAL;
  /** Incarnation: bumped at each (re)start, so failures and async results of an old one are ignored. */
  epoch = 0;
  private addr: Address | null = null;
  readonly gate: BulkheadGate | null;

  constructor(
    readonly host: SystemCore,
    readonly parentCell: ActorCell | null,
    readonly name: string,
    readonly def: ActorDefinition<unknown, unknown>,
    readonly opts: ResolvedSpawnOptions,
    readonly uid: number,
  ) {
    this.ref = new ActorRef(this);
    const parentGate = parentCell === null ? null : parentCell.childGate();
    this.gate = parentGate;
    this.mailbox = createMailbox(opts.mailbox ?? def.mailbox, parentGate === null ? Infinity : parentGate.limits.maxMailbox);
    if (this.mailbox.onEvict === null && (opts.mailbox ?? def.mailbox).kind !== 'unbounded') {
      this.mailbox.onEvict = (m) => host.deadLetter(this, m, 'mailbox-evicted');
    }
  }

  // ---- identity ----------------------------------------------------------------------------

  get path(): string {
    return this.parentCell === null ? `/${this.name}` : `${this.parentCell.path}/${this.name}`;
  }

  get address(): Address {
    return this.addr ??= { system: this.host.name, node: this.host.node, path: this.path, uid: this.uid };
  }

  get alive(): boolean { return (this.flags & DEAD) === 0; }
  get restarts(): number { return this.x?.restarts ?? 0; }
  get stashSize(): number { return this.x?.stash?.length ?? 0; }

  extras(): Extras {
    return this.x ??= {
      watchers: null, watching: null, timers: null, stash: null, restartTimes: [], restarts: 0,
      shutdownTimers: null, tearDownRequested: false, restarting: null, autoName: 0,
      stopOrder: null, group: null, deferred: null, pendingStart: null, backoffAttempts: 0, lastStartMs: 0, backoffCap: -1,
      pendingSignals: null, onTerminated: null, lane: null,
    };
  }

  /** The supervisor side of this cell (children, directives, group restarts); one per cell that has children. */
  private sup: Supervising | null = null;
  get supervising(): Supervising { return this.sup ??= new Supervising(this); }

  /** The bulkhead gate that governs this actor's children: its own if it declares one, else its parent's. */
  private gateCache: BulkheadGate | null | undefined = undefined;
  childGate(): BulkheadGate | null {
    if (this.gateCache === undefined) {
      const b = this.def.supervision.bulkhead;
      this.gateCache = b ? new BulkheadGate(b) : this.gate;
    }
    return this.gateCache;
  }

  // ---- delivery ----------------------------------------------------------------------------

  deliverUser(msg: unknown): DeliveryResult {
    if ((this.flags & (DEAD | STOPPING | SUSPENDED)) !== 0) {
      if ((this.flags & (DEAD | STOPPING)) !== 0) {
        this.host.deadLetter(this, msg, 'actor-stopped');
        return DELIVERED_DEAD;
      }
      // waiting out a restart backoff: keep at most the backoff's stash capacity (Pekko drops beyond it)
      const cap = this.x?.backoffCap ?? -1;
      if (cap >= 0 && this.mailbox.size >= cap) {
        this.host.deadLetter(this, msg, 'backoff-overflow');
        return 2;
      }
    }
    const r = this.mailbox.offer(msg);
    if (r === 0 || r === 3) {
      if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0) {
        this.flags |= SCHEDULED;
        this.host.dispatcher.schedule(this);
      }
    } else {
      this.host.deadLetter(this, msg, 'mailbox-full');
    }
    return r;
  }

  deliverSystem(msg: SystemMessage): void {
    if ((this.flags & DEAD) !== 0) { this.afterDeath(msg); return; }
    (this.sysq ??= []).push(msg);
    if ((this.flags & SCHEDULED) === 0) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
  }

  /** A system message that reaches a dead actor still needs its answer. */
  private afterDeath(msg: SystemMessage): void {
    if (msg.type === 'watch') msg.watcher.deliverSystem({ type: 'terminated', ref: this.ref as ActorRef<never>, reason: this.stopReason });
  }

  /**
   * A lane request (see probe-lane.ts), answered once the messages queued before it are handled:
   * a task, or a probe request when the definition has probe hooks (else it is an ordinary user message).
   */
  deliverProbe(request: unknown): DeliveryResult {
    const task = typeof request === 'function';
    if (!task && this.def.probes === undefined) return this.deliverUser(request);
    if ((this.flags & (DEAD | STOPPING)) !== 0) {
      if (!task) this.host.deadLetter(this, request, 'actor-stopped');
      return DELIVERED_DEAD;
    }
    this.probeLane().add(request);
    return 0;
  }

  /** Its probe lane, made on first use. */
  probeLane(): ProbeLane {
    const x = this.extras();
    return x.lane ??= new ProbeLane(this);
  }

  /** The lane's flags follow its state; a pending request gets the actor a turn (it may be due now). */
  laneChanged(): void {
    this.syncLaneFlags();
    if ((this.flags & PROBING) !== 0 && (this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
  }

  private syncLaneFlags(): void {
    const lane = this.x!.lane!;
    this.flags = (this.flags & ~LANE) | (lane.pending.length > 0 ? PROBING : 0) | (lane.timeLeft > 0 ? TIMING : 0);
  }

  /** The gate hands this cell a permit (already counted); a cell that died while parked gives it back. */
  wake(): void {
    if ((this.flags & DEAD) !== 0) { this.gate!.release(); return; }
    this.flags = (this.flags & ~PARKED) | PERMIT;
    if ((this.flags & SCHEDULED) === 0) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
  }

  // ---- turns -------------------------------------------------------------------------------

  /** Messages waiting (user and system lanes); the dispatcher watches it while it yields. */
  get backlog(): number { return this.mailbox.size + (this.sysq === null ? 0 : this.sysq.length); }

  runTurn(): number {
    this.flags &= ~SCHEDULED;
    if (this.sysq !== null) this.processSystem();
    // One test covers the probe lane too: its turns take laneTurn (the loop below stays as it is).
    if ((this.flags & (NOT_RUNNABLE | LANE)) !== 0 || this.mailbox.size === 0) {
      if ((this.flags & (NOT_RUNNABLE | LANE)) > 0 && (this.flags & NOT_RUNNABLE) === 0) return this.laneTurn();
      const gate = this.gate;
      // a permit handed over by wake() that this turn cannot use goes back to the gate
      if (gate !== null && (this.flags & (PERMIT | BUSY)) === PERMIT) { this.flags &= ~PERMIT; gate.release(); }
      return 0;
    }
    const gate = this.gate;
    if (gate !== null && (this.flags & PERMIT) === 0) {
      if (!gate.acquire(this)) { this.flags |= PARKED; return 0; }
      this.flags |= PERMIT;
    }
    const tp = this.host.dispatcher.throughput;
    const mb = this.mailbox;
    // Observability (metrics, log context) works per turn; `now` holds the message being handled
    // for log lines (null when nothing logs). One null check when both are off.
    const obs = this.host.observer;
    const now = obs === null ? null : obs.turnStarted(this);
    let n = 0;
    while (n < tp && mb.size > 0) {
      n++;
      this.invoke(mb.take(), now);
      if ((this.flags & NOT_RUNNABLE) !== 0) break;
      if (this.sysq !== null) {
        this.processSystem();
        if ((this.flags & NOT_RUNNABLE) !== 0) break;
      }
    }
    if (obs !== null) obs.turnEnded(this, n);
    if (gate !== null && (this.flags & (PERMIT | BUSY)) === PERMIT) { this.flags &= ~PERMIT; gate.release(); }
    if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0 && mb.size > 0) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
    return n;
  }

  /**
   * A turn while the probe lane has work: like runTurn's, but it answers the requests that are due
   * (every message ahead of them handled, no handler in flight) and times the messages the lane
   * asks for. Kept apart so that the common turn carries no probe test per message.
   */
  private laneTurn(): number {
    const lane = this.x!.lane!;
    const mb = this.mailbox;
    const gate = this.gate;
    if ((this.flags & PROBING) !== 0) this.answerDue(lane);
    if ((this.flags & NOT_RUNNABLE) !== 0 || mb.size === 0) {
      if (gate !== null && (this.flags & (PERMIT | BUSY)) === PERMIT) { this.flags &= ~PERMIT; gate.release(); }
      return 0;
    }
    if (gate !== null && (this.flags & PERMIT) === 0) {
      if (!gate.acquire(this)) { this.flags |= PARKED; return 0; }
      this.flags |= PERMIT;
    }
    const tp = this.host.dispatcher.throughput;
    const obs = this.host.observer;
    const now = obs === null ? null : obs.turnStarted(this);
    let n = 0;
    while (n < tp && mb.size > 0) {
      n++;
      if (lane.timeLeft > 0) this.invokeTimed(lane, mb.take(), now);
      else this.invoke(mb.take(), now);
      if ((this.flags & NOT_RUNNABLE) !== 0) break;
      if ((this.flags & PROBING) !== 0) this.answerDue(lane);
      if (this.sysq !== null) {
        this.processSystem();
        if ((this.flags & NOT_RUNNABLE) !== 0) break;
      }
    }
    if (obs !== null) obs.turnEnded(this, n);
    if (gate !== null && (this.flags & (PERMIT | BUSY)) === PERMIT) { this.flags &= ~PERMIT; gate.release(); }
    if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0 && mb.size > 0) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
    return n;
  }

  /** Answers the lane's due requests, oldest first (the state is live and no handler runs). */
  private answerDue(lane: ProbeLane): void {
    if ((this.flags & INITED) === 0) return;
    for (let r = lane.takeDue(); r !== undefined; r = lane.takeDue()) {
      if (typeof r === 'function') (r as LaneTask)(lane.processed);
      else this.def.probes!.answer(this.state, r, this, lane);
    }
    this.syncLaneFlags();
  }

  /** Runs one message timed to its end (an async handler's end is taken in asyncDone). */
  private invokeTimed(lane: ProbeLane, msg: unknown, now: { msg: unknown } | null): void {
    const clock = this.host.clock;
    const t0 = clock.now();
    this.invoke(msg, now);
    if ((this.flags & BUSY) !== 0) { lane.asyncT0 = t0; lane.asyncEpoch = this.epoch; }
    else {
      const t1 = clock.now();
      this.def.probes!.timed(lane, t1 - t0, t1);
    }
    if (--lane.timeLeft <= 0) { lane.timeLeft = 0; this.syncLaneFlags(); }
  }

  private invoke(msg: unknown, now: { msg: unknown } | null): void {
    // ---- tracing (invoke) -------------------------------------------------------------------
    // On, a message sent in a sampled trace runs in its `process` span (runtime/observe/tracing.ts),
    // which calls handle(); off, this is one null check.
    const tracing = this.host.traceHost;
    if (tracing !== null && tracing.concerns(msg)) { tracing.invoke(this, msg, now); return; }
    // ------------------------------------------------------------------------------------------
    this.handle(msg, now);
  }

  /**
   * Runs the behavior on one message (`now`: the observer's holder of the message being handled,
   * null when nothing logs). Returns the handler's promise when it is async, a HandlerThrew when
   * it threw (the failure is already on its way to the supervisor), else undefined.
   */
  handle(msg: unknown, now: { msg: unknown } | null): unknown {
    const tracer = this.host.tracer;
    if (tracer !== null) tracer.deliver(this.path, msg);
    if (now !== null) now.msg = msg;
    let r: unknown;
    try {
      r = this.def.receive(this.state, msg, this);
    } catch (e) {
      this.fail(e);
      return this.host.traceHost === null ? undefined : new HandlerThrew(e);
    }
    if (r === undefined) return undefined;
    if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') {
      this.flags |= BUSY;
      const epoch = this.epoch;
      const obs = this.host.observer;
      if (obs !== null) obs.wentAsync(this, msg);
      const sim = this.host.sim;
      if (sim === null) {
        (r as PromiseLike<unknown>).then(
          (s) => this.asyncDone(s, undefined, false, epoch),
          (e) => this.asyncDone(undefined, e, true, epoch),
        );
      } else { // a simulation decides when the handler's end is taken in (a crashed node's never is)
        (r as PromiseLike<unknown>).then(
          (s) => sim.resume(this, () => this.asyncDone(s, undefined, false, epoch)),
          (e) => sim.resume(this, () => this.asyncDone(undefined, e, true, epoch)),
        );
      }
      return r;
    }
    this.state = r;
    return undefined;
  }

  private asyncDone(s: unknown, error: unknown, failed: boolean, epoch: number): void {
    const obs = this.host.observer;
    if (obs !== null) obs.settled(this, epoch);
    if ((this.flags & DEAD) !== 0 || epoch !== this.epoch) return; // an abandoned (killed) handler's result
    this.flags &= ~BUSY;
    if (this.gate !== null && (this.flags & PERMIT) !== 0) { this.flags &= ~PERMIT; this.gate.release(); }
    const lane = this.x === null ? null : this.x.lane;
    if (lane !== null && lane.asyncT0 >= 0) {
      if (lane.asyncEpoch === epoch) { const t1 = this.host.clock.now(); this.def.probes!.timed(lane, t1 - lane.asyncT0, t1); }
      lane.asyncT0 = -1;
    }
    if (this.x?.restarting) { this.proceedRestart(); return; }
    if ((this.flags & STOPPING) !== 0 && failed) { this.stopReason = { kind: 'failure', error }; this.continueStop(); return; }
    if (failed) { this.fail(error); return; }
    if (s !== undefined) this.state = s;
    if ((this.flags & STOPPING) !== 0) { this.continueStop(); return; }
    if ((this.flags & SCHEDULED) === 0 && (this.mailbox.size > 0 || this.sysq !== null || (this.flags & PROBING) !== 0)) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
  }

  private processSystem(): void {
    const q = this.sysq!;
    this.sysq = null;
    for (let i = 0; i < q.length; i++) {
      if ((this.flags & DEAD) !== 0) { for (let j = i; j < q.length; j++) this.afterDeath(q[j]); return; }
      this.handleSystem(q[i]);
    }
    if (this.sysq !== null) this.processSystem();
  }

  handleSystem(m: SystemMessage): void {
    switch (m.type) {
      case 'failed': return this.supervising.childFailed(m.child as ActorCell, m.error, m.epoch, m);
      case 'child-terminated': return this.supervising.childTerminated(m.child as ActorCell, m.reason, m.byItself, m);
      case 'child-torn-down': return this.supervising.childTornDown(m.child as ActorCell);
      case 'stop': return this.beginStop(m.reason, m.byItself);
      case 'watch': (this.extras().watchers ??= new Set()).add(m.watcher); return;
      case 'unwatch': this.x?.watchers?.delete(m.watcher); return;
      case 'terminated': return this.watchedTerminated(m.ref, m.reason);
      case 'resume':
        if ((this.flags & (STOPPING | DEAD)) === 0 && (this.flags & INITED) !== 0) this.flags &= ~SUSPENDED;
        return;
      case 'restart': return this.beginRestart(m.cause);
    }
  }

  // ---- start, failure, restart (the child side) --------------------------------------------

  /**
   * First start: init and the `started` signal. Returns undefined when it runs, {@link IGNORE} when
   * init chose not to start, or `{ error }` when init or the signal threw.
   */
  firstStart(): undefined | 'ignored' | { error: unknown } {
    let r: unknown;
    try {
      r = this.def.init(this);
    } catch (e) {
      return { error: e };
    }
    if (r === IGNORE) return 'ignored';
    this.state = r;
    this.flags |= INITED;
    try {
      this.signal({ type: 'started' });
    } catch (e) {
      return { error: e };
    }
    return undefined;
  }

  /**
   * A start that failed: nothing is left running. The cell stops the children its init spawned
   * (their hooks run) and dies with the failure; its supervisor has already let go of it.
   */
  abandonStart(error: unknown): void {
    const h = this.host;
    this.flags = (this.flags & ~INITED) | SUSPENDED;
    if (h.observed) h.emit({ type: 'failed', path: this.path, error, atMs: h.clock.now() });
    this.beginStop({ kind: 'failure', error }, false);
  }

  /** init chose not to start: the cell is dead from the outset (no hooks), its watchers see `normal`. */
  abandonIgnored(): void {
    this.flags |= DEAD;
    this.release(NORMAL);
  }

  fail(error: unknown): void {
    if ((this.flags & DEAD) !== 0) return;
    this.flags |= SUSPENDED;
    const h = this.host;
    if (this.def.probes !== undefined) this.def.probes.failed(this.probeLane(), h.clock.now());
    if (h.observed) h.emit({ type: 'failed', path: this.path, error, atMs: h.clock.now() });
    if ((this.flags & STOPPING) !== 0) { this.stopReason = { kind: 'failure', error }; this.continueStop(); return; }
    if (this.parentCell !== null) this.parentCell.deliverSystem({ type: 'failed', child: this, error, epoch: this.epoch });
    else h.guardianFailed(error);
  }

  /** Its supervisor asks it to tear down for a restart: pre-restart hook, children stopped, then it reports back. */
  private beginRestart(cause: unknown): void {
    const x = this.x;
    if ((this.flags & (STOPPING | DEAD)) !== 0 || x === null || !x.tearDownRequested || x.restarting !== null) return;
    this.flags |= SUSPENDED;
    x.restarting = { cause };
    // A sibling's failure can restart this actor while its async handler is in flight: the
    // restart goes on when that handler settles (or its shutdown expires), and its result is discarded.
    if ((this.flags & BUSY) === 0) this.proceedRestart();
  }

  private proceedRestart(): void {
    const x = this.x!;
    x.timers?.cancelAll();
    if ((this.flags & INITED) !== 0) this.signal({ type: 'pre-restart', cause: x.restarting!.cause });
    if (x.stash !== null && x.stash.length > 0) this.putBack(x);
    this.stopChildrenThen();
  }

  /** Tear-down done: no state, no children; the supervisor starts it again when the whole group is down. */
  private tornDown(): void {
    const x = this.x!;
    x.restarting = null;
    x.tearDownRequested = false;
    this.flags &= ~INITED;
    this.state = undefined;
    this.parentCell!.deliverSystem({ type: 'child-torn-down', child: this });
  }

  /**
   * The tear-down's shutdown expired, or the child is brutal-kill: its subtree is killed without
   * hooks and an in-flight handler is abandoned; then it reports torn down like a finished one.
   */
  forceTearDown(): void {
    const x = this.extras();
    if ((this.flags & (DEAD | STOPPING)) !== 0 || !x.tearDownRequested) return;
    if (this.kids !== null) for (const c of [...this.kids.values()]) c.killQuietly();
    this.kids = null;
    this.sup?.reset();
    if ((this.flags & BUSY) !== 0) {
      this.flags &= ~BUSY;
      if (this.gate !== null && (this.flags & PERMIT) !== 0) { this.flags &= ~PERMIT; this.gate.release(); }
    }
    this.epoch++;
    x.timers?.cancelAll();
    if (x.stash !== null && x.stash.length > 0) this.putBack(x);
    x.stopOrder = null;
    this.flags |= SUSPENDED;
    this.tornDown();
  }

  /**
   * Starts a torn-down (or fresh) incarnation in place: init, the `restarted` signal, then its
   * mailbox runs again. Returns the error when init or the signal threw (the supervisor counts it as
   * a failure of the restart), or undefined. A restarted supervisor starts with an empty restart history.
   */
  restartInit(cause: unknown): unknown {
    const x = this.extras();
    const h = this.host;
    x.tearDownRequested = false;
    x.pendingStart = null;
    x.backoffCap = -1;
    x.restarts++;
    x.lastStartMs = h.clock.now();
    x.restartTimes = [];
    this.epoch++;
    let r: unknown;
    try {
      r = this.def.init(this);
    } catch (e) {
      if (h.observed) h.emit({ type: 'failed', path: this.path, error: e, atMs: h.clock.now() });
      return e;
    }
    if (r === IGNORE) { this.abandonIgnored(); return undefined; }
    this.state = r;
    this.flags |= INITED;
    if (h.observed || h.observer !== null) h.emit({ type: 'restarted', path: this.path, cause, restarts: x.restarts, atMs: h.clock.now() });
    try {
      this.signal({ type: 'restarted', cause });
    } catch (e) {
      if (h.observed) h.emit({ type: 'failed', path: this.path, error: e, atMs: h.clock.now() });
      return e;
    }
    this.flags &= ~SUSPENDED;
    if (this.def.probes !== undefined) this.def.probes.restarted(this.probeLane(), h.clock.now());
    const pending = x.pendingSignals;
    if (pending !== null) { x.pendingSignals = null; for (const s of pending) this.signal(s); }
    if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0 && (this.mailbox.size > 0 || (this.flags & PROBING) !== 0)) { this.flags |= SCHEDULED; h.dispatcher.schedule(this); }
    return undefined;
  }

  // ---- children ----------------------------------------------------------------------------

  spawnChild(def: ActorDefinition<unknown, unknown>, name: string | undefined, options: SpawnOptions | undefined, defaultRestart: 'transient' | 'permanent', keep = false): ActorCell {
    return this.supervising.spawn(def, name, options, defaultRestart, keep);
  }

  /**
   * Stops children one at a time, newest first (OTP order) — or all at once for a pool — and then
   * finishes this actor's stop or tear-down. Linear overall: the children are listed once, in spawn
   * order, and taken off the top; entries that are no longer live are skipped.
   */
  stopChildrenThen(): void {
    if ((this.flags & BUSY) !== 0) return; // continued when the in-flight handler settles
    const kids = this.kids;
    if (kids !== null && kids.size > 0) {
      const x = this.extras();
      if (this.def.supervision.parallelStop) {
        if (x.stopOrder === null) {
          x.stopOrder = [];
          for (const c of [...kids.values()]) if ((c.flags & DEAD) === 0) this.supervising.stopChild(c, SHUTDOWN);
        }
        for (const c of kids.values()) if ((c.flags & DEAD) === 0) return; // not reached often: terminations delete entries first
      } else {
        const order = x.stopOrder ??= [...kids.values()];
        while (order.length > 0) {
          const top = order[order.length - 1];
          if ((top.flags & DEAD) !== 0 || kids.get(top.name) !== top) { order.pop(); continue; }
          this.supervising.stopChild(top, SHUTDOWN);
          return;
        }
      }
    }
    this.kids = null; // a stopped or restarted actor forgets its children's specs (init makes them again)
    this.sup?.reset();
    if (this.x !== null) this.x.stopOrder = null;
    if ((this.flags & STOPPING) !== 0) this.finishStop();
    else if (this.x?.restarting) this.tornDown();
  }

  // ---- stop ----------------------------------------------------------------------------------

  beginStop(reason: TerminationReason, byItself: boolean): void {
    if ((this.flags & (STOPPING | DEAD)) !== 0) return;
    this.flags |= byItself ? STOPPING | BY_ITSELF : STOPPING;
    this.stopReason = reason;
    const x = this.x; // left unallocated when the actor never needed it: a million stops allocate nothing more
    if (x !== null) {
      x.restarting = null;
      x.tearDownRequested = false;
      x.pendingStart = null;
      x.timers?.cancelAll();
    }
    if ((this.flags & INITED) !== 0) this.signal({ type: 'stopping' });
    this.continueStop();
  }

  continueStop(): void {
    if ((this.flags & BUSY) !== 0 || (this.flags & DEAD) !== 0) return;
    this.stopChildrenThen();
  }

  private finishStop(): void {
    if ((this.flags & INITED) !== 0) this.signal({ type: 'stopped' });
    this.die(this.stopReason, (this.flags & BY_ITSELF) !== 0);
  }

  /** Brutal kill (brutal-kill shutdown, or after a shutdown timeout): no hooks, the whole subtree at once. */
  kill(): void {
    if ((this.flags & DEAD) !== 0) return;
    if (this.kids !== null) for (const c of [...this.kids.values()]) c.killQuietly();
    this.kids = null;
    this.die(KILLED, false);
  }

  killQuietly(): void {
    if ((this.flags & DEAD) !== 0) return;
    if (this.kids !== null) for (const c of [...this.kids.values()]) c.killQuietly();
    this.flags |= DEAD;
    this.release(KILLED);
    this.kids = null;
  }

  private die(reason: TerminationReason, byItself: boolean): void {
    this.flags |= DEAD;
    this.release(reason);
    if (this.parentCell !== null) this.parentCell.deliverSystem({ type: 'child-terminated', child: this, reason, byItself });
    else this.host.guardianStopped();
  }

  /** Everything a dead actor lets go of: timers, queued messages (to dead letters), watchers. */
  private release(reason: TerminationReason): void {
    const h = this.host;
    const x = this.x;
    this.stopReason = reason; // read by watches that arrive after death
    if (x !== null) {
      x.stopOrder = null;
      x.timers?.cancelAll();
      if (x.shutdownTimers) for (const t of x.shutdownTimers.values()) h.scheduler.cancelTimer(t as never);
      x.pendingSignals = null;
    }
    if (this.gate !== null && (this.flags & PERMIT) !== 0) { this.flags &= ~PERMIT; this.gate.release(); }
    for (const m of this.mailbox.drain()) h.deadLetter(this, m, 'actor-stopped');
    if (x?.lane) { for (const r of x.lane.takeAll()) if (typeof r !== 'function') h.deadLetter(this, r, 'actor-stopped'); this.flags &= ~LANE; }
    if (x?.stash) for (const m of x.stash) h.deadLetter(this, m, 'stash-dropped');
    const sys = this.sysq;
    this.sysq = null;
    if (sys) for (const m of sys) this.afterDeath(m);
    if (x?.watchers) for (const w of x.watchers) w.deliverSystem({ type: 'terminated', ref: this.ref as ActorRef<never>, reason });
    if (x?.watching) for (const target of x.watching.keys()) target.deliverSystem({ type: 'unwatch', watcher: this });
    if (h.observer !== null) h.observer.retire(this, reason);
    if (h.observed) h.emit({ type: 'stopped', path: this.path, reason: reason.kind, atMs: h.clock.now() });
  }

  // ---- watch ---------------------------------------------------------------------------------

  private watchedTerminated(ref: ActorRef<never>, reason: TerminationReason): void {
    const watching = this.x?.watching;
    if (!watching || !watching.has(ref.proc)) return;
    const custom = watching.get(ref.proc);
    watching.delete(ref.proc);
    if (custom !== undefined) this.deliverUser(custom);
    else if ((this.flags & INITED) === 0 || this.x?.tearDownRequested || this.x?.restarting) {
      (this.extras().pendingSignals ??= []).push({ type: 'terminated', ref, reason }); // restarting: for the new state
    } else this.signal({ type: 'terminated', ref, reason });
  }

  // ---- signals -------------------------------------------------------------------------------

  private signal(s: Signal): void {
    const handler = this.def.signal;
    if (handler === undefined) return;
    try {
      const r = handler(this.state, s, this);
      if (r !== undefined) this.state = r;
    } catch (e) {
      if (s.type === 'started' || s.type === 'restarted') throw e;
      const h = this.host;
      if (h.observed) h.emit({ type: 'hook-failed', path: this.path, signal: s.type, error: e, atMs: h.clock.now() });
    }
  }

  /** Puts the stash back at the front of the mailbox: ahead of the probe requests waiting too. */
  private putBack(x: Extras): void {
    const stash = x.stash!;
    x.stash = null;
    this.mailbox.prepend(stash);
    if (x.lane !== null) x.lane.shift(stash.length);
  }

  // ---- ActorContext --------------------------------------------------------------------------

  get self(): ActorRef<unknown> { return this.ref; }
  get parent(): ActorRef<never> | undefined { return this.parentCell?.ref as ActorRef<never> | undefined; }
  get system(): ActorSystem { return this.host.api; }
  get random(): Random { return this.host.random; }
  now(): number { return this.host.clock.now(); }
  /** This actor's child logger, created on first use (idle actors hold none). */
  get log(): Logger { return this.host.logs.forCell(this); }

  spawn<C, S>(def: ActorDefinition<C, S>, name?: string, options?: SpawnOptions): ActorRef<C> {
    return this.spawnChild(def as ActorDefinition<unknown, unknown>, name, options, 'transient').ref as ActorRef<C>;
  }

  child(name: string): ActorRef<unknown> | undefined {
    const c = this.kids?.get(name);
    return c !== undefined && (c.flags & DEAD) === 0 ? c.ref : undefined;
  }

  children(): ActorRef<unknown>[] {
    if (this.kids === null) return [];
    const out: ActorRef<unknown>[] = [];
    for (const c of this.kids.values()) if ((c.flags & DEAD) === 0) out.push(c.ref);
    return out;
  }

  stop(ref: ActorRef<never>): void {
    const p = ref.proc;
    if (p === this) { this.deliverSystem({ type: 'stop', reason: NORMAL, byItself: true }); return; }
    if (p instanceof ActorCell && p.parentCell === this) { this.supervising.stopChild(p, SHUTDOWN); return; }
    throw new TroupeError('invalid-argument', `${this.path} can stop only itself or its own children, not ${ref.path}; send that actor a message asking it to stop.`);
  }

  watch(ref: ActorRef<never>, message?: unknown): void {
    const p = ref.proc;
    if (p === this) return;
    (this.extras().watching ??= new Map()).set(p, message);
    p.deliverSystem({ type: 'watch', watcher: this });
  }

  unwatch(ref: ActorRef<never>): void {
    const p = ref.proc;
    if (this.x?.watching?.delete(p)) p.deliverSystem({ type: 'unwatch', watcher: this });
  }

  send<T>(ref: ActorRef<T>, msg: T): void {
    const p = ref.proc;
    const tracing = this.host.traceHost;
    p.deliverUser(tracing === null ? msg : tracing.outgoingFrom(this, msg));
  }

  /** The trace context of the message being handled (tracing on, sampled; also after an await), else undefined. */
  get trace(): TraceIds | undefined {
    const tracing = this.host.traceHost;
    return tracing === null ? undefined : tracing.contextFor(this) ?? undefined;
  }

  ask<R, T>(ref: ActorRef<T>, make: (replyTo: ActorRef<R>) => T, options?: AskOptions): Promise<R> {
    const tracing = this.host.traceHost;
    if (tracing !== null) return tracing.asCell(this, () => askProcess(ref.proc, make as (r: ActorRef<unknown>) => unknown, options) as Promise<R>);
    return askProcess(ref.proc, make as (r: ActorRef<unknown>) => unknown, options) as Promise<R>;
  }

  get timers(): TimerScheduler<unknown> {
    const x = this.extras();
    return x.timers ??= new CellTimers(this.host, this);
  }

  stash(msg: unknown): void {
    const x = this.extras();
    const s = x.stash ??= [];
    if (s.length >= this.def.stashCapacity) {
      throw new TroupeError('stash-full', `${this.path}: the stash holds ${this.def.stashCapacity} messages already; raise stashCapacity or unstash sooner.`, { capacity: this.def.stashCapacity });
    }
    const tracing = this.host.traceHost;
    s.push(tracing === null ? msg : tracing.restash(this, msg));
  }

  unstashAll(): void {
    const x = this.x;
    if (!x?.stash || x.stash.length === 0) return;
    this.putBack(x);
    if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0) { this.flags |= SCHEDULED; this.host.dispatcher.schedule(this); }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

