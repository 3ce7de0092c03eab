import * as assert from 'uvu/assert';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';
import { createSimCluster, type SimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { registerReceptionistMessages } from '../../../actors/receptionist.ts';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import type { Journal } from '../../../actors/journal/journal.ts';
import { createEventBus, createMemoryLogBackend, registerEventBusMessages, type EventBus, type Topic } from '../../../actors/streams/index.ts';
import { suite } from '../../helpers/uvu.ts';

type Payment = { orderId: string; amount: number };

/**
 * A simulated cluster where each node's bus keeps its log in a journal that outlives the node
 * (its "disk"): a crashed node restarted with the same journal still has every event it stored.
 */
async function cluster(nodes = ['a', 'b', 'c']) {
  const sim = await createSimCluster({ nodes, registry: () => registerReceptionistMessages(registerEventBusMessages(createMessageRegistry())) });
  const disks = new Map<string, Journal>();
  const buses = new Map<string, EventBus>();
  const topics = new Map<string, Topic<Payment>>();
  const open = (n: string): Topic<Payment> => {
    const node = sim.node(n);
    if (!disks.has(n)) disks.set(n, createMemoryJournal({ clock: node.system.clock, ids: node.system.ids }));
    const bus = createEventBus(node, { backend: createMemoryLogBackend({ name: n, journal: disks.get(n)! }), pollMs: 200 });
    buses.set(n, bus);
    const t = bus.topic<Payment>('payments');
    topics.set(n, t);
    return t;
  };
  for (const n of nodes) open(n);
  await sim.advance(1_000);
  return { sim, buses, topics, open };
}

/** Awaits `p` while driving the simulated cluster's virtual time (remote asks need it). */
async function drive<T>(sim: SimCluster, p: Promise<T>): Promise<T> {
  let done = false;
  const settled = p.finally(() => { done = true; });
  await sim.runUntil(() => done, 30_000);
  return settled;
}

const expectAll = (got: string[], n: number, prefix = 'o') => assert.equal([...got].sort(), Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`).sort());

const test = suite('event bus across a cluster', undefined, { limitMs: 60_000 });

test('a consumer on one node reads the events published on every node, in order per publishing node', async () => {
  const { sim, topics } = await cluster();
  const got: { id: string; source: string }[] = [];
  topics.get('b')!.subscribe((e) => { got.push({ id: e.data.orderId, source: e.source }); }, { id: 'audit' });
  for (let i = 1; i <= 12; i++) await topics.get(['a', 'b', 'c'][i % 3])!.publish({ orderId: `o${i}`, amount: i });
  assert.ok(await sim.runUntil(() => got.length === 12, 10_000), `got ${got.length}`);
  expectAll(got.map((g) => g.id), 12);
  for (const src of ['a', 'b', 'c']) {
    const ids = got.filter((g) => g.source === src).map((g) => Number(g.id.slice(1)));
    assert.equal(ids, [...ids].sort((x, y) => x - y), `order of ${src}'s events`);
  }
  await sim.shutdown();
});

test('a consumer group across nodes gets each event exactly once, spread over its members', async () => {
  const { sim, topics } = await cluster();
  const got: Record<string, string[]> = { a: [], b: [], c: [] };
  for (const n of ['a', 'b', 'c']) topics.get(n)!.subscribe((e) => { got[n].push(e.data.orderId); }, { group: 'payments' });
  await sim.advance(3_000);
  for (let i = 1; i <= 30; i++) await topics.get(['a', 'b'][i % 2])!.publish({ orderId: `o${i}`, amount: i }, { key: `o${i}` });
  assert.ok(await sim.runUntil(() => Object.values(got).flat().length >= 30, 10_000));
  await sim.advance(2_000);
  expectAll(Object.values(got).flat(), 30);
  assert.ok(Object.values(got).filter((l) => l.length > 0).length >= 2, `spread: ${Object.values(got).map((l) => l.length)}`);
  await sim.shutdown();
});

