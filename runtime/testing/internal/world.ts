// The closed world a simulation runs in: one virtual clock, one set of ready steps for every node
// (actor turns, settled asks, ended async handlers, due timers, deferred work), one seeded choice
// of which step runs next, the recording of every step, replay, and escape detection.
// Over 400 lines on purpose: the loop, its drivers and its replay share the same state and must be read together.

import type { Clock, Scheduler, TimerId } from '../../clock.ts';
import type { ClockSkew } from '../../clock-skew.ts';
import { heapPop, heapPush } from '../../internal/timer-heap.ts';
import { TroupeError } from '../../errors.ts';
import type { DispatcherLike, Runnable } from '../../internal/dispatcher.ts';
import type { Process } from '../../internal/process.ts';
import type { SimHooks, Tracer } from '../../internal/system-core.ts';
import { createSeededRandom, type Random } from '../../random.ts';
import { microtaskBarrier, onNextMacrotask } from '../../real-clock.ts';
import { parseSimTrace, SIM_TRACE_FORMAT, traceLength, stepLabel, type SimTrace } from '../sim-trace.ts';
import type { SimFault } from '../sim-faults.ts';
import { describeResource, enterSimulation, unwatchEscapes, watchEscapes, type EscapeListener } from './escape-watch.ts';

/** How a world is set up. */
export interface WorldOptions {
  readonly seed: number;
  /** Let the seeded chooser pick among ready steps (else the oldest runs first). */
  readonly explore: boolean;
  /** Follow this trace step by step (its seed and faults must be the ones this world was given). */
  readonly replay?: SimTrace;
  /** Record every step (needed for `trace()`). */
  readonly record: boolean;
  /** Halt with `simulation-escape` when simulated code starts real asynchronous work. */
  readonly escapes: 'fail' | 'allow';
  readonly startMs: number;
  readonly faults: readonly SimFault[];
}

/** Steps run on microtasks; after this many since the last macrotask the world yields one (real timers, I/O). */
const BURST = 2_000;

/** Queues `fn` as a microtask: a reaction of this settled promise costs less than `queueMicrotask`. */
const SETTLED = Promise.resolve();

/** Kinds of deferred work, for labels. */
type TaskKind = 'soon' | 'yield' | 'timer' | 'resume' | 'fault';

/** Deferred work: a callback run as one step. */
class Task implements Runnable {
  constructor(public fn: (() => void) | null, readonly kind: TaskKind, readonly owner: Process | null, readonly note: string) {}
  get path(): string { return this.note; }
  get backlog(): number { return 0; }
  runTurn(): number {
    const f = this.fn;
    this.fn = null;
    if (f !== null) f();
    return 1;
  }
  label(slot: Slot): string {
    switch (this.kind) {
      case 'resume': {
        const path = this.owner!.address.path;
        return path.startsWith('/temp/') ? `${slot.name}${path}` : `${slot.name}${path} done`;
      }
      case 'fault': return `fault ${this.note}`;
      default: return `${slot.name} ${this.kind}`;
    }
  }
}

/** A timer: a task waiting for its deadline in the world's heap. */
class TimerTask extends Task implements TimerId {
  /** In the heap (not yet due): cancelling it then makes one live timer less. */
  queued = true;
  constructor(fn: () => void, readonly slot: Slot, readonly at: number, readonly seq: number) { super(fn, 'timer', null, ''); }
}

/**
 * One node incarnation (or the network, or the fault schedule): its scheduler and dispatcher go
 * through the world. A dead slot's steps and timers are dropped; a paused slot's are held.
 */
export class Slot {
  dead = false;
  paused = false;
  /** Steps that came due while paused, in order. */
  held: Runnable[] = [];
  /** Transport input held while paused (released after the held steps on resume). */
  heldInput: (() => void)[] = [];
  tracer: Tracer | null = null;
  private labels: Map<Runnable, string> | null = null;
  readonly scheduler: Scheduler;
  readonly hooks: SimHooks;

