// The supervisor side of an actor cell: what a child's failure or exit does (OTP's restart types
// and strategies, Pekko's directives), group restarts done as a group, per-child backoff, restart
// intensity, auto-shutdown on significant children, and OTP's dynamic child API.

import type { ActorRef } from '../actor-ref.ts';
import type { ActorDefinition, ChildType, TerminationReason } from '../behavior.ts';
import { TroupeError, isTroupeError } from '../errors.ts';
import { resolveSpawnOptions, validateName, type ResolvedSpawnOptions, type SpawnOptions } from '../spawn-options.ts';
import { backoffDelay, DEFAULT_BACKOFF_STASH } from '../../supervisors/backoff.ts';
import { directiveFor, restartTargets } from '../../supervisors/decide.ts';
import { recordRestart } from '../../supervisors/restart-window.ts';
import type { RestartType } from '../../supervisors/strategy.ts';
import { ActorCell, DEAD, GROUP, INITED, SCHEDULED, SHUTDOWN, STOPPING } from './actor-cell.ts';
import type { SystemMessage } from './process.ts';

/** A restart of one or more children, done as OTP does it: stop them newest first, then start them in order. */
export interface GroupRestart {
  /** The children it takes, in start order (the one that failed or exited among them). */
  readonly targets: ActorCell[];
  readonly cause: unknown;
  /** Index of the next target to stop, counting down; below 0 the stop phase is over. */
  next: number;
  /** The target being stopped now. */
  waiting: ActorCell | null;
  /** The failed child's backoff, waited between the stop and the start phase. */
  readonly delayMs: number;
}

/** OTP's `start_child` answers. `ref` is undefined when the child's init returned `IGNORE`. */
export type StartChildResult =
  | { readonly ok: true; readonly ref: ActorRef<unknown> | undefined }
  | { readonly ok: false; readonly error: 'already-started'; readonly ref: ActorRef<unknown> }
  | { readonly ok: false; readonly error: 'already-present' }
  | { readonly ok: false; readonly error: 'start-failed' | 'invalid-spec'; readonly reason: unknown };

/** OTP's `restart_child` answers. */
export type RestartChildResult =
  | { readonly ok: true; readonly ref: ActorRef<unknown> | undefined }
  | { readonly ok: false; readonly error: 'running' | 'restarting' | 'not-found' }
  | { readonly ok: false; readonly error: 'start-failed'; readonly reason: unknown };

/** OTP's `terminate_child` / `delete_child` answers. */
export type TerminateChildResult = { readonly ok: true } | { readonly ok: false; readonly error: 'not-found' };
export type DeleteChildResult = { readonly ok: true } | { readonly ok: false; readonly error: 'running' | 'restarting' | 'not-found' };

/** One child in OTP's `which_children`: `ref` is undefined when its spec is kept but it is not running. */
export interface ChildEntry {
  readonly id: string;
  readonly ref: ActorRef<unknown> | undefined | 'restarting';
  readonly type: ChildType;
  readonly restart: RestartType;
  readonly significant: boolean;
}

/** OTP's `count_children`: specs kept, children alive, and specs by type. */
export interface ChildCounts {
  readonly specs: number;
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : typeof e === 'object' && e !== null && 'kind' in e ? `exit ${String((e as { kind: unknown }).kind)}` : String(e);
}

function isRestarting(k: ActorCell): boolean {
  const x = k.x;
  return x !== null && (x.pendingStart !== null || ((k.flags & DEAD) === 0 && (x.tearDownRequested || (k.flags & INITED) === 0)));
}

export class Supervising {
  constructor(private readonly cell: ActorCell) {}

  // ---- spawning ------------------------------------------------------------------------------

