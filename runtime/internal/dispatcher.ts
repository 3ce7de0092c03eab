// The dispatcher: a run queue of actors with work, drained on microtasks. Each turn an actor
// handles at most `throughput` messages, so one hot actor cannot starve the others; a yield
// budget (messages and time since the last macrotask) makes it yield to timers and I/O.
// A simulation replaces it with its own (see DispatcherLike): one scheduler for every node.

import type { Scheduler } from '../clock.ts';
import { YieldBudget } from './yield-budget.ts';

/** Something the dispatcher can run: an actor cell. */
export interface Runnable {
  /** Runs one turn; returns how many user messages it handled. */
  runTurn(): number;
  readonly path: string;
  /** Messages waiting to be handled. */
  readonly backlog: number;
}

/** What an actor cell needs from whatever runs it: the production {@link Dispatcher}, or a simulation's. */
export interface DispatcherLike {
  /** Messages an actor handles per turn at most. */
  readonly throughput: number;
  /** Queues a ready actor (it is not queued already: its SCHEDULED flag was clear). */
  schedule(r: Runnable): void;
}

/** Ready actors whose backlog the yield probe sums (besides counting the ready actors). */
const PROBED = 8;

/**
 * Drains ready actors on microtasks until the {@link YieldBudget} is spent, then waits for a
 * macrotask (`yieldThen`). Waiting helps only if the microtask chain then ends: a loop awaiting
 * asks stops with it, but a producer that keeps telling on microtasks does not. So while it
 * waits, a probe looks at the backlog once per microtask round; if it grew by a whole budget
 * of messages, the chain goes on without us and the dispatcher keeps up on microtasks rather
 * than let the backlog (and the heap) grow until that producer yields.
 */
export class Dispatcher implements DispatcherLike {
  private ready: Runnable[] = [];
  private head = 0;
  /** A drain is queued on a microtask. */
  private soonArmed = false;
  /** A drain is queued on a macrotask (the budget was spent). */
  private yieldArmed = false;
  private probeArmed = false;
  /** A drain is running (what it schedules it will run itself). */
  private running = false;
  /** Backlog when the wait began (or the dispatcher last kept up) and at the last probe. */
  private backlogAtWait = 0;
  private backlogAtProbe = 0;
  private readonly budget: YieldBudget;
  private readonly soonFn = (): void => { this.soonArmed = false; this.drain(); };
  private readonly yieldFn = (): void => { this.yieldArmed = false; this.drain(); };
  private readonly probeFn = (): void => this.probe();

  constructor(
    private readonly scheduler: Scheduler,
    readonly throughput: number,
    yieldEvery: number,
    yieldAfterMs: number,
    private readonly onTurn: ((actor: string) => void) | null,
    /** Runs each drain in a scope (tracing: no trace context leaks into the turns from what scheduled the drain); null = none. */
    private readonly scope: ((drain: () => void) => void) | null = null,
  ) {
    this.budget = new YieldBudget(scheduler, yieldEvery, yieldAfterMs);
  }

  get queued(): number { return this.ready.length - this.head; }

  schedule(r: Runnable): void {
    this.ready.push(r);
    if (this.running || this.soonArmed || this.yieldArmed) return;
    // A spent budget means this microtask chain has run long enough: wait for a macrotask.
    if (this.budget.spent) this.wait();
    else { this.soonArmed = true; this.scheduler.soon(this.soonFn); }
  }

  private wait(): void {
    this.yieldArmed = true;
    this.scheduler.yieldThen(this.yieldFn);
    this.backlogAtWait = this.backlogAtProbe = this.backlog();
    if (!this.probeArmed) { this.probeArmed = true; this.scheduler.soon(this.probeFn); }
  }

  /** Ready actors plus the messages of the first few: enough to see a producer at work. */
  private backlog(): number {
    const ready = this.ready;
    const end = Math.min(ready.length, this.head + PROBED);
    let n = ready.length - this.head;
    for (let i = this.head; i < end; i++) n += ready[i].backlog;
    return n;
  }

  private probe(): void {
    this.probeArmed = false;
    if (!this.yieldArmed || this.soonArmed) return;
    const b = this.backlog();
    if (b <= this.backlogAtProbe) return; // nothing else is producing: the chain can end
    if (b - this.backlogAtWait < this.budget.messages) {
      this.backlogAtProbe = b;
      this.probeArmed = true;
      this.scheduler.soon(this.probeFn);
      return;
    }
    // A whole budget arrived while we waited: catch up, then go on waiting (and probing).
    this.budget.extend(b);
    this.drain();
    if (this.yieldArmed) {
      this.backlogAtWait = this.backlogAtProbe = this.backlog();
      this.probeArmed = true;
      this.scheduler.soon(this.probeFn);
    }
  }

  private readonly drainFn = (): void => {
    this.running = true;
    this.run();
    this.running = false;
  };

  private drain(): void {
    if (this.scope !== null) { this.scope(this.drainFn); return; }
    this.running = true;
    this.run();
    this.running = false;
  }

  private run(): void {
    const budget = this.budget;
    budget.begin();
    while (this.head < this.ready.length) {
      const ready = this.ready;
      const r = ready[this.head];
      ready[this.head++] = undefined as unknown as Runnable;
      if (this.head === ready.length) { ready.length = 0; this.head = 0; }
      else if (this.head > 4096 && this.head * 2 > ready.length) { this.ready = ready.slice(this.head); this.head = 0; }
      if (this.onTurn !== null) this.onTurn(r.path);
      if (budget.charge(r.runTurn() || 1) && this.head < this.ready.length) {
        if (!this.yieldArmed) this.wait();
        return;
      }
    }
  }
}