  /**
   * `skew`: the node's clock skew (a machine's clock: it outlives the node's incarnations). The
   * node reads the world's clock through it, and a drift scales its timers (10 % fast: a 100 ms
   * timer fires after 100 / 1.1 ms of world time); an offset moves readings only.
   */
  constructor(readonly world: World, readonly name: string, skew?: ClockSkew) {
    const w = world;
    this.scheduler = {
      clock: skew === undefined ? w.clock : skew.wrap(w.clock),
      soon: (fn) => w.enqueue(this, new Task(fn, 'soon', null, '')),
      yieldThen: (fn) => w.enqueue(this, new Task(fn, 'yield', null, '')),
      startTimer: skew === undefined ? (ms, fn) => w.startTimer(this, ms, fn) : (ms, fn) => w.startTimer(this, ms / (1 + skew.current.driftRatio), fn),
      cancelTimer: (id) => w.cancelTimer(id),
    };
    this.hooks = { resume: (owner, fn) => w.enqueue(this, new Task(fn, 'resume', owner, '')) };
  }

  /** The dispatcher a system on this slot uses: its ready actors become the world's steps. */
  dispatcher(throughput: number): DispatcherLike {
    return { throughput, schedule: (r) => this.world.enqueue(this, r) };
  }

  labelOf(r: Runnable): string {
    if (r instanceof Task) return r.label(this);
    const labels = this.labels ??= new Map();
    let l = labels.get(r);
    if (l === undefined) { l = `${this.name}${r.path}`; labels.set(r, l); }
    return l;
  }
}

interface Drive {
  readonly deadline: number;
  readonly until: (() => boolean) | null;
  readonly resolve: (ready: boolean) => void;
  readonly reject: (e: unknown) => void;
}

/** A random source that counts its draws into the world (replay checks them step by step). */
function counted(inner: Random, world: World): Random {
  return {
    seed: inner.seed,
    next: () => { world.draws++; return inner.next(); },
    int: (max) => { world.draws++; return inner.int(max); },
    bytes: (n) => { world.draws++; return inner.bytes(n); },
  };
}

/** What a test system or a simulated cluster says about its world (defaults: seed 1, no exploration, record, escapes fail, start 0, no faults). */
export interface WorldChoices {
  readonly seed?: number;
  readonly explore?: boolean;
  readonly replay?: SimTrace;
  readonly record?: boolean;
  readonly escapes?: 'fail' | 'allow';
  readonly startMs?: number;
  readonly faults?: readonly SimFault[];
}

/**
 * The world for `o`: a replay brings its own seed, exploration and faults (a different `seed`
 * given with it is `invalid-argument`; a malformed trace too). `check` sees the faults first.
 */
export function worldFor(o: WorldChoices, check: (faults: readonly SimFault[]) => void = () => {}): World {
  const replay = o.replay === undefined ? undefined : parseSimTrace(o.replay);
  if (replay && o.seed !== undefined && o.seed !== replay.seed) {
    throw new TroupeError('invalid-argument', `A replay runs with its trace's seed (${replay.seed}), not ${o.seed}: leave seed out.`);
  }
  const faults = replay?.faults ?? o.faults ?? [];
  check(faults);
  return new World({
    seed: replay?.seed ?? o.seed ?? 1,
    explore: replay?.explore ?? o.explore ?? false,
    replay,
    record: o.record ?? true,
    escapes: o.escapes ?? 'fail',
    startMs: o.startMs ?? 0,
    faults,
  });
}

export class World implements EscapeListener {
  now: number;
  readonly clock: Clock;
  /** Random draws made so far by every source the world handed out. */
  draws = 0;
  /** Steps run so far. */
  steps = 0;
  readonly seed: number;
  readonly explore: boolean;
  readonly faults: readonly SimFault[];
  /** Called after every `checkEvery` steps (invariants); a throw halts the world with it. */
  onStep: (() => void) | null = null;
  checkEvery = 1;
  /** Set once the run is over (after terminate/shutdown): a trace taken now has an `end`. */
  ended = false;
  selfScheduling = false;

