import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor } from '../../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing.ts';
import { createEventBus, nack, type Delivery } from '../../../actors/event-bus/index.ts';

type Job = { job: string };

function setup(seed = 1) {
  const kit = createTestSystem({ seed });
  const bus = createEventBus(kit);
  return { kit, bus, jobs: bus.topic<Job>('jobs') };
}

async function settle<T>(kit: TestSystem, p: Promise<T>): Promise<T> {
  await kit.runUntilIdle();
  return p;
}

/** A handler that fails its first `failures` calls, recording (virtual time, attempt) of each call. */
function flaky(kit: TestSystem, failures: number) {
  const calls: { atMs: number; attempt: number }[] = [];
  let left = failures;
  const handler = (_e: unknown, info: { attempt: number }) => {
    calls.push({ atMs: kit.now(), attempt: info.attempt });
    if (left-- > 0) throw new Error(`boom ${calls.length}`);
  };
  return { calls, handler, get successes() { return calls.length - failures; } };
}

const test = suite('delivery');

test('a handler that fails twice then succeeds: delivered three times, succeeds once, nothing dead-lettered', async () => {
  const { kit, bus, jobs } = setup();
  const h = flaky(kit, 2);
  jobs.subscribe(h.handler, { id: 'worker' });
  void jobs.publish({ job: 'ship' });
  await kit.advance(60_000);
  assert.equal(h.calls.map((c) => c.attempt), [1, 2, 3]);
  assert.is(h.successes, 1);
  assert.equal(await settle(kit, bus.deadLetters()), []);
  const stats = await settle(kit, jobs.stats());
  assert.is(stats.subscriptions[0].unacked, 0);
  await kit.terminate();
});

test('a handler that keeps failing: maxAttempts deliveries, then a dead letter with attempts and the last error', async () => {
  const { kit, bus, jobs } = setup();
  const h = flaky(kit, 100);
  jobs.subscribe(h.handler, { id: 'worker', maxAttempts: 3 });
  void jobs.publish({ job: 'ship' }, { id: 'e-1' });
  await kit.advance(120_000);
  assert.is(h.calls.length, 3, 'never delivered after the last attempt');
  const dead = await settle(kit, bus.deadLetters('jobs'));
  assert.is(dead.length, 1);
  assert.equal({ topic: dead[0].topic, sub: dead[0].subscription, id: dead[0].event.id, data: dead[0].event.data, attempts: dead[0].attempts, err: dead[0].lastError },
    { topic: 'jobs', sub: 'worker', id: 'e-1', data: { job: 'ship' }, attempts: 3, err: 'boom 3' });
  assert.is(dead[0].deadAtMs, h.calls[2].atMs);
  await kit.terminate();
});

test('backoff: redeliveries wait min·2^(n−1) capped at max, on virtual time', async () => {
  const { kit, jobs } = setup();
  const h = flaky(kit, 100);
  jobs.subscribe(h.handler, { maxAttempts: 6, backoff: { minMs: 100, maxMs: 1_000, jitter: 0 } });
  void jobs.publish({ job: 'x' });
  await kit.advance(10_000);
  assert.equal(h.calls.map((c) => c.atMs), [0, 100, 300, 700, 1_500, 2_500]);
  await kit.terminate();
});

test('an unacknowledged delivery times out after ackTimeoutMs, then waits its backoff', async () => {
  const { kit, jobs } = setup();
  const at: number[] = [];
  const silent = kit.spawn(defineActor<Delivery<Job>, undefined>({ init: () => undefined, receive: () => { at.push(kit.now()); } }), 'silent');
  jobs.subscribe(silent, { ackTimeoutMs: 1_000, maxAttempts: 3, backoff: { minMs: 100, maxMs: 10_000, jitter: 0 } });
  void jobs.publish({ job: 'x' });
  await kit.advance(10_000);
  assert.equal(at, [0, 1_100, 2_300]);
  await kit.terminate();
});

