// The dispatcher: a run queue of actors with work, drained on microtasks. Each turn an actor
// handles at most `throughput` messages, so one hot actor cannot starve the others; a yield
// budget (messages and time since the last macrotask) makes it yield to timers and I/O.
// A picker (test kit) may choose which ready actor runs next.

import type { Scheduler } from '../clock.ts';
import { YieldBudget } from './yield-budget.ts';

/** Something the dispatcher can run: an actor cell. */
export interface Runnable {
  /** Runs one turn; returns how many user messages it handled. */
  runTurn(): number;
  readonly path: string;
}

/** Chooses the index of the next actor to run among `ready[head..]`. */
export type Picker = (ready: readonly Runnable[], head: number) => number;

export class Dispatcher {
  private ready: Runnable[] = [];
  private head = 0;
  private armed = false;
  private readonly drainFn = (): void => this.drain();
  private readonly budget: YieldBudget;

  constructor(
    private readonly scheduler: Scheduler,
    readonly throughput: number,
    yieldEvery: number,
    yieldAfterMs: number,
    private readonly picker: Picker | null,
    private readonly onTurn: ((actor: string) => void) | null,
  ) {
    this.budget = new YieldBudget(scheduler, yieldEvery, yieldAfterMs);
  }

  get queued(): number { return this.ready.length - this.head; }

  schedule(r: Runnable): void {
    this.ready.push(r);
    if (!this.armed) {
      this.armed = true;
      // A spent budget means this microtask chain has run long enough: wait for a macrotask.
      if (this.budget.spent) this.scheduler.yieldThen(this.drainFn);
      else this.scheduler.soon(this.drainFn);
    }
  }

  private drain(): void {
    const budget = this.budget;
    budget.begin();
    const picker = this.picker;
    while (this.head < this.ready.length) {
      const ready = this.ready;
      if (picker !== null) {
        const i = picker(ready, this.head);
        const t = ready[i];
        ready[i] = ready[this.head];
        ready[this.head] = t;
      }
      const r = ready[this.head];
      ready[this.head++] = undefined as unknown as Runnable;
      if (this.head === ready.length) { ready.length = 0; this.head = 0; }
      else if (this.head > 4096 && this.head * 2 > ready.length) { this.ready = ready.slice(this.head); this.head = 0; }
      if (this.onTurn !== null) this.onTurn(r.path);
      if (budget.charge(r.runTurn() || 1) && this.head < this.ready.length) {
        this.scheduler.yieldThen(this.drainFn);
        return;
      }
    }
    this.armed = false;
  }
}
