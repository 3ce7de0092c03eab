import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { DeadLetterQueue, type DeadLetter } from '../../../actors/event-bus/dead-letter-queue.ts';

const entry = (n: number): DeadLetter => ({
  topic: 't', subscription: 's', group: null, attempts: 1, lastError: 'e', deadAtMs: n,
  event: { id: `e${n}`, topic: 't', sequence: n, publishedAtMs: 0, origin: 'local', priority: 'normal', data: n },
});

test('bounded: over capacity the oldest entry is dropped and counted', () => {
  const q = new DeadLetterQueue(2);
  [1, 2, 3].forEach((n) => q.add(entry(n)));
  assert.equal(q.list().map((e) => e.event.data), [2, 3]);
  assert.is(q.dropped, 1);
});

test('takeWhere removes what it takes and keeps the rest in order; list is a copy', () => {
  const q = new DeadLetterQueue();
  [1, 2, 3, 4].forEach((n) => q.add(entry(n)));
  const taken = q.takeWhere((e) => (e.event.data as number) % 2 === 0);
  assert.equal(taken.map((e) => e.event.data), [2, 4]);
  const list = q.list();
  list.pop();
  assert.equal(q.list().map((e) => e.event.data), [1, 3]);
  assert.is(q.size, 2);
});

test.run();
