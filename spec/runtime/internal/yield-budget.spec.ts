// The dispatcher's yield budget as a unit, on a hand-driven scheduler: explicit microtask and
// macrotask queues and a clock that moves only when a turn says so.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import type { Scheduler, TimerId } from '../../../runtime/clock.ts';
import { Dispatcher, type Runnable } from '../../../runtime/internal/dispatcher.ts';
import { YieldBudget } from '../../../runtime/internal/yield-budget.ts';
import { createSystem, isTroupeError } from '../../../runtime/index.ts';

/** A scheduler whose queues the spec runs by hand; `reads` counts clock reads. */
function handScheduler() {
  const micro: (() => void)[] = [];
  const macro: (() => void)[] = [];
  const h = {
    now: 0,
    reads: 0,
    micro,
    macro,
    /** Runs microtasks until none is left (what the engine does after each macrotask). */
    runMicro(): void { for (let fn = micro.shift(); fn; fn = micro.shift()) fn(); },
    /** Runs one macrotask, then every microtask; false when there was none. */
    runMacro(): boolean {
      const fn = macro.shift();
      if (!fn) return false;
      fn();
      h.runMicro();
      return true;
    },
    scheduler: null as unknown as Scheduler,
  };
  h.scheduler = {
    clock: { now: () => { h.reads++; return h.now; } },
    soon: (fn) => { micro.push(fn); },
    yieldThen: (fn) => { macro.push(fn); },
    startTimer: (): TimerId => { throw new Error('no timers here'); },
    cancelTimer: () => {},
  };
  return h;
}

/** An actor that handles one message per turn, taking `costMs` of the hand clock. */
function actor(h: ReturnType<typeof handScheduler>, costMs: number, after: () => void): Runnable & { turns: number } {
  const r = {
    path: '/user/a',
    turns: 0,
    backlog: 1, // one message per schedule: the chain produces nothing while it waits
    runTurn(): number { r.turns++; h.now += costMs; after(); return 1; },
  };
  return r;
}

const test = suite('yield budget');

test('an ask→reply→ask chain (a new drain per message) yields after yieldEvery messages', () => {
  const h = handScheduler();
  const d = new Dispatcher(h.scheduler, 100, 10, Infinity, null);
  let left = 35;
  // Each turn "replies"; the awaiting loop resumes on a microtask and asks again: a fresh drain.
  const a = actor(h, 0, () => { if (--left > 0) h.scheduler.soon(() => d.schedule(a)); });
  d.schedule(a);
  h.runMicro();
  assert.is(a.turns, 10, 'the first microtask chain ran exactly the budget');
  assert.ok(h.macro.length > 0, 'and left a macrotask to continue');
  const perMacrotask: number[] = [];
  let before = a.turns;
  while (h.runMacro()) { if (a.turns > before) perMacrotask.push(a.turns - before); before = a.turns; }
  assert.equal(perMacrotask, [10, 10, 5]);
  assert.is(d.queued, 0);
});

test('a CPU-bound chain in one drain yields once the time budget is spent', () => {
  const h = handScheduler();
  const d = new Dispatcher(h.scheduler, 100, 1_000_000, 5, null);
  let left = 20;
  const a = actor(h, 2, () => { if (--left > 0) d.schedule(a); });
  d.schedule(a);
  h.runMicro();
  assert.is(a.turns, 3, '2 ms turns against a 5 ms budget: the third turn spends it');
  assert.is(h.now, 6);
  let slices = 1;
  while (h.runMacro()) slices++;
  assert.is(a.turns, 20);
  assert.ok(slices >= 7, `20 turns of 2 ms in ≥ 7 slices, got ${slices}`);
});

test('a budget left over when a chain ends closes at the next macrotask', () => {
  const h = handScheduler();
  const d = new Dispatcher(h.scheduler, 100, 10, Infinity, null);
  let left = 6;
  const a = actor(h, 0, () => { if (--left > 0) h.scheduler.soon(() => d.schedule(a)); });
  d.schedule(a);
  h.runMicro();
  assert.is(a.turns, 6);
  assert.is(h.macro.length, 1, 'only the window marker is pending');
  h.runMacro();
  // A new chain after the boundary gets a whole window of 10, not the 4 left over.
  left = 12;
  d.schedule(a);
  h.runMicro();
  assert.is(a.turns, 16);
});