test('jitter is drawn from the seeded random: same seed, same delays; each within ±jitter of the base', async () => {
  const run = async (seed: number) => {
    const { kit, jobs } = setup(seed);
    const h = flaky(kit, 100);
    jobs.subscribe(h.handler, { maxAttempts: 4, backoff: { minMs: 1_000, maxMs: 100_000, jitter: 0.2 } });
    void jobs.publish({ job: 'x' });
    await kit.advance(100_000);
    await kit.terminate();
    return h.calls.slice(1).map((c, i) => c.atMs - h.calls[i].atMs);
  };
  const a = await run(7);
  assert.equal(await run(7), a);
  [1_000, 2_000, 4_000].forEach((base, i) => assert.ok(a[i] >= base * 0.8 && a[i] <= base * 1.2, `delay ${a[i]} around ${base}`));
  assert.not.equal(await run(8), a, 'another seed draws other delays');
});

test('a handler actor can nack: the nack error is what the dead letter keeps', async () => {
  const { kit, bus, jobs } = setup();
  const refuser = kit.spawn(defineActor<Delivery<Job>, undefined>({ init: () => undefined, receive: (_s, d) => nack(d, new Error(`no stock (try ${d.attempt})`)) }), 'refuser');
  jobs.subscribe(refuser, { id: 'refuser', maxAttempts: 2 });
  void jobs.publish({ job: 'x' });
  await kit.advance(60_000);
  const dead = await settle(kit, bus.deadLetters());
  assert.equal(dead.map((d) => [d.attempts, d.lastError]), [[2, 'no stock (try 2)']]);
  await kit.terminate();
});

test('dead letters: inspect by topic, replay all or some, replayed events are handled again', async () => {
  const { kit, bus, jobs } = setup();
  const audit = bus.topic<Job>('audit');
  let broken = true;
  const handled: string[] = [];
  const handler = (e: { data: Job }) => { if (broken) throw new Error('db down'); handled.push(e.data.job); };
  jobs.subscribe(handler, { id: 'jobs-worker', maxAttempts: 1 });
  audit.subscribe(handler, { id: 'audit-worker', maxAttempts: 1 });
  for (const job of ['a', 'b', 'c']) void jobs.publish({ job });
  void audit.publish({ job: 'z' });
  await kit.advance(1_000);
  assert.equal((await settle(kit, bus.deadLetters<Job>('jobs'))).map((d) => d.event.data.job), ['a', 'b', 'c']);
  assert.equal((await settle(kit, bus.deadLetters())).map((d) => `${d.topic}/${d.subscription}/${d.lastError}`),
    ['jobs/jobs-worker/db down', 'jobs/jobs-worker/db down', 'jobs/jobs-worker/db down', 'audit/audit-worker/db down']);
  broken = false;
  const some = await settle(kit, bus.replayDeadLetters((d) => (d.event.data as Job).job !== 'b'));
  assert.is(some, 3);
  await kit.runUntilIdle();
  assert.equal(handled.sort(), ['a', 'c', 'z']);
  assert.equal((await settle(kit, bus.deadLetters())).map((d) => d.event.data), [{ job: 'b' }]);
  assert.is(await settle(kit, bus.replayDeadLetters()), 1);
  await kit.runUntilIdle();
  assert.equal(handled.sort(), ['a', 'b', 'c', 'z']);
  assert.equal(await settle(kit, bus.deadLetters()), []);
  await kit.terminate();
});

test('a durable subscriber down too long: events beyond maxBuffered go to the dead letter queue', async () => {
  const { kit, bus, jobs } = setup();
  const sub = jobs.subscribe(() => undefined, { id: 'mailer', durable: true, maxBuffered: 2 });
  sub.detach();
  await kit.runUntilIdle();
  for (const job of ['a', 'b', 'c', 'd']) void jobs.publish({ job });
  await kit.runUntilIdle();
  const dead = await settle(kit, bus.deadLetters<Job>());
  assert.equal(dead.map((d) => [d.event.data.job, d.attempts]), [['c', 0], ['d', 0]]);
  assert.match(dead[0].lastError, /subscriber was down/);
  const back: string[] = [];
  jobs.subscribe((e) => { back.push(e.data.job); }, { id: 'mailer', durable: true, maxBuffered: 2 });
  await kit.runUntilIdle();
  assert.equal(back, ['a', 'b']);
  await bus.replayDeadLetters();
  await kit.runUntilIdle();
  assert.equal(back, ['a', 'b', 'c', 'd']);
  await kit.terminate();
});

test.run();
