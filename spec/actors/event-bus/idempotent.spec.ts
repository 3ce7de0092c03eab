import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { isTroupeError } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { createEventBus, DedupWindow, idempotent } from '../../../actors/event-bus/index.ts';

const test = suite('idempotent');

test('DedupWindow remembers the last capacity ids, forgetting the oldest first', () => {
  const w = new DedupWindow(2);
  w.add('a'); w.add('b'); w.add('a');
  assert.equal([w.has('a'), w.has('b'), w.size], [true, true, 2]);
  w.add('c');
  assert.equal([w.has('a'), w.has('b'), w.has('c'), w.size], [false, true, true, 2]);
  assert.throws(() => new DedupWindow(0), (e: unknown) => isTroupeError(e, 'invalid-argument'));
});

test('a duplicate event id (publisher retry) is acknowledged without running the handler again', async () => {
  const kit = createTestSystem();
  const payments = createEventBus(kit).topic<{ amount: number }>('payments');
  const charged: number[] = [];
  payments.subscribe(idempotent((e) => { charged.push(e.data.amount); }));
  void payments.publish({ amount: 10 }, { id: 'pay-1' });
  void payments.publish({ amount: 10 }, { id: 'pay-1' });
  void payments.publish({ amount: 20 }, { id: 'pay-2' });
  await kit.advance(30_000);
  assert.equal(charged, [10, 20]);
  const stats = await payments.stats();
  assert.is(stats.subscriptions[0].unacked, 0, 'the duplicate was acked');
  await kit.terminate();
});

test('a slow handler: the redelivery after its ack timeout is dropped, not handled twice', async () => {
  const kit = createTestSystem();
  const payments = createEventBus(kit).topic<{ amount: number }>('payments');
  const runs: number[] = [];
  const attempts: number[] = [];
  const charge = async (e: { data: { amount: number } }) => {
    runs.push(kit.now());
    await new Promise<void>((r) => kit.scheduler.startTimer(1_500, r));
  };
  const once = idempotent(charge);
  payments.subscribe((e, info) => { attempts.push(info.attempt); return once(e, info); }, { ackTimeoutMs: 1_000, backoff: { minMs: 100, maxMs: 100, jitter: 0 } });
  void payments.publish({ amount: 5 });
  await kit.advance(10_000);
  assert.equal(attempts, [1, 2], 'redelivered after the ack timeout');
  assert.equal(runs, [0], 'but charged once');
  await kit.terminate();
});

test('a replayed dead letter that was in fact handled is acknowledged without running the handler', async () => {
  const kit = createTestSystem();
  const bus = createEventBus(kit);
  const payments = bus.topic<{ amount: number }>('payments');
  const runs: string[] = [];
  let slow = true;
  payments.subscribe(idempotent(async (e) => {
    if (slow) await new Promise<void>((r) => kit.scheduler.startTimer(2_000, r));
    runs.push(e.id);
  }), { id: 'charger', ackTimeoutMs: 1_000, maxAttempts: 1 });
  void payments.publish({ amount: 5 }, { id: 'pay-1' });
  await kit.advance(5_000);
  assert.equal((await bus.deadLetters()).map((d) => [d.event.id, d.lastError]), [['pay-1', 'no ack within 1000 ms']]);
  assert.equal(runs, ['pay-1'], 'the handler did finish, after its ack timeout');
  slow = false;
  assert.is(await bus.replayDeadLetters(), 1);
  await kit.advance(5_000);
  assert.equal(runs, ['pay-1'], 'not charged twice');
  assert.equal(await bus.deadLetters(), [], 'the replayed copy was acked');
  await kit.terminate();
});

test('a failed attempt is not remembered: the redelivery runs the handler again', async () => {
  const kit = createTestSystem();
  const topic = createEventBus(kit).topic<string>('t');
  const calls: number[] = [];
  topic.subscribe(idempotent((_e, info) => { calls.push(info.attempt); if (info.attempt === 1) throw new Error('flaky'); }));
  void topic.publish('x');
  await kit.advance(5_000);
  assert.equal(calls, [1, 2]);
  await kit.terminate();
});

test('the window is bounded: an id older than windowSize handled ids runs again', async () => {
  const kit = createTestSystem();
  const topic = createEventBus(kit).topic<string>('t');
  const seen: string[] = [];
  topic.subscribe(idempotent((e) => { seen.push(e.data); }, { windowSize: 2 }));
  for (const id of ['a', 'b', 'a', 'c', 'a']) void topic.publish(id, { id });
  await kit.runUntilIdle();
  assert.equal(seen, ['a', 'b', 'c', 'a']);
  await kit.terminate();
});

test.run();