  /** Ready steps are runs[head, tail) (with their slots); the arrays keep their capacity between instants. */
  private runs: Runnable[] = [];
  private slotsOf: Slot[] = [];
  private head = 0;
  private tail = 0;
  private armed = false;
  private burst = 0;
  private active = false;
  private halted: unknown = null;
  private drivers: Drive[] = [];
  private readonly heap: TimerTask[] = [];
  private timerSeq = 0;
  private liveTimers = 0;
  private readonly choice: Random;
  private replay: SimTrace | null;
  private readonly replayLength: number;
  private readonly watch: boolean;
  /** The next barrier is a macrotask (a driver call gives real I/O a turn, as it always did). */
  private yieldSoon = false;
  private lastSlot: Slot | null = null;
  private lastRun: Runnable | null = null;
  // recording
  private readonly record: boolean;
  private readonly labelIds = new Map<string, number>();
  private readonly labels: string[] = [];
  private readonly trail: number[] = [];

  constructor(o: WorldOptions) {
    this.seed = o.seed;
    this.now = o.startMs;
    this.clock = { now: () => this.now };
    this.explore = o.explore;
    this.faults = o.faults;
    this.choice = createSeededRandom((o.seed ^ 0x5bd1e995) >>> 0);
    this.replay = o.replay ?? null;
    this.replayLength = o.replay ? traceLength(o.replay) : 0;
    this.record = o.record;
    this.watch = o.escapes === 'fail';
  }

  /** A random source for simulated code, seeded from the world's seed and `salt`; its draws are counted. */
  random(salt: number): Random {
    return counted(createSeededRandom((this.seed + Math.imul(salt, 0x9e3779b1)) >>> 0), this);
  }

  slot(name: string, skew?: ClockSkew): Slot {
    return new Slot(this, name, skew);
  }

  /** The first error that halted the world (a divergence, an escape, a failed invariant), if any. */
  get failure(): unknown { return this.halted; }

  // ---- ready steps -------------------------------------------------------------------------

  enqueue(slot: Slot, r: Runnable): void {
    if (slot.dead) return;
    if (slot.paused) { slot.held.push(r); return; }
    this.runs[this.tail] = r;
    this.slotsOf[this.tail] = slot;
    this.tail++;
    if (!this.armed) this.arm();
  }

  private arm(): void {
    if (this.halted !== null) return;
    this.armed = true;
    this.activate();
    void SETTLED.then(this.pump);
  }

  /**
   * A barrier: every microtask the last steps queued (and every one those queued) has run when it
   * fires. Between instants it is the end of the microtask queue (a macrotask per instant cost
   * more than the instant's steps); it is the next macrotask, so real timers and I/O get their
   * turn, at the start of each driver call and once `BURST` steps ran since the last one.
   */
  private armBarrier(): void {
    if (this.halted !== null) return;
    this.armed = true;
    this.activate();
    if (!this.yieldSoon && this.burst <= BURST) { this.barrier(); return; }
    this.selfScheduling = true;
    onNextMacrotask(this.afterMacrotask);
    this.selfScheduling = false;
  }

  /**
   * Runs ready steps. Exploring, a step of deferred work (a settled ask, an ended handler, a timer)
   * is followed by a microtask hop: the code it resumes runs before the next step, so where a
   * continuation lands among the other steps is explored too. Otherwise in one synchronous batch
   * until none is ready, as the production dispatcher drains its actors.
   */
  private readonly pump = (): void => {
    // `armed` stays true while it runs: what its steps enqueue waits for it, not for another pump
    if (this.halted !== null) { this.armed = false; return; }
    if (this.head === this.tail) { this.armed = false; this.armBarrier(); return; }
    if (this.watch) enterSimulation(this);
    do {
      if (++this.burst > BURST) { this.armed = false; this.armBarrier(); return; }
      if (this.runOne() && this.explore) break;
    } while (this.head < this.tail && this.halted === null);
    void SETTLED.then(this.pump);
  };

