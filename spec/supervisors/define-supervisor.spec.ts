import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { child, defineActor, defineSupervisor, isTroupeError, type ActorRef, type TroupeErrorCode, type InspectNode, type SupervisionOptions } from '../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../runtime/testing.ts';

type WorkerMsg = { type: 'crash'; error?: string } | { type: 'inc' } | { type: 'get'; replyTo: ActorRef<number> };
const worker = defineActor<WorkerMsg, number>({
  name: 'worker',
  init: () => 0,
  receive: (n, m, ctx) => {
    switch (m.type) {
      case 'crash': throw new Error(m.error ?? 'crash');
      case 'inc': return n + 1;
      case 'get': ctx.send(m.replyTo, n); return n;
    }
  },
});

function node(tree: InspectNode, path: string): InspectNode | undefined {
  if (tree.path === path) return tree;
  for (const c of tree.children) { const f = node(c, path); if (f) return f; }
  return undefined;
}

async function countOf(kit: TestSystem, path: string): Promise<number> {
  const ref = kit.lookup<WorkerMsg>(path)!;
  const p = ref.ask<number>((replyTo) => ({ type: 'get', replyTo }));
  await kit.runUntilIdle();
  return p;
}

async function setup(options: SupervisionOptions & { restarts?: ('permanent' | 'transient' | 'temporary')[] }) {
  const kit = createTestSystem();
  const kinds = options.restarts ?? ['permanent', 'permanent', 'permanent'];
  const sup = defineSupervisor({ ...options, name: 'sup', children: ['a', 'b', 'c'].map((n, i) => child(n, worker, { restart: kinds[i] })) });
  kit.spawn(sup, 'sup');
  await kit.runUntilIdle();
  for (const n of ['a', 'b', 'c']) kit.lookup<WorkerMsg>(`/user/sup/${n}`)!.tell({ type: 'inc' });
  await kit.runUntilIdle();
  return kit;
}

const test = suite('supervisors');

for (const [strategy, expected] of [
  ['one-for-one', [1, 0, 1]],
  ['one-for-all', [0, 0, 0]],
  ['rest-for-one', [1, 0, 0]],
] as const) {
  test(`${strategy}: a crash of b restarts ${strategy === 'one-for-one' ? 'b only' : strategy === 'one-for-all' ? 'every child' : 'b and the children started after it'}`, async () => {
    const kit = await setup({ strategy });
    kit.lookup<WorkerMsg>('/user/sup/b')!.tell({ type: 'crash' });
    await kit.runUntilIdle();
    assert.equal([await countOf(kit, '/user/sup/a'), await countOf(kit, '/user/sup/b'), await countOf(kit, '/user/sup/c')], expected);
    const tree = kit.inspect();
    assert.is(node(tree, '/user/sup/b')!.restarts, 1);
    assert.is(node(tree, '/user/sup')!.status, 'running');
  });
}

test('a restarted child keeps its ref and its queued messages; the failing message is not retried', async () => {
  const kit = await setup({});
  const b = kit.lookup<WorkerMsg>('/user/sup/b')!;
  b.tell({ type: 'crash' });
  b.tell({ type: 'inc' });
  b.tell({ type: 'inc' });
  await kit.runUntilIdle();
  assert.ok(kit.lookup('/user/sup/b')!.equals(b as never));
  assert.is(await countOf(kit, '/user/sup/b'), 2);
});

test('decider resume keeps the state; stop stops the child; temporary children are never restarted', async () => {
  const kit = await setup({ decider: (e) => ((e as Error).message === 'resume-me' ? 'resume' : 'stop'), restarts: ['permanent', 'permanent', 'temporary'] });
  const a = kit.lookup<WorkerMsg>('/user/sup/a')!;
  a.tell({ type: 'crash', error: 'resume-me' });
  a.tell({ type: 'inc' });
  await kit.runUntilIdle();
  assert.is(await countOf(kit, '/user/sup/a'), 2);
  const b = kit.lookup<WorkerMsg>('/user/sup/b')!;
  const probe = kit.createProbe<never>();
  b.tell({ type: 'crash', error: 'fatal' });
  const t = await probe.expectTerminated(b as never);
  assert.is(t.reason.kind, 'failure');
  assert.is(kit.lookup('/user/sup/b'), undefined);

  const kit2 = await setup({ restarts: ['permanent', 'permanent', 'temporary'] });
  const c = kit2.lookup<WorkerMsg>('/user/sup/c')!;
  c.tell({ type: 'crash' });
  await kit2.runUntilIdle();
  assert.is(c.alive, false, 'a temporary child that fails is stopped even though the decider says restart');
});

