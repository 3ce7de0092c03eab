// The actor cell: one live actor. It owns the mailbox and state, runs turns for the dispatcher,
// and carries out lifecycle (start, restart, stop) and supervision of its children. It is also
// the `ctx` its behavior sees (one object per actor keeps idle actors small).
// Over 400 lines on purpose: delivery, turn and lifecycle share the flags and must be read together.

import { ActorRef } from '../actor-ref.ts';
import type { Address } from '../address.ts';
import { askProcess, type AskOptions } from '../ask.ts';
import type { ActorDefinition, Signal, TerminationReason } from '../behavior.ts';
import type { ActorContext, TimerScheduler } from '../context.ts';
import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import { resolveSpawnOptions, validateName, type ResolvedSpawnOptions, type SpawnOptions } from '../spawn-options.ts';
import type { ActorSystem } from '../system.ts';
import type { Mailbox } from '../../mailboxes/mailbox.ts';
import { createMailbox } from '../../mailboxes/create-mailbox.ts';
import { BulkheadGate, type PermitWaiter } from '../../supervisors/bulkhead.ts';
import { backoffDelay } from '../../supervisors/backoff.ts';
import { recordRestart } from '../../supervisors/restart-window.ts';
import { directiveFor, restartTargets } from '../../supervisors/decide.ts';
import { CellTimers } from './cell-timers.ts';
import { DELIVERED_DEAD, type DeliveryResult, type Process, type SystemMessage } from './process.ts';
import type { SystemCore } from './system-core.ts';

const SCHEDULED = 1, BUSY = 2, SUSPENDED = 4, STOPPING = 8, DEAD = 16, PARKED = 32, PERMIT = 64;
const NOT_RUNNABLE = BUSY | SUSPENDED | STOPPING | DEAD | PARKED;
const NORMAL: TerminationReason = Object.freeze({ kind: 'normal' });

/** Rarely used parts of a cell, allocated on first use so idle actors stay small. */
interface Extras {
  watchers: Set<Process> | null;
  watching: Map<Process, unknown> | null;
  timers: CellTimers | null;
  stash: unknown[] | null;
  restartTimes: number[];
  restarts: number;
  shutdownTimers: Map<ActorCell, unknown> | null;
  stopReason: TerminationReason;
  stopByItself: boolean;
  restarting: { cause: unknown; delayMs: number } | null;
  autoName: number;
  /** Children still to stop, oldest first (newest on top); built when a stop or restart starts. */
  stopOrder: ActorCell[] | null;
}

export class ActorCell implements Process, ActorContext<unknown>, PermitWaiter {
  readonly ref: ActorRef<unknown>;
  readonly mailbox: Mailbox;
  state: unknown = undefined;
  flags = 0;
  private sysq: SystemMessage[] | null = null;
  kids: Map<string, ActorCell> | null = null;
  private x: Extras | null = null;
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