  private readonly afterMacrotask = (): void => {
    this.burst = 0;
    this.yieldSoon = false;
    this.afterBarrier();
  };

  private readonly afterBarrier = (): void => {
    if (this.halted !== null) { this.armed = false; return; }
    if (this.head < this.tail) { this.pump(); return; }
    this.armed = false;
    this.idle();
  };

  private readonly barrier = microtaskBarrier(this.afterBarrier);

  /** Runs the chosen ready step; true when it was deferred work (it may have resumed awaiting code). */
  private runOne(): boolean {
    const head = this.head;
    const n = this.tail - head;
    let off = 0;
    if (this.replay !== null) {
      off = this.replayChoice(n);
      if (off < 0) return false;
    } else if (n > 1 && this.explore) off = this.choice.int(n);
    const runs = this.runs, slots = this.slotsOf;
    const r = runs[head + off], slot = slots[head + off];
    if (off !== 0) { runs[head + off] = runs[head]; slots[head + off] = slots[head]; }
    runs[head] = undefined as unknown as Runnable;
    slots[head] = undefined as unknown as Slot;
    this.head = head + 1;
    if (this.head === this.tail) { this.head = 0; this.tail = 0; }
    else if (this.head > 4096 && this.head * 2 > this.tail) { this.runs = runs.slice(this.head, this.tail); this.slotsOf = slots.slice(this.head, this.tail); this.tail -= this.head; this.head = 0; }
    if (this.record) this.remember(slot.labelOf(r), off);
    this.steps++;
    this.lastSlot = slot;
    this.lastRun = r;
    const task = r instanceof Task;
    if (slot.tracer !== null && !task) slot.tracer.turn(r.path);
    try {
      r.runTurn();
    } catch (e) {
      this.halt(e);
      return false;
    }
    if (this.onStep !== null && this.steps % this.checkEvery === 0) {
      try { this.onStep(); } catch (e) { this.halt(e); }
    }
    return task;
  }

  private remember(label: string, off: number): void {
    let id = this.labelIds.get(label);
    if (id === undefined) { id = this.labels.length; this.labels.push(label); this.labelIds.set(label, id); }
    this.trail.push(id, off, this.draws);
  }

  // ---- replay ------------------------------------------------------------------------------

  /** The offset of the recorded step among the ready ones, or -1 (the world halted: it diverged). */
  private replayChoice(n: number): number {
    const k = this.steps;
    const trace = this.replay!;
    if (k >= this.replayLength) {
      if (trace.end !== undefined) { this.halt(diverged(k, 'the end of the recorded run', this.readyLabel(0), this.readyLabels())); return -1; }
      this.replay = null; // a trace taken mid-run: from here on the run goes on as its seed decides
      return n > 1 && this.explore ? this.choice.int(n) : 0;
    }
    if (n > 1 && this.explore) this.choice.int(n); // stays in step with the recorded run's chooser
    const expected = trace.labels[trace.steps[3 * k]];
    const off = trace.steps[3 * k + 1];
    const draws = trace.steps[3 * k + 2];
    if (off >= n) { this.halt(diverged(k, expected, `only ${n} step(s) ready`, this.readyLabels())); return -1; }
    const got = this.readyLabel(off);
    if (got !== expected) { this.halt(diverged(k, expected, got, this.readyLabels())); return -1; }
    if (draws !== this.draws) {
      this.halt(diverged(k, `${expected} after ${draws} random draws`, `${got} after ${this.draws} (the code draws randomness differently)`, []));
      return -1;
    }
    return off;
  }

  private readyLabel(off: number): string {
    return this.slotsOf[this.head + off].labelOf(this.runs[this.head + off]);
  }

  private readyLabels(): string[] {
    const out: string[] = [];
    for (let i = this.head; i < this.tail && out.length < 12; i++) out.push(this.slotsOf[i].labelOf(this.runs[i]));
    return out;
  }