test('a permanent child that stops itself normally comes back as a new incarnation; a transient one does not', async () => {
  const kit = createTestSystem();
  const quitter = defineActor<{ type: 'quit' }, undefined>({ name: 'quitter', init: () => undefined, receive: (_s, _m, ctx) => { ctx.stop(ctx.self as never); } });
  kit.spawn(defineSupervisor({ children: [child('p', quitter), child('t', quitter, { restart: 'transient' })] }), 'sup');
  await kit.runUntilIdle();
  const p1 = kit.lookup<{ type: 'quit' }>('/user/sup/p')!;
  const t1 = kit.lookup<{ type: 'quit' }>('/user/sup/t')!;
  p1.tell({ type: 'quit' });
  t1.tell({ type: 'quit' });
  await kit.runUntilIdle();
  const p2 = kit.lookup('/user/sup/p');
  assert.ok(p2, 'permanent child is back');
  assert.not.equal(p2!.address.uid, p1.address.uid);
  assert.is(p1.alive, false);
  assert.is(kit.lookup('/user/sup/t'), undefined);
});

test('restart intensity: more restarts than allowed in the window escalate to the parent', async () => {
  const kit = createTestSystem();
  const inner = defineSupervisor({ name: 'inner', intensity: { maxRestarts: 2, withinMs: 1_000 }, children: [child('w', worker)] });
  const outer = defineSupervisor({ name: 'outer', children: [child('inner', inner)] });
  const escalations: string[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'escalated') escalations.push(`${e.path}:${e.why}`); });
  kit.spawn(outer, 'outer');
  await kit.runUntilIdle();
  const crash = async () => { kit.lookup<WorkerMsg>('/user/outer/inner/w')!.tell({ type: 'crash' }); await kit.runUntilIdle(); };
  await crash();
  await crash();
  assert.is(node(kit.inspect(), '/user/outer/inner')!.restarts, 0);
  await crash(); // third restart inside 1 s: inner gives up, outer restarts inner
  assert.equal(escalations, ['/user/outer/inner:intensity']);
  assert.is(node(kit.inspect(), '/user/outer/inner')!.restarts, 1);
  assert.is(await countOf(kit, '/user/outer/inner/w'), 0);
});

test('restarts spread over more than the window do not accumulate', async () => {
  const kit = createTestSystem();
  kit.spawn(defineSupervisor({ intensity: { maxRestarts: 1, withinMs: 1_000 }, children: [child('w', worker)] }), 'sup');
  await kit.runUntilIdle();
  for (let i = 0; i < 5; i++) {
    kit.lookup<WorkerMsg>('/user/sup/w')!.tell({ type: 'crash' });
    await kit.advance(1_001);
  }
  assert.is(node(kit.inspect(), '/user/sup/w')!.restarts, 5);
  assert.is(kit.isTerminated, false);
});

test('escalation up to the root stops the system with a clear reason', async () => {
  const kit = createTestSystem({ guardian: { intensity: { maxRestarts: 1, withinMs: 10_000 } } });
  const sup = defineSupervisor({ name: 'app', decider: () => 'escalate', children: [child('w', worker)] });
  kit.spawn(sup, 'app');
  await kit.runUntilIdle();
  kit.lookup<WorkerMsg>('/user/app/w')!.tell({ type: 'crash', error: 'disk on fire' });
  await kit.runUntilIdle();
  // the guardian restarts app once; the second escalation exceeds the guardian's intensity
  kit.lookup<WorkerMsg>('/user/app/w')!.tell({ type: 'crash', error: 'disk on fire' });
  await kit.runUntilIdle();
  assert.is(kit.isTerminated, true);
  const reason = await kit.whenTerminated;
  assert.is(reason.kind, 'escalated');
  const error = (reason as { error: unknown }).error;
  assert.ok(isTroupeError(error, 'restart-intensity'));
  assert.match((error as Error).message, /disk on fire|escalated/);
});

test('exponential backoff with seeded jitter delays the restart on virtual time', async () => {
  const run = async (seed: number) => {
    const kit = createTestSystem({ seed });
    kit.spawn(defineSupervisor({ backoff: { minMs: 100, maxMs: 1_000, jitter: 0.5 }, intensity: { maxRestarts: 10, withinMs: 60_000 }, children: [child('w', worker)] }), 'sup');
    await kit.runUntilIdle();
    const times: number[] = [];
    kit.events$.subscribe((e) => { if (e.type === 'restarted') times.push(e.atMs); });
    for (let i = 0; i < 3; i++) {
      const crashAt = kit.now();
      kit.lookup<WorkerMsg>('/user/sup/w')!.tell({ type: 'crash' });
      await kit.runUntil(() => times.length > i, 5_000);
      times[i] -= crashAt;
    }
    return times;
  };
  const a = await run(3);
  assert.equal(await run(3), a, 'same seed, same delays');
  // attempt n waits minMs·2^(n−1) scaled by a jitter in [0.5, 1.5]
  a.forEach((d, i) => { const base = 100 * 2 ** i; assert.ok(d >= base * 0.5 && d <= base * 1.5, `delay ${d} for attempt ${i + 1}`); });
  assert.ok(a[2] > a[0]);
});

