// Specs for the skewed-clock seam on virtual time: offsets jump the wrapped clocks, drift changes
// their rate, a system on a skewed clock fires its timers early or late, and bad skews are refused.

import { test } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createClockSkew } from '../../runtime/clock-skew.ts';
import { isTroupeError, type TroupeError } from '../../runtime/errors.ts';
import { createSystem } from '../../runtime/system.ts';
import { defineActor } from '../../runtime/behavior.ts';
import { createVirtualScheduler } from '../../runtime/virtual-clock.ts';
import { createRealScheduler, realClock } from '../../runtime/real-clock.ts';

const virtual = () => createVirtualScheduler(1_000, { soon: queueMicrotask, yieldThen: (f) => setImmediate(f) });

test('an offset jumps every wrapped clock at once; clear puts them back on their base', () => {
  const base = virtual();
  const wall = { now: () => 1_700_000_000_000 + base.clock.now() };
  const skew = createClockSkew();
  const mono = skew.wrap(base.clock);
  const skewedWall = skew.wrap(wall);
  assert.is(mono.now(), 1_000);
  skew.set({ offsetMs: 5_000 });
  assert.is(mono.now(), 6_000);
  assert.is(skewedWall.now(), wall.now() + 5_000);
  base.setNow(2_000);
  assert.is(mono.now(), 7_000, 'the offset holds as time goes on');
  skew.set({ offsetMs: -3_000 });
  assert.is(mono.now(), -1_000, 'a negative offset runs the clock back: the fault a monotonic clock never makes');
  skew.clear();
  assert.is(mono.now(), 2_000);
  assert.equal(skew.current, { offsetMs: 0, driftRatio: 0 });
});

test('drift runs the clock fast or slow from when it is set, keeping what accrued', () => {
  const base = virtual();
  const skew = createClockSkew();
  const c = skew.wrap(base.clock);
  skew.set({ driftRatio: 0.5 });
  base.setNow(3_000); // 2 000 ms of base time
  assert.is(c.now(), 4_000, '2 000 ms at 1.5×');
  skew.set({ driftRatio: -0.5 });
  base.setNow(5_000);
  assert.is(c.now(), 4_000 + 1_000, 'the accrued 1 000 ms stay; 2 000 ms more of base time at 0.5× add 1 000');
  const late = skew.wrap(base.clock);
  assert.is(late.now(), 5_000, 'a clock wrapped later starts without the accrued drift');
  base.setNow(7_000);
  assert.is(late.now(), 6_000, 'and runs at the current drift');
});

test('a system on a skewed clock: after a jump forward, timers due by the new time fire at its next wake-up', async () => {
  const skew = createClockSkew();
  const clock = skew.wrap(realClock);
  const scheduler = createRealScheduler(clock);
  const system = createSystem({ scheduler });
  const until = async (ok: () => boolean): Promise<boolean> => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    return ok();
  };
  let beating = true;
  const beat = (): void => { if (beating) scheduler.startTimer(50, beat); }; // a node always has timers due soon (heartbeats)
  beat();
  try {
    const seen: string[] = [];
    system.spawn(defineActor<'tick', undefined>({ init: (ctx) => { ctx.timers.startSingle('t', 'tick', 60_000); return undefined; }, receive: () => { seen.push('tick'); } }));
    scheduler.startTimer(30, () => seen.push('marker'));
    assert.ok(await until(() => seen.includes('marker')));
    assert.equal(seen, ['marker'], 'without skew the 60 s timer waits');
    skew.set({ offsetMs: 120_000 });
    assert.ok(await until(() => seen.includes('tick')), `the actor's 60 s timer fired once the clock jumped 2 minutes: ${seen.join(' ')}`);
  } finally {
    beating = false;
    await system.terminate();
  }
});

test('bad skews are refused with invalid-argument naming the field; nothing changes', () => {
  const skew = createClockSkew();
  for (const [s, field] of [[{ offsetMs: Number.NaN }, 'offsetMs'], [{ offsetMs: Infinity }, 'offsetMs'], [{ driftRatio: -1 }, 'driftRatio'], [{ driftRatio: Number.NaN }, 'driftRatio']] as const) {
    try {
      skew.set(s);
      assert.unreachable(JSON.stringify(s));
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'));
      assert.is((e as TroupeError).data.field, field);
    }
  }
  assert.equal(skew.current, { offsetMs: 0, driftRatio: 0 });
});

test.run();