  /**
   * Throws `replay-diverged` if this world replays a trace it has not reached the end of (the run
   * ended early). Call when the scenario is over.
   */
  checkReplayComplete(): void {
    if (this.halted !== null) throw this.halted;
    if (this.replay !== null && this.steps < this.replayLength) {
      throw diverged(this.steps, stepLabel(this.replay, this.steps)!, 'the end of the run', []);
    }
  }

  /** The trace so far (with its `end` once the run is over). */
  trace(notes?: Readonly<Record<string, string | number>>): SimTrace {
    if (!this.record) {
      throw new TroupeError('invalid-argument', 'This simulation does not record its steps: create it with record: true to take its trace.');
    }
    return {
      format: SIM_TRACE_FORMAT,
      seed: this.seed,
      explore: this.explore,
      faults: this.faults,
      labels: [...this.labels],
      steps: [...this.trail],
      ...(this.ended ? { end: { steps: this.steps, atMs: this.now } } : {}),
      ...(notes ? { notes } : {}),
    };
  }

  // ---- timers ------------------------------------------------------------------------------

  startTimer(slot: Slot, delayMs: number, fn: () => void): TimerId {
    const t = new TimerTask(fn, slot, this.now + (delayMs > 0 ? delayMs : 0), ++this.timerSeq);
    if (slot.dead) { t.fn = null; t.queued = false; return t; }
    this.liveTimers++;
    heapPush(this.heap, t);
    return t;
  }

  cancelTimer(id: TimerId): void {
    const t = id as TimerTask;
    if (t.fn === null) return;
    t.fn = null;
    if (t.queued) this.liveTimers--;
  }

  /** Deadline of the earliest live timer. */
  nextDeadline(): number | undefined {
    const h = this.heap;
    while (h.length > 0 && h[0].fn === null) heapPop(h)!.queued = false;
    return h.length > 0 ? h[0].at : undefined;
  }

  get pendingTimers(): number { return this.liveTimers; }

  /** Moves every live timer due at the earliest deadline (≤ `at`) to the ready steps; false if none. */
  private fireDue(at: number): boolean {
    const next = this.nextDeadline();
    if (next === undefined || next > at) return false;
    if (next > this.now) this.now = next;
    const h = this.heap;
    while (h.length > 0 && h[0].at === next) {
      const t = heapPop(h)!;
      t.queued = false;
      if (t.fn === null) continue;
      this.liveTimers--;
      this.enqueue(t.slot, t);
    }
    return true;
  }

  // ---- nodes: crash, pause -------------------------------------------------------------------

  /** Drops every step and timer of `slot` for good: its in-flight work never resumes. */
  kill(slot: Slot): void {
    slot.dead = true;
    slot.held = [];
    slot.heldInput = [];
    this.removeReady(slot);
    for (const t of this.heap) if (t.slot === slot && t.fn !== null) { t.fn = null; this.liveTimers--; }
  }

  pause(slot: Slot): void {
    if (slot.paused || slot.dead) return;
    slot.paused = true;
    slot.held.push(...this.removeReady(slot));
  }

  /** Runs what waited: its steps (overdue timers first, in order), then its transport input. */
  resume(slot: Slot): void {
    if (!slot.paused) return;
    slot.paused = false;
    const steps = slot.held;
    const input = slot.heldInput;
    slot.held = [];
    slot.heldInput = [];
    for (const r of steps) this.enqueue(slot, r);
    for (const fn of input) fn();
  }

  private removeReady(slot: Slot): Runnable[] {
    const out: Runnable[] = [];
    const runs: Runnable[] = [], slots: Slot[] = [];
    for (let i = this.head; i < this.tail; i++) {
      if (this.slotsOf[i] === slot) out.push(this.runs[i]);
      else { runs.push(this.runs[i]); slots.push(this.slotsOf[i]); }
    }
    this.runs = runs;
    this.slotsOf = slots;
    this.head = 0;
    this.tail = runs.length;
    return out;
  }