test('once spent, the next drain of the same microtask chain waits for a macrotask', () => {
  const h = handScheduler();
  const budget = new YieldBudget(h.scheduler, 3, Infinity);
  budget.begin();
  assert.is(budget.charge(1), false);
  assert.is(budget.charge(1), false);
  assert.is(budget.charge(1), true);
  assert.is(budget.spent, true);
  budget.begin(); // still within the same microtask chain: the window stays spent
  assert.is(budget.spent, true);
  h.runMacro(); // the marker queued when the window opened
  assert.is(budget.spent, false);

  const d = new Dispatcher(h.scheduler, 100, 2, Infinity, null);
  const a = actor(h, 0, () => {});
  d.schedule(a);
  d.schedule(a);
  h.runMicro();
  assert.is(a.turns, 2);
  d.schedule(a); // same microtask chain, budget spent, queue was empty: no microtask drain
  h.runMicro();
  assert.is(a.turns, 2);
  while (h.runMacro());
  assert.is(a.turns, 3);
});

test('cheap turns read the clock rarely; expensive turns read it every turn', () => {
  const h = handScheduler();
  const cheap = new YieldBudget(h.scheduler, 1_000_000, 5);
  cheap.begin();
  for (let i = 0; i < 6_400; i++) { h.now += 0.0005; assert.is(cheap.charge(1), false); }
  assert.ok(h.reads <= 6_400 / 64 + 10, `6 400 cheap turns took ${h.reads} clock reads`);

  const h2 = handScheduler();
  const dear = new YieldBudget(h2.scheduler, 1_000_000, 5);
  dear.begin();
  let turns = 0;
  do { h2.now += 1.5; turns++; } while (!dear.charge(1));
  assert.is(turns, 4, '1.5 ms turns against 5 ms: spent at the fourth (6 ms)');
});

test('on a clock that stands still only the message count applies (virtual time stays deterministic)', () => {
  const runs: number[][] = [];
  for (let k = 0; k < 2; k++) {
    const h = handScheduler();
    const d = new Dispatcher(h.scheduler, 100, 7, 5, null);
    let left = 30;
    const a = actor(h, 0, () => { if (--left > 0) d.schedule(a); });
    d.schedule(a);
    h.runMicro();
    const slices = [a.turns];
    let before = a.turns;
    while (h.runMacro()) { if (a.turns > before) slices.push(a.turns - before); before = a.turns; }
    runs.push(slices);
  }
  assert.equal(runs[0], [7, 7, 7, 7, 2]);
  assert.equal(runs[1], runs[0]);
});

test('a producer that keeps telling on microtasks while the budget is spent is kept up with', () => {
  const h = handScheduler();
  const d = new Dispatcher(h.scheduler, 100, 1_000, Infinity, null);
  // An actor with a real inbox: a turn takes up to 100 messages.
  const a = { path: '/user/sink', backlog: 0, scheduled: false, handled: 0, runTurn(): number {
    a.scheduled = false;
    const n = Math.min(100, a.backlog);
    a.backlog -= n;
    a.handled += n;
    if (a.backlog > 0) { a.scheduled = true; d.schedule(a); }
    return n;
  } };
  const tell = (): void => { a.backlog++; if (!a.scheduled) { a.scheduled = true; d.schedule(a); } };
  // 100 000 messages, 64 per microtask round, never yielding a macrotask (the `await null` producer).
  let sent = 0;
  let maxBacklog = 0;
  const round = (): void => {
    for (let i = 0; i < 64 && sent < 100_000; i++, sent++) tell();
    maxBacklog = Math.max(maxBacklog, a.backlog);
    if (sent < 100_000) h.scheduler.soon(round);
  };
  h.scheduler.soon(round);
  h.runMicro();
  assert.is(sent, 100_000);
  assert.ok(maxBacklog <= 2 * 1_000 + 200, `the backlog stayed near one budget, got ${maxBacklog}`);
  assert.ok(a.handled >= 100_000 - 2 * 1_000 - 200, `the sink kept up on microtasks (${a.handled} handled)`);
  while (h.runMacro());
  assert.is(a.handled, 100_000);
});

test('createSystem rejects a yieldAfterMs that is not > 0', () => {
  for (const yieldAfterMs of [0, -1, Number.NaN]) {
    try { createSystem({ yieldAfterMs }); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-argument'), String(e)); }
  }
});

test.run();
