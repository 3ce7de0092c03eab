// Specs of the FIFO ring mailbox: order, growth, prepend, bounded overflow policies, counters.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { Offer, type OverflowPolicy } from '../../mailboxes/mailbox.ts';
import { RingMailbox } from '../../mailboxes/ring-mailbox.ts';

const takeAll = (m: RingMailbox): unknown[] => {
  const out: unknown[] = [];
  while (m.size > 0) out.push(m.take());
  return out;
};
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

const test = suite('ring-mailbox');

test('an empty mailbox takes undefined and reports zero counters', () => {
  const m = new RingMailbox();
  assert.is(m.size, 0);
  assert.is(m.take(), undefined);
  assert.equal(m.stats(), { size: 0, highWater: 0, processed: 0, dropped: 0 });
  assert.is(m.capacity, Infinity);
});

for (const n of [1, 7, 8, 9, 16, 17, 33, 1000]) {
  test(`unbounded: ${n} messages come out in send order (growth past 8/16/…)`, () => {
    const m = new RingMailbox();
    for (let i = 0; i < n; i++) assert.is(m.offer(i), Offer.Accepted);
    assert.is(m.size, n);
    assert.equal(takeAll(m), range(0, n));
    assert.equal(m.stats(), { size: 0, highWater: n, processed: n, dropped: 0 });
  });
}

test('FIFO holds when the ring wraps around and then grows', () => {
  const m = new RingMailbox();
  const out: unknown[] = [];
  let next = 0;
  // interleave offers and takes so the head moves through the buffer before it grows
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 3 + round; i++) m.offer(next++);
    for (let i = 0; i < 2 + (round >> 1); i++) out.push(m.take());
  }
  out.push(...takeAll(m));
  assert.equal(out, range(0, next));
});

const prependCases: { name: string; queued: number[]; takeFirst: number; prepend: string[]; expected: unknown[] }[] = [
  { name: 'into an empty mailbox', queued: [], takeFirst: 0, prepend: ['a', 'b', 'c'], expected: ['a', 'b', 'c'] },
  { name: 'before queued messages', queued: [1, 2], takeFirst: 0, prepend: ['a', 'b'], expected: ['a', 'b', 1, 2] },
  { name: 'after the head moved', queued: [1, 2, 3, 4, 5], takeFirst: 3, prepend: ['a', 'b'], expected: ['a', 'b', 4, 5] },
  { name: 'growing the buffer', queued: range(0, 8), takeFirst: 0, prepend: range(0, 10).map((i) => `s${i}`), expected: [...range(0, 10).map((i) => `s${i}`), ...range(0, 8)] },
  { name: 'nothing', queued: [1], takeFirst: 0, prepend: [], expected: [1] },
];
for (const c of prependCases) {
  test(`prepend ${c.name} puts the messages in front, in their order`, () => {
    const m = new RingMailbox();
    for (const q of c.queued) m.offer(q);
    for (let i = 0; i < c.takeFirst; i++) m.take();
    m.prepend(c.prepend);
    assert.is(m.size, c.expected.length);
    assert.equal(takeAll(m), c.expected);
  });
}

test('prepend ignores capacity (unstash and restart must not lose messages)', () => {
  const m = new RingMailbox(2, 'reject');
  m.offer(1);
  m.offer(2);
  m.prepend(['a', 'b']);
  assert.is(m.size, 4);
  assert.is(m.offer(3), Offer.Rejected);
  assert.equal(takeAll(m), ['a', 'b', 1, 2]);
});

interface OverflowCase {
  readonly policy: OverflowPolicy;
  readonly result: Offer;
  readonly kept: number[];
  readonly evicted: unknown[];
}
const overflowCases: OverflowCase[] = [
  { policy: 'reject', result: Offer.Rejected, kept: [1, 2, 3], evicted: [] },
  { policy: 'drop-newest', result: Offer.DroppedNewest, kept: [1, 2, 3], evicted: [] },
  { policy: 'drop-oldest', result: Offer.EvictedOldest, kept: [3, 4, 5], evicted: [1, 2] },
];
for (const c of overflowCases) {
  test(`bounded(3, ${c.policy}): offers past capacity return ${c.result} and keep ${c.kept.join(',')}`, () => {
    const m = new RingMailbox(3, c.policy);
    const evicted: unknown[] = [];
    m.onEvict = (msg) => evicted.push(msg);
    for (const i of [1, 2, 3]) assert.is(m.offer(i), Offer.Accepted);
    assert.is(m.offer(4), c.result);
    assert.is(m.offer(5), c.result);
    assert.is(m.size, 3);
    assert.equal(evicted, c.evicted);
    assert.equal(m.stats(), { size: 3, highWater: 3, processed: 0, dropped: 2 });
    assert.equal(takeAll(m), c.kept);
    // evictions are not counted as processed
    assert.equal(m.stats(), { size: 0, highWater: 3, processed: 3, dropped: 2 });
    // the mailbox accepts again once it has room
    assert.is(m.offer(6), Offer.Accepted);
  });
}

test('drop-oldest without onEvict still evicts and counts', () => {
  const m = new RingMailbox(1, 'drop-oldest');
  m.offer('a');
  assert.is(m.offer('b'), Offer.EvictedOldest);
  assert.equal(takeAll(m), ['b']);
  assert.is(m.stats().dropped, 1);
});

test('drain empties the mailbox in order without counting messages as processed', () => {
  const m = new RingMailbox();
  for (let i = 0; i < 12; i++) m.offer(i);
  m.take();
  assert.equal(m.drain(), range(1, 12));
  assert.is(m.size, 0);
  assert.equal(m.stats(), { size: 0, highWater: 12, processed: 1, dropped: 0 });
  assert.is(m.offer('again'), Offer.Accepted);
  assert.equal(takeAll(m), ['again']);
});

test('highWater is the largest size ever reached, including after prepend', () => {
  const m = new RingMailbox();
  for (let i = 0; i < 5; i++) m.offer(i);
  takeAll(m);
  m.offer('x');
  assert.is(m.stats().highWater, 5);
  m.prepend(range(0, 6));
  assert.is(m.stats().highWater, 7);
});

test.run();