  private extras(): Extras {
    return this.x ??= {
      watchers: null, watching: null, timers: null, stash: null, restartTimes: [], restarts: 0,
      shutdownTimers: null, stopReason: NORMAL, stopByItself: false, restarting: null, autoName: 0,
      stopOrder: null,
    };
  }

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
    if ((this.flags & (DEAD | STOPPING)) !== 0) {
      this.host.deadLetter(this, msg, 'actor-stopped');
      return DELIVERED_DEAD;
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
    if (msg.type === 'watch') msg.watcher.deliverSystem({ type: 'terminated', ref: this.ref as ActorRef<never>, reason: this.x?.stopReason ?? NORMAL });
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
    const gate = this.gate;
    if ((this.flags & NOT_RUNNABLE) !== 0 || this.mailbox.size === 0) {
      // a permit handed over by wake() that this turn cannot use goes back to the gate
      if (gate !== null && (this.flags & (PERMIT | BUSY)) === PERMIT) { this.flags &= ~PERMIT; gate.release(); }
      return 0;
    }
    if (gate !== null && (this.flags & PERMIT) === 0) {
      if (!gate.acquire(this)) { this.flags |= PARKED; return 0; }
      this.flags |= PERMIT;
    }
    const tp = this.host.dispatcher.throughput;
    const mb = this.mailbox;
    let n = 0;
    while (n < tp && mb.size > 0) {
      n++;
      this.invoke(mb.take());
      if ((this.flags & NOT_RUNNABLE) !== 0) break;
      if (this.sysq !== null) {
        this.processSystem();
        if ((this.flags & NOT_RUNNABLE) !== 0) break;
      }
    }
    if (gate !== null && (this.flags & (PERMIT | BUSY)) === PERMIT) { this.flags &= ~PERMIT; gate.release(); }
    if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0 && mb.size > 0) {
      this.flags |= SCHEDULED;
      this.host.dispatcher.schedule(this);
    }
    return n;
  }

  private invoke(msg: unknown): void {
    const tracer = this.host.tracer;
    if (tracer !== null) tracer.deliver(this.path, msg);
    let r: unknown;
    try {
      r = this.def.receive(this.state, msg, this);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (r === undefined) return;
    if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') {
      this.flags |= BUSY;
      (r as PromiseLike<unknown>).then(
        (s) => this.asyncDone(s, undefined, false),
        (e) => this.asyncDone(undefined, e, true),
      );
      return;
    }
    this.state = r;
  }

  private asyncDone(s: unknown, error: unknown, failed: boolean): void {
    if ((this.flags & DEAD) !== 0) return;
    this.flags &= ~BUSY;
    if (this.gate !== null && (this.flags & PERMIT) !== 0) { this.flags &= ~PERMIT; this.gate.release(); }
    if (this.x?.restarting) { this.proceedRestart(); return; }
    if (failed) { this.fail(error); return; }
    if (s !== undefined) this.state = s;
    if ((this.flags & STOPPING) !== 0) { this.continueStop(); return; }
    if ((this.flags & SCHEDULED) === 0 && (this.mailbox.size > 0 || this.sysq !== null)) {
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

  private handleSystem(m: SystemMessage): void {
    switch (m.type) {
      case 'failed': return this.supervise(m.child as ActorCell, m.error);
      case 'child-terminated': return this.childTerminated(m.child as ActorCell, m.reason, m.byItself);
      case 'stop': return this.beginStop(m.reason, m.byItself);
      case 'watch': (this.extras().watchers ??= new Set()).add(m.watcher); return;
      case 'unwatch': this.x?.watchers?.delete(m.watcher); return;
      case 'terminated': return this.watchedTerminated(m.ref, m.reason);
      case 'resume':
        if ((this.flags & (STOPPING | DEAD)) === 0) this.flags &= ~SUSPENDED;
        return;
      case 'restart': return this.beginRestart(m.cause, m.delayMs);
    }
  }

  // ---- start, failure, supervision ---------------------------------------------------------

  /** Runs init and the `started` signal; a failure here goes to the supervisor like any other. */
  start(): void {
    try {
      this.state = this.def.init(this);
      this.signal({ type: 'started' });
    } catch (e) {
      this.fail(e);
    }
  }

  fail(error: unknown): void {
    if ((this.flags & DEAD) !== 0) return;
    this.flags |= SUSPENDED;
    const h = this.host;
    if (h.observed) h.emit({ type: 'failed', path: this.path, error, atMs: h.clock.now() });
    if ((this.flags & STOPPING) !== 0) { this.continueStop(); return; }
    if (this.parentCell !== null) this.parentCell.deliverSystem({ type: 'failed', child: this, error });
    else h.guardianFailed(error);
  }

  private supervise(child: ActorCell, error: unknown): void {
    if (!child.alive || this.kids?.get(child.name) !== child || (this.flags & (STOPPING | DEAD)) !== 0) return;
    const sup = this.def.supervision;
    const h = this.host;
    switch (directiveFor(sup.decider, child.opts.restart, error)) {
      case 'resume':
        child.deliverSystem({ type: 'resume' });
        return;
      case 'stop':
        this.stopChild(child, { kind: 'failure', error });
        return;
      case 'escalate':
        if (h.observed) h.emit({ type: 'escalated', path: this.path, child: child.path, why: 'decider', error, atMs: h.clock.now() });
        this.fail(new TroupeError('escalated', `${child.path} failed and its supervisor ${this.path} escalated: ${describe(error)}`, { child: child.path }, { cause: error }));
        return;
      case 'restart': {
        const x = this.extras();
        const { recent, exceeded } = recordRestart(x.restartTimes, h.clock.now(), sup.intensity);
        x.restartTimes = recent;
        if (exceeded) {
          if (h.observed) h.emit({ type: 'escalated', path: this.path, child: child.path, why: 'intensity', error, atMs: h.clock.now() });
          this.fail(new TroupeError('restart-intensity',
            `${this.path} gave up: more than ${sup.intensity.maxRestarts} restarts within ${sup.intensity.withinMs} ms (last failure in ${child.path}: ${describe(error)}). ` +
            'Fix the failing child, or raise the supervisor\'s intensity.', { child: child.path, ...sup.intensity }, { cause: error }));
          return;
        }
        const delayMs = sup.backoff ? backoffDelay(sup.backoff, recent.length, h.random.next()) : 0;
        const siblings = [...this.kids!.values()].filter((c) => c === child || (c.alive && (c.flags & STOPPING) === 0));
        for (const t of restartTargets(sup.strategy, siblings, child)) t.deliverSystem({ type: 'restart', cause: error, delayMs });
        return;
      }
    }
  }

  private beginRestart(cause: unknown, delayMs: number): void {
    if ((this.flags & (STOPPING | DEAD)) !== 0) return;
    this.flags |= SUSPENDED;
    this.extras().restarting = { cause, delayMs };
    // A sibling's failure can restart this actor while its async handler is in flight: the
    // restart goes on when that handler settles, and its result is discarded.
    if ((this.flags & BUSY) === 0) this.proceedRestart();
  }

  private proceedRestart(): void {
    const x = this.x!;
    x.timers?.cancelAll();
    this.signal({ type: 'pre-restart', cause: x.restarting!.cause });
    if (x.stash !== null && x.stash.length > 0) { this.mailbox.prepend(x.stash); x.stash = null; }
    this.stopChildrenThen();
  }

  private finishRestart(): void {
    const x = this.x!;
    const { cause, delayMs } = x.restarting!;
    x.restarting = null;
    const run = (): void => {
      if ((this.flags & (STOPPING | DEAD)) !== 0) return;
      x.restarts++;
      try {
        this.state = this.def.init(this);
      } catch (e) {
        this.fail(e);
        return;
      }
      const h = this.host;
      if (h.observed) h.emit({ type: 'restarted', path: this.path, cause, restarts: x.restarts, atMs: h.clock.now() });
      this.signal({ type: 'restarted', cause });
      this.flags &= ~SUSPENDED;
      if ((this.flags & SCHEDULED) === 0 && this.mailbox.size > 0) { this.flags |= SCHEDULED; h.dispatcher.schedule(this); }
    };
    if (delayMs > 0) this.host.scheduler.startTimer(delayMs, run);
    else run();
  }

  // ---- children ----------------------------------------------------------------------------

  spawnChild(def: ActorDefinition<unknown, unknown>, name: string | undefined, options: SpawnOptions | undefined, defaultRestart: 'transient' | 'permanent'): ActorCell {
    const h = this.host;
    if (h.terminated) throw new TroupeError('system-terminated', `Cannot spawn under ${this.path}: system "${h.name}" has terminated.`);
    if ((this.flags & (STOPPING | DEAD)) !== 0) throw new TroupeError('actor-dead', `Cannot spawn under ${this.path}: it is stopping or stopped.`);
    if (def === null || typeof def !== 'object' || def.kind !== 'actor') {
      throw new TroupeError('invalid-spec', `spawn under ${this.path}: expected a definition from defineActor/defineSupervisor/defineMachineActor.`);
    }
    let n: string;
    if (name === undefined) n = `$${(++this.extras().autoName).toString(36)}`;
    else { validateName(name, `spawn under ${this.path}`); n = name; }
    const kids = this.kids ??= new Map();
    if (kids.has(n)) {
      throw new TroupeError('duplicate-name', `"${n}" already names a child of ${this.path}; choose another name, or stop that child and wait for its termination first.`, { parent: this.path, name: n });
    }
    const opts = resolveSpawnOptions(options, defaultRestart, `spawn "${n}" under ${this.path}`);
    const cell = new ActorCell(h, this, n, def, opts, h.random.int(0x3fffffff));
    kids.set(n, cell);
    this.x?.stopOrder?.push(cell); // spawned by a hook while restarting: newest, so stopped next
    if (h.observed) h.emit({ type: 'spawned', path: cell.path, atMs: h.clock.now() });
    cell.start();
    return cell;
  }

  /** Asks a child to stop and arms its shutdown timer (after which it is killed). */
  private stopChild(child: ActorCell, reason: TerminationReason): void {
    if ((child.flags & (STOPPING | DEAD)) !== 0) return;
    const x = this.extras();
    const timer = this.host.scheduler.startTimer(child.opts.shutdownMs, () => child.kill());
    (x.shutdownTimers ??= new Map()).set(child, timer);
    child.deliverSystem({ type: 'stop', reason, byItself: false });
  }

  /**
   * Stops children one at a time, newest first (OTP order); the last one's termination continues
   * the caller. Linear overall: the children are listed once, in spawn order, and taken off the top;
   * entries whose child already left the map (stopped by itself, replaced) are skipped.
   */
  private stopChildrenThen(): void {
    if ((this.flags & BUSY) !== 0) return; // continued when the in-flight handler settles
    const kids = this.kids;
    if (kids === null || kids.size === 0) {
      if (this.x !== null) this.x.stopOrder = null;
      if ((this.flags & STOPPING) !== 0) this.finishStop();
      else if (this.x?.restarting) this.finishRestart();
      return;
    }
    const x = this.extras();
    let order = x.stopOrder ??= [...kids.values()];
    let top = order[order.length - 1];
    // Only a dead entry can have left the map (childTerminated pops the usual one): one lookup then.
    while (top === undefined || ((top.flags & DEAD) !== 0 && kids.get(top.name) !== top)) {
      order.pop();
      if (order.length === 0) order = x.stopOrder = [...kids.values()]; // not reached while spawns push; kept as a guard
      top = order[order.length - 1];
    }
    this.stopChild(top, NORMAL);
  }

  private childTerminated(child: ActorCell, reason: TerminationReason, byItself: boolean): void {
    if (this.kids?.get(child.name) !== child) return;
    this.kids.delete(child.name);
    const order = this.x?.stopOrder;
    if (order && order[order.length - 1] === child) order.pop();
    const t = this.x?.shutdownTimers?.get(child);
    if (t !== undefined) { this.host.scheduler.cancelTimer(t as never); this.x!.shutdownTimers!.delete(child); }
    if ((this.flags & STOPPING) !== 0 || this.x?.restarting) { this.stopChildrenThen(); return; }
    if (child.opts.restart === 'permanent' && byItself && reason.kind === 'normal' && (this.flags & DEAD) === 0) {
      // OTP: a permanent child is restarted even after a normal exit; it comes back as a new incarnation.
      const x = this.extras();
      const { recent, exceeded } = recordRestart(x.restartTimes, this.host.clock.now(), this.def.supervision.intensity);
      x.restartTimes = recent;
      if (exceeded) { this.fail(new TroupeError('restart-intensity', `${this.path} gave up: permanent child ${child.path} keeps exiting.`, { child: child.path })); return; }
      this.spawnChild(child.def, child.name, child.opts, 'permanent');
    }
  }

  // ---- stop ----------------------------------------------------------------------------------

  private beginStop(reason: TerminationReason, byItself: boolean): void {
    if ((this.flags & (STOPPING | DEAD)) !== 0) return;
    this.flags |= STOPPING;
    const x = this.extras();
    x.stopReason = reason;
    x.stopByItself = byItself;
    x.restarting = null;
    x.timers?.cancelAll();
    this.signal({ type: 'stopping' });
    this.continueStop();
  }

  private continueStop(): void {
    if ((this.flags & BUSY) !== 0 || (this.flags & DEAD) !== 0) return;
    this.stopChildrenThen();
  }

  private finishStop(): void {
    this.signal({ type: 'stopped' });
    this.die(this.x?.stopReason ?? NORMAL, this.x?.stopByItself ?? false);
  }

  /** Brutal kill after a shutdown timeout: no hooks, the whole subtree at once. */
  kill(): void {
    if ((this.flags & DEAD) !== 0) return;
    if (this.kids !== null) for (const c of [...this.kids.values()]) c.killQuietly();
    this.die({ kind: 'killed' }, false);
  }

  private killQuietly(): void {
    if (this.kids !== null) for (const c of [...this.kids.values()]) c.killQuietly();
    this.flags |= DEAD;
    this.release({ kind: 'killed' });
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
    this.extras().stopReason = reason; // read by watches that arrive after death
    this.x!.stopOrder = null;
    if (x !== null) {
      x.timers?.cancelAll();
      if (x.shutdownTimers) for (const t of x.shutdownTimers.values()) h.scheduler.cancelTimer(t as never);
    }
    if (this.gate !== null && (this.flags & PERMIT) !== 0) { this.flags &= ~PERMIT; this.gate.release(); }
    for (const m of this.mailbox.drain()) h.deadLetter(this, m, 'actor-stopped');
    if (x?.stash) for (const m of x.stash) h.deadLetter(this, m, 'stash-dropped');
    const sys = this.sysq;
    this.sysq = null;
    if (sys) for (const m of sys) this.afterDeath(m);
    if (x?.watchers) for (const w of x.watchers) w.deliverSystem({ type: 'terminated', ref: this.ref as ActorRef<never>, reason });
    if (x?.watching) for (const target of x.watching.keys()) target.deliverSystem({ type: 'unwatch', watcher: this });
    if (h.observed) h.emit({ type: 'stopped', path: this.path, reason: reason.kind, atMs: h.clock.now() });
  }

  // ---- watch ---------------------------------------------------------------------------------

  private watchedTerminated(ref: ActorRef<never>, reason: TerminationReason): void {
    const watching = this.x?.watching;
    if (!watching || !watching.has(ref.proc)) return;
    const custom = watching.get(ref.proc);
    watching.delete(ref.proc);
    if (custom !== undefined) this.deliverUser(custom);
    else this.signal({ type: 'terminated', ref, reason });
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

  // ---- ActorContext --------------------------------------------------------------------------

  get self(): ActorRef<unknown> { return this.ref; }
  get parent(): ActorRef<never> | undefined { return this.parentCell?.ref as ActorRef<never> | undefined; }
  get system(): ActorSystem { return this.host.api; }
  get random(): Random { return this.host.random; }
  now(): number { return this.host.clock.now(); }

  spawn<C, S>(def: ActorDefinition<C, S>, name?: string, options?: SpawnOptions): ActorRef<C> {
    return this.spawnChild(def as ActorDefinition<unknown, unknown>, name, options, 'transient').ref as ActorRef<C>;
  }

  child(name: string): ActorRef<unknown> | undefined {
    return this.kids?.get(name)?.ref;
  }

  children(): ActorRef<unknown>[] {
    return this.kids === null ? [] : [...this.kids.values()].map((c) => c.ref);
  }

  stop(ref: ActorRef<never>): void {
    const p = ref.proc;
    if (p === this) { this.deliverSystem({ type: 'stop', reason: NORMAL, byItself: true }); return; }
    if (p instanceof ActorCell && p.parentCell === this) { this.stopChild(p, NORMAL); return; }
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
    ref.proc.deliverUser(msg);
  }

  ask<R, T>(ref: ActorRef<T>, make: (replyTo: ActorRef<R>) => T, options?: AskOptions): Promise<R> {
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
    s.push(msg);
  }

  unstashAll(): void {
    const x = this.x;
    if (!x?.stash || x.stash.length === 0) return;
    this.mailbox.prepend(x.stash);
    x.stash = null;
    if ((this.flags & (SCHEDULED | NOT_RUNNABLE)) === 0) { this.flags |= SCHEDULED; this.host.dispatcher.schedule(this); }
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

