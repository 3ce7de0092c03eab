// Specs of the priority mailbox: lower key first, FIFO among equal keys, prepend, bounded overflow.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { Offer, type OverflowPolicy } from '../../mailboxes/mailbox.ts';
import { PriorityMailbox } from '../../mailboxes/priority-mailbox.ts';
import { createSeededRandom } from '../../runtime/random.ts';

interface Msg { readonly id: string; readonly p: number }
const msg = (id: string, p: number): Msg => ({ id, p });
const priorityOf = (m: unknown): number => (m as Msg).p;
const ids = (ms: unknown[]): string[] => ms.map((m) => (m as Msg).id);
const takeAll = (m: PriorityMailbox): unknown[] => {
  const out: unknown[] = [];
  while (m.size > 0) out.push(m.take());
  return out;
};

const test = suite('priority-mailbox');

const orderCases: { name: string; input: Msg[]; expected: string[] }[] = [
  { name: 'lower key first', input: [msg('c', 3), msg('a', 1), msg('b', 2)], expected: ['a', 'b', 'c'] },
  { name: 'FIFO among equal keys', input: [msg('a1', 1), msg('a2', 1), msg('a3', 1), msg('a4', 1)], expected: ['a1', 'a2', 'a3', 'a4'] },
  { name: 'negative and fractional keys', input: [msg('z', 0), msg('y', -1), msg('x', 0.5), msg('w', -1)], expected: ['y', 'w', 'z', 'x'] },
  {
    name: 'a mix: each key band in arrival order',
    input: [msg('w1', 5), msg('u1', 0), msg('w2', 5), msg('n1', 2), msg('u2', 0), msg('w3', 5), msg('n2', 2)],
    expected: ['u1', 'u2', 'n1', 'n2', 'w1', 'w2', 'w3'],
  },
];
for (const c of orderCases) {
  test(`order: ${c.name}`, () => {
    const m = new PriorityMailbox(priorityOf);
    for (const x of c.input) assert.is(m.offer(x), Offer.Accepted);
    assert.equal(ids(takeAll(m)), c.expected);
  });
}

for (const seed of [1, 2, 3]) {
  test(`order equals a stable sort by key for 300 messages with random keys (seed ${seed})`, () => {
    const r = createSeededRandom(seed);
    const m = new PriorityMailbox(priorityOf);
    const input: Msg[] = [];
    for (let i = 0; i < 300; i++) input.push(msg(`m${i}`, r.int(5)));
    for (const x of input) m.offer(x);
    const expected = [...input].sort((a, b) => a.p - b.p).map((x) => x.id);
    assert.equal(ids(takeAll(m)), expected);
    assert.equal(m.stats(), { size: 0, highWater: 300, processed: 300, dropped: 0 });
  });
}

test('a message that arrives later with a lower key overtakes the backlog', () => {
  const m = new PriorityMailbox(priorityOf);
  for (let i = 0; i < 50; i++) m.offer(msg(`work${i}`, 10));
  m.take();
  m.offer(msg('urgent', 0));
  assert.equal((m.take() as Msg).id, 'urgent');
  assert.equal((m.take() as Msg).id, 'work1');
});

test('prepend puts messages before queued ones of the same key, in their order; a lower key still goes first', () => {
  const m = new PriorityMailbox(priorityOf);
  m.offer(msg('q1', 1));
  m.offer(msg('q2', 1));
  m.offer(msg('hi', 0));
  m.prepend([msg('s1', 1), msg('s2', 1), msg('s3', 1)]);
  m.prepend([msg('t1', 1)]);
  assert.equal(ids(takeAll(m)), ['hi', 't1', 's1', 's2', 's3', 'q1', 'q2']);
});

test('prepend ignores capacity', () => {
  const m = new PriorityMailbox(priorityOf, 1, 'reject');
  m.offer(msg('a', 1));
  m.prepend([msg('b', 1), msg('c', 1)]);
  assert.is(m.size, 3);
  assert.equal(ids(takeAll(m)), ['b', 'c', 'a']);
});

interface OverflowCase {
  readonly policy: OverflowPolicy;
  readonly result: Offer;
  readonly kept: string[];
  readonly evicted: string[];
}
// Queued: a(1) b(2) c(2); then d(0) and e(1) arrive at capacity 3.
const overflowCases: OverflowCase[] = [
  { policy: 'reject', result: Offer.Rejected, kept: ['a', 'b', 'c'], evicted: [] },
  { policy: 'drop-newest', result: Offer.DroppedNewest, kept: ['a', 'b', 'c'], evicted: [] },
  // drop-oldest evicts the oldest of the least urgent (highest key): b, then c
  { policy: 'drop-oldest', result: Offer.EvictedOldest, kept: ['d', 'a', 'e'], evicted: ['b', 'c'] },
];
for (const c of overflowCases) {
  test(`bounded(3, ${c.policy}): offers past capacity return ${c.result} and keep ${c.kept.join(',')}`, () => {
    const m = new PriorityMailbox(priorityOf, 3, c.policy);
    const evicted: unknown[] = [];
    m.onEvict = (x) => evicted.push(x);
    for (const x of [msg('a', 1), msg('b', 2), msg('c', 2)]) assert.is(m.offer(x), Offer.Accepted);
    assert.is(m.offer(msg('d', 0)), c.result);
    assert.is(m.offer(msg('e', 1)), c.result);
    assert.is(m.size, 3);
    assert.equal(ids(evicted), c.evicted);
    assert.equal(m.stats(), { size: 3, highWater: 3, processed: 0, dropped: 2 });
    assert.equal(ids(takeAll(m)), c.kept);
    assert.equal(m.stats(), { size: 0, highWater: 3, processed: 3, dropped: 2 });
    assert.is(m.offer(msg('f', 9)), Offer.Accepted);
  });
}

test('drop-oldest never evicts a more urgent message for a less urgent newcomer', () => {
  const evicted: unknown[] = [];
  const mb = new PriorityMailbox((m) => (m as { p: number }).p, 2, 'drop-oldest');
  mb.onEvict = (m) => evicted.push(m);
  mb.offer({ p: 0, id: 'urgent' });
  mb.offer({ p: 1, id: 'bulk-1' });
  assert.is(mb.offer({ p: 1, id: 'bulk-2' }), Offer.DroppedNewest, 'as unurgent as the worst queued: the newcomer goes');
  assert.is(mb.offer({ p: 0, id: 'urgent-2' }), Offer.EvictedOldest, 'more urgent: the least urgent queued goes');
  assert.equal(evicted, [{ p: 1, id: 'bulk-1' }]);
  assert.equal([mb.take(), mb.take()], [{ p: 0, id: 'urgent' }, { p: 0, id: 'urgent-2' }]);
  assert.is(mb.stats().dropped, 2);
});

test('drain returns everything in priority order without counting it as processed', () => {
  const m = new PriorityMailbox(priorityOf);
  for (const x of [msg('b', 2), msg('a', 1), msg('c', 3)]) m.offer(x);
  assert.equal(ids(m.drain()), ['a', 'b', 'c']);
  assert.equal(m.stats(), { size: 0, highWater: 3, processed: 0, dropped: 0 });
  assert.is(m.take(), undefined);
});

test.run();