test('publisher crash: events waiting for an absent consumer are on the publisher\'s disk and delivered when it is back', async () => {
  const { sim, topics, open } = await cluster(['b', 'a']); // b is the seed a rejoins through
  const got: string[] = [];
  let sub = topics.get('b')!.subscribe((e) => { got.push(e.data.orderId); }, { id: 'notifications' });
  await topics.get('a')!.publish({ orderId: 'o1', amount: 1 });
  assert.ok(await sim.runUntil(() => got.length === 1, 5_000));
  sub.detach(); // stores its position on a before it goes
  await sim.advance(100);
  for (let i = 2; i <= 5; i++) await topics.get('a')!.publish({ orderId: `o${i}`, amount: i });
  await sim.crash('a');
  await sim.advance(5_000);
  sub = topics.get('b')!.subscribe((e) => { got.push(e.data.orderId); }, { id: 'notifications' });
  await sim.advance(2_000);
  assert.equal(got, ['o1'], 'a is down: its events wait on its disk');
  await sim.start('a');
  open('a');
  assert.ok(await sim.runUntil(() => got.length === 5, 15_000), `got ${got}`);
  assert.equal(got, ['o1', 'o2', 'o3', 'o4', 'o5']);
  await sim.shutdown();
});

test('a group member whose node goes down: its partitions move to the survivors and nothing is lost', async () => {
  const { sim, topics } = await cluster();
  const got: Record<string, string[]> = { a: [], b: [], c: [] };
  for (const n of ['b', 'c']) topics.get(n)!.subscribe((e) => { got[n].push(e.data.orderId); }, { group: 'shipping', takeoverMs: 500 });
  await sim.advance(3_000);
  for (let i = 1; i <= 10; i++) await topics.get('a')!.publish({ orderId: `o${i}`, amount: i }, { key: `k${i}` });
  assert.ok(await sim.runUntil(() => got.b.length + got.c.length === 10, 10_000));
  await sim.crash('c');
  await sim.advance(8_000);
  for (let i = 11; i <= 30; i++) await topics.get('a')!.publish({ orderId: `o${i}`, amount: i }, { key: `k${i}` });
  assert.ok(await sim.runUntil(() => got.b.filter((id) => Number(id.slice(1)) > 10).length === 20, 20_000), `b got ${got.b.length}`);
  expectAll([...new Set([...got.b, ...got.c])], 30);
  // At least once: only events the crashed member handled but had not yet committed come twice.
  const twice = got.b.filter((id) => got.c.includes(id));
  assert.ok(twice.every((id) => Number(id.slice(1)) <= 10), `duplicates only from before the crash: ${twice}`);
  assert.is(new Set(got.b).size, got.b.length, 'the survivor handles each event once');
  await sim.shutdown();
});

test('publishing on a node that is still joining is durable at once and delivered once it is up', async () => {
  const { sim, topics, open } = await cluster(['a', 'b']);
  const got: string[] = [];
  topics.get('a')!.subscribe((e) => { got.push(e.data.orderId); }, { id: 'orders-view' });
  await sim.crash('b');
  await sim.advance(5_000);
  const starting = sim.start('b');
  while (!sim.nodes.has('b')) await sim.advance(1);
  assert.not.equal(sim.node('b').cluster.self.status, 'up', 'still joining');
  const t = open('b');
  const receipt = await t.publish({ orderId: 'early', amount: 1 });
  assert.is(receipt.source, 'b');
  assert.ok(receipt.offset >= 1);
  await starting;
  assert.ok(await sim.runUntil(() => got.includes('early'), 15_000), `got ${got}`);
  await sim.shutdown();
});

test('dead letters stay on the publishing node and are listed, replayed and purged from any node', async () => {
  const { sim, buses, topics } = await cluster(['a', 'b']);
  let failing = true;
  const ok: string[] = [];
  topics.get('b')!.subscribe((e) => { if (failing) throw new Error('gateway down'); ok.push(e.data.orderId); }, { id: 'gateway', maxAttempts: 2, backoff: { minMs: 10, maxMs: 10 } });
  await topics.get('a')!.publish({ orderId: 'o1', amount: 1 });
  await sim.advance(5_000);
  const dead = await drive(sim, buses.get('b')!.deadLetters<Payment>('payments', 'gateway'));
  assert.equal(dead.map((d) => [d.event.data.orderId, d.event.source, d.attempts, d.error]), [['o1', 'a', 2, 'gateway down']]);
  assert.is((await drive(sim, buses.get('a')!.deadLetters('payments', 'gateway'))).length, 1, 'kept on a');
  failing = false;
  assert.is(await drive(sim, buses.get('b')!.replayDeadLetters('payments', 'gateway')), 1);
  assert.ok(await sim.runUntil(() => ok.length === 1, 5_000));
  assert.equal(await drive(sim, buses.get('a')!.deadLetters('payments', 'gateway')), []);
  await sim.shutdown();
});

test.run();

export type { SimCluster };
