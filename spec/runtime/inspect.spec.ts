// Specs of inspection: the supervision tree snapshot with statuses, restarts and mailbox counters,
// and its text rendering.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, formatTree, type ActorRef, type InspectNode, type MailboxOptions } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

type M = { type: 'job' } | { type: 'boom' } | { type: 'hang' };
const leaf = (name: string, mailbox?: MailboxOptions) => defineActor<M, undefined>({
  name,
  mailbox,
  init: () => undefined,
  receive: (_s, m) => {
    if (m.type === 'boom') throw new Error('boom');
    if (m.type === 'hang') return new Promise<undefined>(() => {});
  },
});
const shop = defineActor<never, undefined>({
  name: 'shop',
  init: (ctx) => {
    ctx.spawn(leaf('orders', { kind: 'bounded', capacity: 2 }), 'orders');
    ctx.spawn(leaf('billing'), 'billing');
    return undefined;
  },
  receive: () => undefined,
});

/** Flattens a snapshot to `path → node`. */
function byPath(n: InspectNode, out = new Map<string, InspectNode>()): Map<string, InspectNode> {
  out.set(n.path, n);
  for (const c of n.children) byPath(c, out);
  return out;
}

const test = suite('inspect');

test('a fresh system is just the guardian', () => {
  const kit = createTestSystem();
  const root = kit.inspect();
  assert.equal({ ...root, uid: 0 }, {
    path: '/user', name: 'user', behavior: 'guardian', uid: 0, status: 'running', restarts: 0,
    mailbox: { size: 0, highWater: 0, processed: 0, dropped: 0 }, children: [],
  });
});

test('the snapshot shows paths, behaviors, status, restarts and mailbox counters after traffic', async () => {
  const kit = createTestSystem();
  const s = kit.spawn(shop, 'shop');
  const idle = kit.spawn(leaf('idle'), 'idle');
  await kit.runUntilIdle();
  const orders = kit.lookup<M>('/user/shop/orders')!;
  const billing = kit.lookup<M>('/user/shop/billing')!;
  for (let i = 0; i < 5; i++) orders.tell({ type: 'job' }); // capacity 2: three are rejected
  billing.tell({ type: 'job' });
  billing.tell({ type: 'boom' });
  billing.tell({ type: 'job' });
  await kit.runUntilIdle();
  billing.tell({ type: 'boom' });
  await kit.runUntilIdle();

  const nodes = byPath(kit.inspect());
  assert.equal([...nodes.keys()], ['/user', '/user/shop', '/user/shop/orders', '/user/shop/billing', '/user/idle']);
  const view = (path: string) => {
    const n = nodes.get(path)!;
    return { name: n.name, behavior: n.behavior, status: n.status, restarts: n.restarts, mailbox: n.mailbox, kids: n.children.length };
  };
  assert.equal(view('/user/shop'), { name: 'shop', behavior: 'shop', status: 'running', restarts: 0, mailbox: { size: 0, highWater: 0, processed: 0, dropped: 0 }, kids: 2 });
  assert.equal(view('/user/shop/orders'), { name: 'orders', behavior: 'orders', status: 'running', restarts: 0, mailbox: { size: 0, highWater: 2, processed: 2, dropped: 3 }, kids: 0 });
  assert.equal(view('/user/shop/billing'), { name: 'billing', behavior: 'billing', status: 'running', restarts: 2, mailbox: { size: 0, highWater: 3, processed: 4, dropped: 0 }, kids: 0 });
  assert.equal(view('/user/idle'), { name: 'idle', behavior: 'idle', status: 'running', restarts: 0, mailbox: { size: 0, highWater: 0, processed: 0, dropped: 0 }, kids: 0 });
  // uids are the incarnations the refs carry
  assert.is(nodes.get('/user/shop')!.uid, s.address.uid);
  assert.is(nodes.get('/user/idle')!.uid, idle.address.uid);
  assert.is(nodes.get('/user/shop/billing')!.uid, billing.address.uid);
});

test('a snapshot is a copy: later traffic does not change it', async () => {
  const kit = createTestSystem();
  const a = kit.spawn(leaf('a'), 'a');
  const before = kit.inspect();
  a.tell({ type: 'job' });
  await kit.runUntilIdle();
  assert.is(before.children[0].mailbox.processed, 0);
  assert.is(kit.inspect().children[0].mailbox.processed, 1);
});

test('status shows busy (async handler in flight), suspended (waiting for a backoff restart) and stopping', async () => {
  const kit = createTestSystem({ guardian: { backoff: { minMs: 100, maxMs: 100, jitter: 0 } } });
  const busy = kit.spawn(leaf('busy'), 'busy');
  const failing = kit.spawn(leaf('failing'), 'failing');
  busy.tell({ type: 'hang' });
  busy.tell({ type: 'job' });
  failing.tell({ type: 'boom' });
  await kit.runUntilIdle();
  const status = () => Object.fromEntries(kit.inspect().children.map((c) => [c.name, `${c.status} size=${c.mailbox.size} restarts=${c.restarts}`]));
  assert.equal(status(), { busy: 'busy size=1 restarts=0', failing: 'suspended size=0 restarts=0' });
  kit.stop(busy as ActorRef<never>);
  await kit.advance(100);
  // the queued job waits in the mailbox until the stop completes (then it is dead-lettered)
  assert.equal(status(), { busy: 'stopping size=1 restarts=0', failing: 'running size=0 restarts=1' });
  await kit.advance(5_000);
  assert.equal(status(), { failing: 'running size=0 restarts=1' });
});

test('formatTree prints one line per actor, indented by depth, with status, restarts and mailbox counters', async () => {
  const kit = createTestSystem();
  kit.spawn(shop, 'shop');
  await kit.runUntilIdle();
  const orders = kit.lookup<M>('/user/shop/orders')!;
  for (let i = 0; i < 3; i++) orders.tell({ type: 'job' });
  kit.lookup<M>('/user/shop/billing')!.tell({ type: 'boom' });
  await kit.runUntilIdle();
  const lines = formatTree(kit.inspect()).split('\n');
  assert.is(lines.length, 4);
  assert.match(lines[0], /^user \[guardian\] running mailbox\(size=0 high=0 processed=0 dropped=0\)$/);
  assert.match(lines[1], /^ {2}shop \[shop\] running mailbox\(size=0 high=0 processed=0 dropped=0\)$/);
  assert.match(lines[2], /^ {4}orders \[orders\] running mailbox\(size=0 high=2 processed=2 dropped=1\)$/);
  assert.match(lines[3], /^ {4}billing \[billing\] running restarts=1 mailbox\(size=0 high=1 processed=1 dropped=0\)$/);
});

test.run();
