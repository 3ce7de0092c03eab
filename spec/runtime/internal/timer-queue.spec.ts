// Specs of the timer heap shared by the real and virtual schedulers: (deadline, start) order,
// cancellation, and compaction after many cancels.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import type { TimerId } from '../../../runtime/clock.ts';
import { TimerQueue } from '../../../runtime/internal/timer-queue.ts';
import { createSeededRandom } from '../../../runtime/random.ts';

/** Fires every timer due at or before `now`, returning what they recorded. */
function fireDue(q: TimerQueue, now: number, log: string[]): string[] {
  for (let fn = q.popDue(now); fn; fn = q.popDue(now)) fn();
  return log;
}

const test = suite('timer-queue');

test('an empty queue has no deadline and nothing due', () => {
  const q = new TimerQueue();
  assert.is(q.size, 0);
  assert.is(q.peek(), undefined);
  assert.is(q.popDue(1e12), undefined);
});

const orderCases: { name: string; timers: [label: string, at: number][]; expected: string[] }[] = [
  { name: 'by deadline', timers: [['c', 30], ['a', 10], ['b', 20]], expected: ['a', 'b', 'c'] },
  { name: 'equal deadlines in start order', timers: [['x1', 5], ['x2', 5], ['x3', 5], ['x4', 5], ['x5', 5]], expected: ['x1', 'x2', 'x3', 'x4', 'x5'] },
  { name: 'deadline first, then start order', timers: [['b1', 2], ['a1', 1], ['b2', 2], ['a2', 1], ['c1', 3], ['a3', 1]], expected: ['a1', 'a2', 'a3', 'b1', 'b2', 'c1'] },
  { name: 'deadline 0', timers: [['later', 1], ['now', 0]], expected: ['now', 'later'] },
];
for (const c of orderCases) {
  test(`fires ${c.name}`, () => {
    const q = new TimerQueue();
    const log: string[] = [];
    for (const [label, at] of c.timers) q.add(at, () => log.push(label));
    assert.is(q.size, c.timers.length);
    assert.equal(fireDue(q, 1e9, log), c.expected);
    assert.is(q.size, 0);
  });
}

test('for 500 timers with random deadlines, fires in (deadline, start) order', () => {
  const r = createSeededRandom(11);
  const q = new TimerQueue();
  const timers = Array.from({ length: 500 }, (_, i) => ({ i, at: r.int(50) }));
  const log: number[] = [];
  for (const t of timers) q.add(t.at, () => log.push(t.i));
  for (let fn = q.popDue(1e9); fn; fn = q.popDue(1e9)) fn();
  assert.equal(log, [...timers].sort((a, b) => a.at - b.at || a.i - b.i).map((t) => t.i));
});

test('popDue returns only timers due at or before now; peek names the earliest deadline', () => {
  const q = new TimerQueue();
  const log: string[] = [];
  q.add(10, () => log.push('a'));
  q.add(20, () => log.push('b'));
  assert.is(q.peek(), 10);
  assert.is(q.popDue(9), undefined);
  assert.equal(fireDue(q, 10, log), ['a']);
  assert.is(q.peek(), 20);
  assert.is(q.size, 1);
  assert.equal(fireDue(q, 100, log), ['a', 'b']);
});

test('a cancelled timer never fires, does not count, and is skipped by peek', () => {
  const q = new TimerQueue();
  const log: string[] = [];
  const a = q.add(10, () => log.push('a'));
  q.add(20, () => log.push('b'));
  const c = q.add(30, () => log.push('c'));
  q.cancel(a);
  q.cancel(c);
  assert.is(q.size, 1);
  assert.is(q.peek(), 20);
  assert.equal(fireDue(q, 100, log), ['b']);
  assert.is(q.size, 0);
});

test('cancelling twice, or after the timer fired, is a no-op', () => {
  const q = new TimerQueue();
  const log: string[] = [];
  const a = q.add(1, () => log.push('a'));
  const b = q.add(2, () => log.push('b'));
  q.add(3, () => log.push('c'));
  q.cancel(b);
  q.cancel(b);
  fireDue(q, 1, log);
  q.cancel(a);
  assert.is(q.size, 1);
  assert.equal(fireDue(q, 10, log), ['a', 'c']);
  assert.is(q.size, 0);
});

test('a timer added while others fire takes its place in the order', () => {
  const q = new TimerQueue();
  const log: string[] = [];
  q.add(10, () => { log.push('a'); q.add(10, () => log.push('a-child')); q.add(15, () => log.push('mid')); });
  q.add(10, () => log.push('b'));
  q.add(20, () => log.push('c'));
  assert.equal(fireDue(q, 100, log), ['a', 'b', 'a-child', 'mid', 'c']);
});

test('after many cancels the heap is compacted and the survivors still fire in (deadline, start) order', () => {
  const q = new TimerQueue();
  const r = createSeededRandom(5);
  const log: number[] = [];
  const ids: { i: number; at: number; id: TimerId }[] = [];
  for (let i = 0; i < 4000; i++) {
    const at = r.int(100);
    ids.push({ i, at, id: q.add(at, () => log.push(i)) });
  }
  // cancel 9 of every 10 (the top of the heap among them)
  const kept = ids.filter((t) => t.i % 10 === 3);
  for (const t of ids) if (t.i % 10 !== 3) q.cancel(t.id);
  assert.is(q.size, kept.length);
  // compaction bounds the heap to a small multiple of the live timers (internal, but the point of it)
  const heapLength = (q as unknown as { heap: unknown[] }).heap.length;
  assert.ok(heapLength <= 4 * kept.length, `heap holds ${heapLength} entries for ${kept.length} live timers`);
  for (let fn = q.popDue(1e9); fn; fn = q.popDue(1e9)) fn();
  assert.equal(log, [...kept].sort((a, b) => a.at - b.at || a.i - b.i).map((t) => t.i));
  assert.is(q.size, 0);
});

test.run();
