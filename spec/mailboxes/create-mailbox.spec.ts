// Specs of createMailbox (options and the bulkhead cap) and validateMailboxOptions.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createMailbox, UNBOUNDED } from '../../mailboxes/create-mailbox.ts';
import { Offer, validateMailboxOptions, type Mailbox, type MailboxOptions } from '../../mailboxes/mailbox.ts';
import { isTroupeError } from '../../runtime/errors.ts';

const byKey = (m: unknown): number => (m as { p: number }).p;
const takeAll = (m: Mailbox): unknown[] => {
  const out: unknown[] = [];
  while (m.size > 0) out.push(m.take());
  return out;
};
/** Offers 1..n and returns the offer results. */
const fill = (m: Mailbox, n: number): Offer[] => Array.from({ length: n }, (_, i) => m.offer({ p: 0, n: i + 1 }));
const ns = (ms: unknown[]): number[] => ms.map((m) => (m as { n: number }).n);

const test = suite('create-mailbox');

test('the default is an unbounded FIFO mailbox', () => {
  for (const m of [createMailbox(), createMailbox(UNBOUNDED)]) {
    assert.is(m.capacity, Infinity);
    assert.ok(fill(m, 5000).every((r) => r === Offer.Accepted));
    assert.equal(ns(takeAll(m)).slice(0, 3), [1, 2, 3]);
  }
});

interface CapCase {
  readonly name: string;
  readonly options: MailboxOptions;
  readonly cap: number;
  readonly capacity: number;
  /** Results of offering capacity + 2 messages. */
  readonly overflowResult: Offer;
  /** Which of the offered messages (1-based) remain, in take order. */
  readonly kept: number[];
}
const capCases: CapCase[] = [
  { name: 'bounded, no cap: its own capacity, default overflow reject', options: { kind: 'bounded', capacity: 3 }, cap: Infinity, capacity: 3, overflowResult: Offer.Rejected, kept: [1, 2, 3] },
  { name: 'bounded under a larger cap: its own capacity wins', options: { kind: 'bounded', capacity: 3 }, cap: 10, capacity: 3, overflowResult: Offer.Rejected, kept: [1, 2, 3] },
  { name: 'bounded under a smaller cap: the cap wins', options: { kind: 'bounded', capacity: 10 }, cap: 2, capacity: 2, overflowResult: Offer.Rejected, kept: [1, 2] },
  { name: 'bounded drop-oldest under a cap keeps its policy', options: { kind: 'bounded', capacity: 10, overflow: 'drop-oldest' }, cap: 2, capacity: 2, overflowResult: Offer.EvictedOldest, kept: [3, 4] },
  { name: 'bounded drop-newest under a cap keeps its policy', options: { kind: 'bounded', capacity: 10, overflow: 'drop-newest' }, cap: 2, capacity: 2, overflowResult: Offer.DroppedNewest, kept: [1, 2] },
  { name: 'unbounded under a cap becomes bounded with reject', options: { kind: 'unbounded' }, cap: 2, capacity: 2, overflowResult: Offer.Rejected, kept: [1, 2] },
  { name: 'priority, unbounded, under a cap becomes bounded with reject', options: { kind: 'priority', priorityOf: byKey }, cap: 2, capacity: 2, overflowResult: Offer.Rejected, kept: [1, 2] },
  { name: 'priority bounded under a smaller cap: the cap wins', options: { kind: 'priority', priorityOf: byKey, capacity: 5 }, cap: 3, capacity: 3, overflowResult: Offer.Rejected, kept: [1, 2, 3] },
  { name: 'priority bounded under a larger cap: its own capacity wins', options: { kind: 'priority', priorityOf: byKey, capacity: 2, overflow: 'drop-newest' }, cap: 3, capacity: 2, overflowResult: Offer.DroppedNewest, kept: [1, 2] },
];
for (const c of capCases) {
  test(`createMailbox: ${c.name}`, () => {
    const m = createMailbox(c.options, c.cap);
    assert.is(m.capacity, c.capacity);
    const results = fill(m, c.capacity + 2);
    assert.ok(results.slice(0, c.capacity).every((r) => r === Offer.Accepted));
    assert.equal(results.slice(c.capacity), [c.overflowResult, c.overflowResult]);
    assert.equal(ns(takeAll(m)), c.kept);
  });
}

test('createMailbox: a priority mailbox orders by priorityOf', () => {
  const m = createMailbox({ kind: 'priority', priorityOf: byKey });
  m.offer({ p: 2, n: 1 });
  m.offer({ p: 1, n: 2 });
  m.offer({ p: 2, n: 3 });
  assert.equal(ns(takeAll(m)), [2, 1, 3]);
});

const valid: MailboxOptions[] = [
  { kind: 'unbounded' },
  { kind: 'bounded', capacity: 1 },
  { kind: 'bounded', capacity: 1_000_000, overflow: 'drop-oldest' },
  { kind: 'priority', priorityOf: byKey },
  { kind: 'priority', priorityOf: byKey, capacity: 8, overflow: 'drop-newest' },
];
for (const o of valid) {
  test(`validateMailboxOptions accepts ${JSON.stringify(o)}`, () => {
    validateMailboxOptions(o, 'spec');
  });
}

const invalid: { name: string; options: unknown; mentions: RegExp }[] = [
  { name: 'bounded without capacity', options: { kind: 'bounded' }, mentions: /capacity must be a positive integer/ },
  { name: 'bounded capacity 0', options: { kind: 'bounded', capacity: 0 }, mentions: /capacity must be a positive integer, got 0/ },
  { name: 'bounded capacity -1', options: { kind: 'bounded', capacity: -1 }, mentions: /got -1/ },
  { name: 'bounded capacity 2.5', options: { kind: 'bounded', capacity: 2.5 }, mentions: /got 2.5/ },
  { name: 'bounded capacity NaN', options: { kind: 'bounded', capacity: Number.NaN }, mentions: /got NaN/ },
  { name: 'bounded capacity Infinity', options: { kind: 'bounded', capacity: Infinity }, mentions: /kind: 'unbounded'/ },
  { name: 'priority without priorityOf', options: { kind: 'priority' }, mentions: /priorityOf/ },
  { name: 'priority with a non-function priorityOf', options: { kind: 'priority', priorityOf: 3 }, mentions: /priorityOf/ },
  { name: 'priority with capacity 0', options: { kind: 'priority', priorityOf: byKey, capacity: 0 }, mentions: /capacity/ },
  // A typo in a literal union must fail at definition time (house rule 7), not as a TypeError at spawn.
  { name: 'an unknown kind', options: { kind: 'fifo' }, mentions: /kind/ },
  { name: 'null', options: null, mentions: /kind/ },
  { name: 'an object without kind', options: { capacity: 3 }, mentions: /kind/ },
  { name: 'an unknown overflow policy', options: { kind: 'bounded', capacity: 4, overflow: 'drop-all' }, mentions: /overflow/ },
];
for (const c of invalid) {
  test(`validateMailboxOptions rejects ${c.name} with invalid-spec naming the place and the fix`, () => {
    let error: unknown;
    try { validateMailboxOptions(c.options as MailboxOptions, 'defineActor("worker")'); } catch (e) { error = e; }
    assert.ok(isTroupeError(error, 'invalid-spec'), `expected an invalid-spec error, got ${String(error)}`);
    assert.match((error as Error).message, /defineActor\("worker"\)/);
    assert.match((error as Error).message, c.mentions);
  });
}

test.run();