  spawn(def: ActorDefinition<unknown, unknown>, name: string | undefined, options: SpawnOptions | undefined, defaultRestart: RestartType, keep: boolean): ActorCell {
    const c = this.cell;
    const h = c.host;
    if (h.terminated) throw new TroupeError('system-terminated', `Cannot spawn under ${c.path}: system "${h.name}" has terminated.`);
    if ((c.flags & (STOPPING | DEAD)) !== 0) throw new TroupeError('actor-dead', `Cannot spawn under ${c.path}: it is stopping or stopped.`);
    if (def === null || typeof def !== 'object' || def.kind !== 'actor') {
      throw new TroupeError('invalid-child', `spawn under ${c.path}: expected a definition from defineActor/defineSupervisor/definePool/defineMachineActor.`);
    }
    let n: string;
    if (name === undefined) n = `$${(++c.extras().autoName).toString(36)}`;
    else { validateName(name, `spawn under ${c.path}`); n = name; }
    const kids = c.kids ??= new Map();
    const existing = kids.get(n);
    if (existing !== undefined) {
      throw new TroupeError('duplicate-name', (existing.flags & DEAD) === 0
        ? `"${n}" already names a child of ${c.path}; choose another name, or stop that child and wait for its termination first.`
        : `"${n}" names a child spec ${c.path} keeps (not running); restart it with restartChild or remove it with deleteChild first.`, { parent: c.path, name: n });
    }
    const opts = resolveSpawnOptions(options, defaultRestart, `spawn "${n}" under ${c.path}`, def.type === 'supervisor', keep);
    if (opts.significant && c.def.supervision.autoShutdown === 'never') {
      throw new TroupeError('invalid-significant', `spawn "${n}" under ${c.path}: a significant child needs a supervisor with autoShutdown 'any-significant' or 'all-significant' (it is 'never').`);
    }
    return this.startNew(def, n, opts, undefined);
  }

  /** Creates and starts a child; a failed first start leaves nothing running and throws `start-failed`. */
  private startNew(def: ActorDefinition<unknown, unknown>, n: string, opts: ResolvedSpawnOptions, replacing: ActorCell | undefined): ActorCell {
    const c = this.cell;
    const h = c.host;
    const kids = c.kids!;
    const cell = new ActorCell(h, c, n, def, opts, h.random.int(0x3fffffff));
    kids.set(n, cell);
    c.x?.stopOrder?.push(cell); // spawned by a hook while stopping: newest, so stopped next
    if (c.def.supervision.backoff !== undefined) cell.extras().lastStartMs = h.clock.now();
    if (h.observed) h.emit({ type: 'spawned', path: cell.path, atMs: h.clock.now() });
    const r = cell.firstStart();
    if (r === undefined) return cell;
    if (r === 'ignored') {
      cell.abandonIgnored();
      if (!opts.keep || opts.restart === 'temporary') { if (replacing) kids.set(n, replacing); else kids.delete(n); }
      return cell;
    }
    if (replacing) kids.set(n, replacing); else kids.delete(n);
    cell.abandonStart(r.error);
    throw new TroupeError('start-failed', `${cell.path} failed to start: ${describe(r.error)}`, { child: cell.path, id: n }, { cause: r.error });
  }

  /** Asks a child to stop with its own shutdown: a timer kills it after `shutdownMs`; brutal-kill kills it now. */
  stopChild(child: ActorCell, reason: TerminationReason): void {
    if ((child.flags & DEAD) !== 0) return;
    const ms = child.opts.shutdownMs;
    if (ms === 0) { child.kill(); return; }
    const c = this.cell;
    const x = c.extras();
    if (ms !== Infinity && !x.shutdownTimers?.has(child)) {
      (x.shutdownTimers ??= new Map()).set(child, c.host.scheduler.startTimer(ms, () => child.kill()));
    }
    if ((child.flags & STOPPING) === 0) child.deliverSystem({ type: 'stop', reason, byItself: false });
  }

  private cancelShutdownTimer(child: ActorCell): void {
    const timers = this.cell.x?.shutdownTimers;
    const t = timers?.get(child);
    if (t !== undefined) { this.cell.host.scheduler.cancelTimer(t as never); timers!.delete(child); }
  }

  /** Forgets a group restart in progress (its children are being stopped or killed). */
  reset(): void {
    const c = this.cell;
    c.flags &= ~GROUP;
    const x = c.x;
    if (x !== null) { x.group = null; x.deferred = null; }
  }

  // ---- failures and exits --------------------------------------------------------------------