test('nested trees: a crash deep down restarts only that subtree', async () => {
  const kit = createTestSystem();
  const leaf = defineSupervisor({ name: 'leaf', children: [child('w1', worker), child('w2', worker)] });
  const mid = defineSupervisor({ name: 'mid', strategy: 'one-for-all', children: [child('l1', leaf), child('l2', leaf)] });
  kit.spawn(defineSupervisor({ name: 'top', children: [child('m', mid), child('other', worker)] }), 'top');
  await kit.runUntilIdle();
  kit.lookup<WorkerMsg>('/user/top/other')!.tell({ type: 'inc' });
  kit.lookup<WorkerMsg>('/user/top/m/l2/w1')!.tell({ type: 'inc' });
  kit.lookup<WorkerMsg>('/user/top/m/l1/w2')!.tell({ type: 'crash' });
  await kit.runUntilIdle();
  const tree = kit.inspect();
  assert.is(node(tree, '/user/top/m/l1/w2')!.restarts, 1);
  assert.is(node(tree, '/user/top/m/l2/w1')!.restarts, 0);
  assert.is(await countOf(kit, '/user/top/m/l2/w1'), 1);
  assert.is(await countOf(kit, '/user/top/other'), 1);
});

test('invalid supervisor specs fail at definition time with the fix in the message', () => {
  const bad: [string, () => unknown, TroupeErrorCode, RegExp][] = [
    ['negative intensity', () => defineSupervisor({ intensity: { maxRestarts: -1, withinMs: 1000 }, children: [] }), 'invalid-intensity', /maxRestarts must be an integer ≥ 0/],
    ['negative window', () => defineSupervisor({ intensity: { maxRestarts: 3, withinMs: -5 }, children: [] }), 'invalid-intensity', /withinMs must be a positive/],
    ['unknown strategy', () => defineSupervisor({ strategy: 'all-for-none' as never, children: [] }), 'invalid-strategy', /unknown strategy/],
    ['duplicate child', () => defineSupervisor({ children: [child('a', worker), child('a', worker)] }), 'duplicate-child-name', /unique/],
    ['missing id', () => child(undefined as never, worker), 'missing-id', /needs a name/],
    ['bad id', () => child('a/b', worker), 'invalid-name', /not a valid actor name/],
    ['bad restart', () => child('a', worker, { restart: 'sometimes' as never }), 'invalid-restart-type', /restart must be one of/],
    ['bad shutdown', () => child('a', worker, { shutdown: -5 }), 'invalid-shutdown', /shutdown must be/],
    ['significant permanent', () => child('a', worker, { significant: true }), 'invalid-significant', /permanent child cannot be significant/],
    ['significant without autoShutdown', () => defineSupervisor({ children: [child('a', worker, { restart: 'transient', significant: true })] }), 'invalid-significant', /autoShutdown/],
    ['bad autoShutdown', () => defineSupervisor({ autoShutdown: 'sometimes' as never, children: [] }), 'invalid-auto-shutdown', /autoShutdown must be one of/],
    ['not a definition', () => child('a', {} as never), 'invalid-child', /definition/],
    ['bad backoff', () => defineSupervisor({ backoff: { minMs: 500, maxMs: 100 }, children: [] }), 'invalid-backoff', /backoff/],
    ['bad bulkhead', () => defineSupervisor({ bulkhead: { maxMailbox: 0, maxConcurrent: 1 }, children: [] }), 'invalid-bulkhead', /bulkhead/],
    ['bad decider', () => defineSupervisor({ decider: 'restart' as never, children: [] }), 'invalid-decider', /decider must be a function/],
  ];
  for (const [label, f, code, msg] of bad) {
    try { f(); assert.unreachable(label); } catch (e) { assert.ok(isTroupeError(e, code), `${label}: expected ${code}, got ${String(e)}`); assert.match((e as Error).message, msg, label); }
  }
});

test('which-children lists the children in start order', async () => {
  const kit = await setup({});
  const sup = kit.lookup<{ type: 'which-children'; replyTo: ActorRef<readonly { id: string }[]> }>('/user/sup')!;
  const p = sup.ask<readonly { id: string }[]>((replyTo) => ({ type: 'which-children', replyTo }));
  await kit.runUntilIdle();
  assert.equal((await p).map((c) => c.id), ['a', 'b', 'c']);
});

test.run();
