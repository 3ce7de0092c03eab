import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createLoopbackHub } from '../../helpers/loopback-transport.ts';
import { createEventBus, registerEventBusMessages, type EventBus, type Topic } from '../../../actors/event-bus/index.ts';

type Payment = { orderId: string; amount: number };

async function cluster(nodes = ['a', 'b', 'c']) {
  const hub = createLoopbackHub();
  const sim = await createSimCluster({ nodes, registry: () => registerEventBusMessages(createMessageRegistry()), transport: () => hub.transport() });
  const buses = new Map<string, EventBus>();
  const topics = new Map<string, Topic<Payment>>();
  const open = (n: string) => {
    const bus = createEventBus(sim.node(n));
    buses.set(n, bus);
    topics.set(n, bus.topic<Payment>('payments'));
  };
  for (const n of nodes) open(n);
  await connected(sim, topics, nodes.length - 1);
  return { sim, buses, topics, open };
}

/** Runs until every topic actor knows its peers and the subscriptions of the other nodes. */
async function connected(sim: SimCluster, topics: Map<string, Topic<Payment>>, peers: number, subscriptions?: number) {
  for (let i = 0; i < 50; i++) {
    await sim.runUntilIdle();
    const stats = await Promise.all([...topics.values()].map((t) => t.stats()));
    if (stats.every((s) => s.peers.length === peers && (subscriptions === undefined || s.subscriptions.length === subscriptions))) return;
    await sim.advance(100);
  }
  assert.unreachable('the topics did not connect');
}

const test = suite('topic-peers');

test('a publish on one node reaches broadcast subscribers on every node', async () => {
  const { sim, topics } = await cluster();
  const got: Record<string, number[]> = { a: [], b: [], c: [] };
  for (const n of ['b', 'c']) topics.get(n)!.subscribe((e) => { got[n].push(e.data.amount); });
  await connected(sim, topics, 2, 2);
  for (let amount = 1; amount <= 5; amount++) void topics.get('a')!.publish({ orderId: `o${amount}`, amount });
  await sim.runUntilIdle();
  assert.equal(got, { a: [], b: [1, 2, 3, 4, 5], c: [1, 2, 3, 4, 5] });
  await sim.shutdown();
});

test('a consumer group across nodes gets each event exactly once, spread over its members', async () => {
  const { sim, topics } = await cluster();
  const got: Record<string, string[]> = { a: [], b: [], c: [] };
  for (const n of ['a', 'b', 'c']) topics.get(n)!.subscribe((e) => { got[n].push(e.data.orderId); }, { id: `payments-${n}`, group: 'payments' });
  await connected(sim, topics, 2, 3);
  for (let i = 1; i <= 30; i++) void topics.get(['a', 'b'][i % 2])!.publish({ orderId: `o${i}`, amount: i }, { key: `o${i}` });
  await sim.runUntilIdle();
  const all = [...got.a, ...got.b, ...got.c].sort();
  assert.equal(all, Array.from({ length: 30 }, (_, i) => `o${i + 1}`).sort(), 'each event exactly once in the group');
  assert.ok(Object.values(got).every((l) => l.length > 0), `every member got some: ${Object.values(got).map((l) => l.length)}`);
  await sim.shutdown();
});

test('at-least-once across nodes: nacks and acks travel back, dead letters stay on the publishing node', async () => {
  const { sim, buses, topics } = await cluster(['a', 'b']);
  const attempts: string[] = [];
  topics.get('b')!.subscribe((e, info) => { attempts.push(`${e.data.orderId}@${info.attempt}`); if (info.attempt < 3) throw new Error('gateway down'); }, { id: 'gateway', maxAttempts: 5 });
  topics.get('b')!.subscribe(() => { throw new Error('always'); }, { id: 'broken', maxAttempts: 2, filter: (e) => e.data.amount > 10 });
  await connected(sim, topics, 1, 2);
  void topics.get('a')!.publish({ orderId: 'o1', amount: 50 });
  void topics.get('a')!.publish({ orderId: 'o2', amount: 5 });
  await sim.advance(30_000);
  assert.equal(attempts.sort(), ['o1@1', 'o1@2', 'o1@3', 'o2@1', 'o2@2', 'o2@3']);
  const onA = await buses.get('a')!.deadLetters<Payment>();
  assert.equal(onA.map((d) => [d.subscription, d.event.data.orderId, d.attempts, d.lastError, d.event.origin]), [['broken', 'o1', 2, 'always', 'a']],
    'the remote filter dropped o2; o1 was dead-lettered on a');
  const stats = await topics.get('a')!.stats();
  assert.ok(stats.subscriptions.every((s) => s.unacked === 0));
  assert.equal(await buses.get('b')!.deadLetters(), []);
  await sim.shutdown();
});

test('a durable subscriber whose node crashes gets every event it missed when it subscribes again on the restarted node', async () => {
  const { sim, topics, open } = await cluster(['a', 'b']);
  const got: number[] = [];
  topics.get('b')!.subscribe((e) => { got.push(e.data.amount); }, { id: 'notifications', durable: true });
  await connected(sim, topics, 1, 1);
  void topics.get('a')!.publish({ orderId: 'o1', amount: 1 });
  await sim.runUntilIdle();
  await sim.crash('b');
  topics.delete('b');
  for (let amount = 2; amount <= 5; amount++) { void topics.get('a')!.publish({ orderId: `o${amount}`, amount }); await sim.advance(500); }
  await sim.advance(10_000);
  const down = await topics.get('a')!.stats();
  assert.equal(down.subscriptions.map((s) => [s.id, s.attached, s.queued]), [['notifications', false, 4]]);
  await sim.start('b');
  open('b');
  topics.get('b')!.subscribe((e) => { got.push(e.data.amount); }, { id: 'notifications', durable: true });
  await connected(sim, topics, 1, 1);
  await sim.runUntilIdle();
  assert.equal(got, [1, 2, 3, 4, 5]);
  await sim.shutdown();
});

test('topics started after the cluster formed still find each other', async () => {
  const hub = createLoopbackHub();
  const sim = await createSimCluster({ nodes: ['a', 'b'], registry: () => registerEventBusMessages(createMessageRegistry()), transport: () => hub.transport() });
  const late = new Map<string, Topic<Payment>>();
  late.set('a', createEventBus(sim.node('a')).topic<Payment>('refunds'));
  await sim.advance(1_000);
  late.set('b', createEventBus(sim.node('b')).topic<Payment>('refunds'));
  const got: number[] = [];
  late.get('a')!.subscribe((e) => { got.push(e.data.amount); });
  await connected(sim, late, 1, 1);
  void late.get('b')!.publish({ orderId: 'r1', amount: 7 });
  await sim.runUntilIdle();
  assert.equal(got, [7]);
  await sim.shutdown();
});

test.run();