  childFailed(child: ActorCell, error: unknown, epoch: number, msg: SystemMessage): void {
    const c = this.cell;
    if ((child.flags & DEAD) !== 0 || c.kids?.get(child.name) !== child || child.epoch !== epoch || (c.flags & (STOPPING | DEAD)) !== 0) return;
    const x = c.extras();
    if (x.restarting !== null) return; // this actor is tearing down: every child stops anyway
    if (x.group !== null) { (x.deferred ??= []).push(msg); return; }
    const h = c.host;
    const sup = c.def.supervision;
    let d = directiveFor(sup.decider, child.opts.restart, error);
    if (d === 'resume' && (child.flags & INITED) === 0) d = child.opts.restart === 'temporary' ? 'stop' : 'restart'; // its init failed: no state to resume
    switch (d) {
      case 'resume':
        child.deliverSystem({ type: 'resume' });
        return;
      case 'stop':
        this.stopChild(child, { kind: 'failure', error });
        return;
      case 'escalate':
        if (h.observed || h.observer !== null) h.emit({ type: 'escalated', path: c.path, child: child.path, why: 'decider', error, atMs: h.clock.now() });
        c.fail(new TroupeError('escalated', `${child.path} failed and its supervisor ${c.path} escalated: ${describe(error)}`, { child: child.path }, { cause: error }));
        return;
      case 'restart':
        this.restart(child, error);
        return;
    }
  }

  childTerminated(child: ActorCell, reason: TerminationReason, byItself: boolean, msg: SystemMessage): void {
    const c = this.cell;
    const kids = c.kids;
    if (kids === null || kids.get(child.name) !== child) return;
    const x = c.x;
    if ((c.flags & STOPPING) !== 0 || x?.restarting) {
      this.cancelShutdownTimer(child);
      kids.delete(child.name);
      this.notifyTerminated(child);
      c.stopChildrenThen();
      return;
    }
    const g = x?.group ?? null;
    if (g !== null && g.waiting === child) { // a temporary child of a group restart: stopped and forgotten
      this.cancelShutdownTimer(child);
      kids.delete(child.name);
      this.notifyTerminated(child);
      g.waiting = null;
      g.next--;
      this.groupStep();
      return;
    }
    if (g !== null) { (x!.deferred ??= []).push(msg); return; }
    this.cancelShutdownTimer(child);
    this.childExited(child, reason, byItself);
    this.notifyTerminated(child);
  }

  /**
   * OTP's rules for a child that ended: restart it (and its group) if its restart type says so —
   * permanent always, transient after an abnormal exit — when the exit was its own; otherwise keep its
   * spec (supervisor children, unless temporary) or forget it; a significant child's own exit (or
   * crash) may shut the supervisor down.
   */
  private childExited(child: ActorCell, reason: TerminationReason, byItself: boolean): void {
    const type = child.opts.restart;
    const abnormal = reason.kind !== 'normal' && reason.kind !== 'shutdown';
    if (byItself && (type === 'permanent' || (type === 'transient' && abnormal))) { this.restart(child, reason); return; }
    if (!child.opts.keep || type === 'temporary') this.cell.kids!.delete(child.name);
    if (child.opts.significant && (byItself || reason.kind === 'failure')) this.autoShutdown();
  }

  private autoShutdown(): void {
    const c = this.cell;
    const mode = c.def.supervision.autoShutdown;
    if (mode === 'never') return;
    if (mode === 'all-significant' && c.kids !== null) {
      for (const k of c.kids.values()) if (k.opts.significant && (k.flags & DEAD) === 0) return;
    }
    c.beginStop(SHUTDOWN, true);
  }

  private notifyTerminated(child: ActorCell): void {
    const w = this.cell.x?.onTerminated;
    const list = w?.get(child);
    if (list === undefined) return;
    w!.delete(child);
    for (const f of list) f();
  }

  // ---- restarts ------------------------------------------------------------------------------

  /** Counts the restart against the intensity, then restarts the child's group (per strategy). */
  private restart(child: ActorCell, cause: unknown): void {
    const c = this.cell;
    const h = c.host;
    const x = c.extras();
    const sup = c.def.supervision;
    const { recent, exceeded } = recordRestart(x.restartTimes, h.clock.now(), sup.intensity);
    x.restartTimes = recent;
    if (exceeded) { this.giveUp(child, cause); return; }
    const delayMs = this.backoffFor(child);
    let targets: ActorCell[];
    if (sup.strategy === 'one-for-one') targets = [child];
    else {
      const order: ActorCell[] = [];
      for (const k of c.kids!.values()) if (k === child || (k.flags & (DEAD | STOPPING)) === 0) order.push(k);
      targets = restartTargets(sup.strategy, order, child);
    }
    x.group = { targets, cause, next: targets.length - 1, waiting: null, delayMs };
    c.flags |= GROUP;
    this.groupStep();
  }

