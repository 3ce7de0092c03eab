import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { ack, createEventBus, type Delivery } from '../../../actors/event-bus/index.ts';

const test = suite('subscription');

const holder = (seen: Delivery<string>[]) => defineActor<Delivery<string>, undefined>({ init: () => undefined, receive: (_s, d) => { seen.push(d); } });

test('a handler actor gets Delivery messages with the attempt and acks them itself', async () => {
  const kit = createTestSystem();
  const topic = createEventBus(kit).topic<string>('t');
  const seen: Delivery<string>[] = [];
  const sub = topic.subscribe(kit.spawn(holder(seen), 'h'), { id: 'h' });
  void topic.publish('hello');
  await kit.runUntilIdle();
  assert.equal(seen.map((d) => [d.type, d.subscription, d.attempt, d.guarantee, d.event.data]), [['bus.delivery', 'h', 1, 'at-least-once', 'hello']]);
  assert.is(sub.id, 'h');
  assert.is((await topic.stats()).subscriptions[0].unacked, 1);
  ack(seen[0]);
  await kit.runUntilIdle();
  assert.is((await topic.stats()).subscriptions[0].unacked, 0);
  await kit.terminate();
});

test('a non-durable subscriber actor that stops ends its subscription; its unacknowledged events are dead-lettered, not lost', async () => {
  const kit = createTestSystem();
  const bus = createEventBus(kit);
  const topic = bus.topic<string>('t');
  const seen: Delivery<string>[] = [];
  const h = kit.spawn(holder(seen), 'h');
  const sub = topic.subscribe(h, { id: 'h' });
  void topic.publish('one');
  void topic.publish('two');
  await kit.runUntilIdle();
  kit.stop(h as ActorRef<never>);
  await kit.runUntilIdle();
  assert.is(sub.endpoint.alive, false, 'the endpoint follows its handler actor');
  assert.equal((await topic.stats()).subscriptions, []);
  assert.equal((await bus.deadLetters()).map((d) => [d.event.data, d.attempts, d.lastError]), [
    ['one', 1, 'the subscriber stopped before acknowledging'], ['two', 1, 'the subscriber stopped before acknowledging'],
  ]);
  await kit.terminate();
});

test('unsubscribe ends the subscription, durable or not, and drops what it still held', async () => {
  const kit = createTestSystem();
  const bus = createEventBus(kit);
  const topic = bus.topic<string>('t');
  const got: string[] = [];
  const sub = topic.subscribe((e) => { got.push(e.data); }, { id: 'mailer', durable: true });
  void topic.publish('a');
  await kit.runUntilIdle();
  sub.unsubscribe();
  await kit.runUntilIdle();
  void topic.publish('b');
  await kit.runUntilIdle();
  topic.subscribe((e) => { got.push(e.data); }, { id: 'mailer', durable: true });
  await kit.runUntilIdle();
  assert.equal(got, ['a'], 'b was published while there was no subscription');
  assert.equal(await bus.deadLetters(), []);
  await kit.terminate();
});

test.run();