  // ---- drivers -----------------------------------------------------------------------------

  /**
   * Runs the world until `until()` holds (checked whenever nothing is ready at the current
   * instant) or virtual time reaches `deadline`, firing timers in order; resolves whether `until`
   * held (true when there is none). Rejects at once if the world halted.
   */
  drive(deadline: number, until: (() => boolean) | null): Promise<boolean> {
    if (this.halted !== null) return Promise.reject(this.halted);
    return new Promise<boolean>((resolve, reject) => {
      this.drivers.push({ deadline, until, resolve, reject });
      this.yieldSoon = true;
      if (!this.armed) this.armBarrier();
    });
  }

  get driving(): boolean { return this.drivers.length > 0; }

  /** Nothing is ready at this instant and every microtask has run: settle drivers, or move time. */
  private idle(): void {
    for (;;) {
      let settled = false;
      let minDeadline = Infinity;
      for (let i = 0; i < this.drivers.length;) {
        const d = this.drivers[i];
        let verdict: boolean | undefined;
        try {
          if (d.until !== null && d.until()) verdict = true;
          else if (d.deadline <= this.now) verdict = d.until === null;
        } catch (e) {
          this.drivers.splice(i, 1);
          d.reject(e);
          settled = true;
          continue;
        }
        if (verdict !== undefined) { this.drivers.splice(i, 1); d.resolve(verdict); settled = true; continue; }
        if (d.deadline < minDeadline) minDeadline = d.deadline;
        i++;
      }
      if (this.drivers.length === 0) { this.deactivate(); return; }
      // let the code awaiting a settled driver go on before time moves for the others
      if (settled) { this.armBarrier(); return; }
      if (this.fireDue(minDeadline)) {
        if (!this.armed) this.armBarrier();
        return;
      }
      if (minDeadline > this.now) this.now = minDeadline;
    }
  }

  // ---- halting -----------------------------------------------------------------------------

  /** Stops the world for good: nothing runs any more, every driver (now and later) rejects with `error`. */
  halt(error: unknown): void {
    if (this.halted !== null) return;
    this.halted = error;
    for (const d of this.drivers.splice(0)) d.reject(error);
    this.deactivate();
  }

  /** The world is done with (its run is over): stop watching for escapes. */
  dispose(): void {
    this.ended = true;
    this.deactivate();
  }

  escaped(type: string, stack: string): void {
    const label = this.lastSlot === null ? undefined : this.lastSlot.labelOf(this.lastRun!);
    const where = label === undefined ? 'before its first step' : `in step ${this.steps - 1} (${label}) or the code it resumed`;
    const frames = stack.split('\n').slice(1).map((l) => l.trim()).filter((l) => !l.includes('node:') && !l.includes('escape-watch.ts')).slice(0, 4);
    this.halt(new TroupeError('simulation-escape',
      `Simulated code started ${describeResource(type)} ${where} at ${this.now} ms of virtual time. Its result would arrive in real ` +
      `time, so runs of one seed would differ: use the simulation's clock, timers and storage instead (ctx.timers, ` +
      `sim.journal(node), the system's scheduler), or pass escapes: 'allow' to accept it.${frames.length > 0 ? ` Started at: ${frames.join(' ← ')}` : ''}`,
      { type, step: this.steps - 1, label, atMs: this.now, stack }));
  }

  private activate(): void {
    if (this.active || !this.watch) return;
    this.active = true;
    watchEscapes();
  }

  private deactivate(): void {
    if (!this.active) return;
    this.active = false;
    unwatchEscapes();
  }
}

function diverged(step: number, expected: string, got: string, ready: readonly string[]): TroupeError {
  return new TroupeError('replay-diverged',
    `Replay diverged at step ${step}: expected ${expected}, got ${got}${ready.length > 1 ? ` (ready: ${ready.join(', ')})` : ''}. ` +
    'The code, the scenario or the trace changed since it was recorded.', { step, expected, got, ready });
}