  /**
   * More restarts than the intensity allows: OTP's supervisor stops its children and exits with
   * reason `shutdown` (its parent restarts it only if it is permanent). The guardian ends the system.
   */
  private giveUp(child: ActorCell, cause: unknown): void {
    const c = this.cell;
    const h = c.host;
    const { maxRestarts, withinMs } = c.def.supervision.intensity;
    const err = new TroupeError('restart-intensity',
      `${c.path} gave up: more than ${maxRestarts} restarts within ${withinMs} ms (last in ${child.path}: ${describe(cause)}); it stops with reason 'shutdown'. ` +
      'Fix the failing child, or raise the supervisor\'s intensity.', { child: child.path, maxRestarts, withinMs }, { cause });
    if (h.observed || h.observer !== null) h.emit({ type: 'escalated', path: c.path, child: child.path, why: 'intensity', error: err, atMs: h.clock.now() });
    if (c.parentCell === null) { h.guardianFailed(err); return; }
    c.beginStop(SHUTDOWN, true);
  }

  /** The child's next backoff delay: attempts counted per child, reset after it ran `resetAfterMs`. */
  private backoffFor(child: ActorCell): number {
    const c = this.cell;
    const b = c.def.supervision.backoff;
    if (b === undefined) return 0;
    const cx = child.extras();
    const now = c.host.clock.now();
    if (now - cx.lastStartMs >= (b.resetAfterMs ?? b.minMs)) cx.backoffAttempts = 0;
    cx.backoffAttempts++;
    return backoffDelay(b, cx.backoffAttempts, c.host.random.next());
  }

  /** Stop phase: the targets newest first, each with its own shutdown; then the start phase. */
  private groupStep(): void {
    const c = this.cell;
    const x = c.x!;
    const g = x.group!;
    if (g.waiting !== null) return;
    const kids = c.kids;
    while (g.next >= 0) {
      const t = g.targets[g.next];
      if (kids === null || (t.flags & DEAD) !== 0 || kids.get(t.name) !== t) { g.next--; continue; }
      g.waiting = t;
      if (t.opts.restart === 'temporary') this.stopChild(t, SHUTDOWN);
      else this.tearDown(t, g.cause);
      return;
    }
    x.group = null;
    c.flags &= ~GROUP;
    const cap = c.def.supervision.backoff?.stashCapacity ?? DEFAULT_BACKOFF_STASH;
    for (const t of g.targets) {
      if (t.opts.restart === 'temporary') continue;
      const tx = t.extras();
      tx.pendingStart = g;
      if (g.delayMs > 0) tx.backoffCap = cap;
    }
    if (g.delayMs > 0) c.host.scheduler.startTimer(g.delayMs, () => this.groupStart(g));
    else this.groupStart(g);
    const d = x.deferred;
    x.deferred = null;
    if (d !== null) for (const m of d) c.handleSystem(m);
    if ((c.flags & (SCHEDULED | GROUP | DEAD | STOPPING)) === 0 && c.mailbox.size > 0) { c.flags |= SCHEDULED; c.host.dispatcher.schedule(c); }
  }

  private tearDown(t: ActorCell, cause: unknown): void {
    t.extras().tearDownRequested = true;
    const ms = t.opts.shutdownMs;
    if (ms === 0) { t.forceTearDown(); return; }
    const c = this.cell;
    if (ms !== Infinity) (c.extras().shutdownTimers ??= new Map()).set(t, c.host.scheduler.startTimer(ms, () => t.forceTearDown()));
    t.deliverSystem({ type: 'restart', cause });
  }

  childTornDown(child: ActorCell): void {
    this.cancelShutdownTimer(child);
    const g = this.cell.x?.group;
    if (!g || g.waiting !== child) return;
    g.waiting = null;
    g.next--;
    this.groupStep();
  }

  /** Start phase: every target still waiting for this restart, in start order; a failed start is a new failure. */
  private groupStart(g: GroupRestart): void {
    const c = this.cell;
    const h = c.host;
    if ((c.flags & (STOPPING | DEAD)) !== 0 || c.x?.restarting) return;
    const kids = c.kids;
    if (kids === null) return;
    const failed: [ActorCell, unknown][] = [];
    for (const t of g.targets) {
      const tx = t.x;
      if (tx === null || tx.pendingStart !== g || kids.get(t.name) !== t) continue;
      let cell = t;
      if ((t.flags & DEAD) !== 0) { // it exited (a permanent child's normal exit): a new incarnation in its place
        cell = new ActorCell(h, c, t.name, t.def, t.opts, h.random.int(0x3fffffff));
        const nx = cell.extras();
        nx.restarts = tx.restarts;
        nx.backoffAttempts = tx.backoffAttempts;
        tx.pendingStart = null;
        kids.set(t.name, cell);
        if (h.observed) h.emit({ type: 'spawned', path: cell.path, atMs: h.clock.now() });
      }
      const err = cell.restartInit(g.cause);
      if ((cell.flags & DEAD) !== 0) { if (!cell.opts.keep) kids.delete(cell.name); continue; } // init returned IGNORE
      if (err !== undefined) failed.push([cell, err]);
    }
    for (const [cell, err] of failed) this.childFailed(cell, err, cell.epoch, { type: 'failed', child: cell, error: err, epoch: cell.epoch });
  }

  // ---- the dynamic child API (OTP's supervisor module) ----------------------------------------

  startChild(name: string | undefined, def: ActorDefinition<unknown, unknown>, options: SpawnOptions | undefined, defaultRestart: RestartType, keep = true): StartChildResult {
    const cur = name === undefined ? undefined : this.cell.kids?.get(name);
    if (cur !== undefined) {
      return (cur.flags & DEAD) === 0 || cur.x?.pendingStart ? { ok: false, error: 'already-started', ref: cur.ref } : { ok: false, error: 'already-present' };
    }
    try {
      const cell = this.spawn(def, name, options, defaultRestart, keep);
      return { ok: true, ref: (cell.flags & DEAD) !== 0 ? undefined : cell.ref };
    } catch (e) {
      if (isTroupeError(e, 'start-failed')) return { ok: false, error: 'start-failed', reason: e.cause };
      return { ok: false, error: 'invalid-spec', reason: e };
    }
  }

  /** Stops a child (reason `shutdown`, its own shutdown) and calls `done` once it terminated; its spec is kept unless temporary. */
  terminateChild(name: string, done: (r: TerminateChildResult) => void): void {
    const c = this.cell;
    const cur = c.kids?.get(name);
    if (cur === undefined) { done({ ok: false, error: 'not-found' }); return; }
    if ((cur.flags & DEAD) !== 0) {
      if (cur.x !== null) cur.x.pendingStart = null;
      done({ ok: true });
      return;
    }
    const x = c.extras();
    const w = x.onTerminated ??= new Map();
    const list = w.get(cur) ?? [];
    list.push(() => done({ ok: true }));
    w.set(cur, list);
    this.stopChild(cur, SHUTDOWN);
  }

  restartChild(name: string): RestartChildResult {
    const cur = this.cell.kids?.get(name);
    if (cur === undefined) return { ok: false, error: 'not-found' };
    if (isRestarting(cur)) return { ok: false, error: 'restarting' };
    if ((cur.flags & DEAD) === 0) return { ok: false, error: 'running' };
    try {
      const cell = this.startNew(cur.def, name, cur.opts, cur);
      return { ok: true, ref: (cell.flags & DEAD) !== 0 ? undefined : cell.ref };
    } catch (e) {
      return { ok: false, error: 'start-failed', reason: isTroupeError(e, 'start-failed') ? e.cause : e };
    }
  }

  deleteChild(name: string): DeleteChildResult {
    const kids = this.cell.kids;
    const cur = kids?.get(name);
    if (cur === undefined) return { ok: false, error: 'not-found' };
    if (isRestarting(cur)) return { ok: false, error: 'restarting' };
    if ((cur.flags & DEAD) === 0) return { ok: false, error: 'running' };
    kids!.delete(name);
    return { ok: true };
  }

  whichChildren(): ChildEntry[] {
    const out: ChildEntry[] = [];
    const kids = this.cell.kids;
    if (kids !== null) {
      for (const k of kids.values()) {
        const ref = isRestarting(k) ? 'restarting' : (k.flags & DEAD) !== 0 ? undefined : k.ref;
        out.push({ id: k.name, ref, type: k.def.type, restart: k.opts.restart, significant: k.opts.significant });
      }
    }
    return out;
  }

  countChildren(): ChildCounts {
    let active = 0, supervisors = 0, specs = 0;
    const kids = this.cell.kids;
    if (kids !== null) {
      for (const k of kids.values()) {
        specs++;
        if ((k.flags & DEAD) === 0) active++;
        if (k.def.type === 'supervisor') supervisors++;
      }
    }
    return { specs, active, supervisors, workers: specs - supervisors };
  }
}
