// OTP's supervisor semantics, rule by rule, on virtual time: lifecycle events recorded in order
// (start, stop) and asserted as exact sequences. Each table row is one rule of OTP's supervisor
// (or Pekko's, where OTP has no equivalent) that a user relies on.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import {
  child, defineActor, defineSupervisor, IGNORE, isTroupeError, supervisorClient,
  type ActorRef, type ChildSpec, type RestartType, type SupervisorSpec, type SystemEvent,
} from '../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../runtime/testing.ts';

type W = { type: 'crash' } | { type: 'exit' } | { type: 'hang' } | { type: 'inc' } | { type: 'get'; replyTo: ActorRef<number> };
type Any = ActorRef<never>;

interface WorkerOpts { failInit?: (n: number) => boolean; ignore?: boolean }

/** A worker that logs `start <id>` (started/restarted) and `stop <id>` (pre-restart/stopped). */
function worker(id: string, log: string[], o: WorkerOpts = {}) {
  let inits = 0;
  return defineActor<W, number>({
    name: id,
    init: () => {
      inits++;
      if (o.failInit?.(inits)) throw new Error(`init ${id} #${inits}`);
      return o.ignore ? IGNORE : 0;
    },
    receive: (n, m, ctx) => {
      switch (m.type) {
        case 'crash': throw new Error(`crash ${id}`);
        case 'exit': ctx.stop(ctx.self as Any); return n;
        case 'hang': return new Promise<number>(() => {});
        case 'inc': return n + 1;
        case 'get': ctx.send(m.replyTo, n); return n;
      }
    },
    signal: (s, sig) => {
      if (sig.type === 'started' || sig.type === 'restarted') log.push(`start ${id}`);
      if (sig.type === 'pre-restart' || sig.type === 'stopped') log.push(`stop ${id}`);
      return s;
    },
  });
}

function tell(kit: TestSystem, path: string, m: W): void {
  kit.lookup<W>(path)!.tell(m);
}

async function stateOf(kit: TestSystem, path: string): Promise<number> {
  const p = kit.lookup<W>(path)!.ask<number>((replyTo) => ({ type: 'get', replyTo }));
  await kit.runUntilIdle();
  return p;
}

function stops(kit: TestSystem): SystemEvent[] {
  const out: SystemEvent[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'stopped') out.push(e); });
  return out;
}

const ids = ['ch7', 'ch3', 'ch10', 'ch2', 'ch5'];

// ---- 1. group restarts, exactly as OTP -------------------------------------------------------

const group = suite('otp: group restarts');

interface GroupCase {
  name: string;
  strategy: SupervisorSpec['strategy'];
  restarts?: Partial<Record<string, RestartType>>;
  act: { id: string; msg: W };
  log: string[];
  children: string[];
}

const groupCases: GroupCase[] = [
  { name: 'rest-for-one: the affected children stop newest first, then all start in the original order',
    strategy: 'rest-for-one', act: { id: 'ch10', msg: { type: 'crash' } },
    log: ['stop ch5', 'stop ch2', 'stop ch10', 'start ch10', 'start ch2', 'start ch5'], children: ids },
  { name: 'one-for-all: every child stops newest first, then all start in order',
    strategy: 'one-for-all', act: { id: 'ch3', msg: { type: 'crash' } },
    log: ['stop ch5', 'stop ch2', 'stop ch10', 'stop ch3', 'stop ch7', 'start ch7', 'start ch3', 'start ch10', 'start ch2', 'start ch5'], children: ids },
  { name: 'one-for-one: only the failed child',
    strategy: 'one-for-one', act: { id: 'ch10', msg: { type: 'crash' } },
    log: ['stop ch10', 'start ch10'], children: ids },
  { name: 'one-for-all: a temporary sibling is stopped and forgotten, not restarted',
    strategy: 'one-for-all', restarts: { ch2: 'temporary' }, act: { id: 'ch7', msg: { type: 'crash' } },
    log: ['stop ch5', 'stop ch2', 'stop ch10', 'stop ch3', 'stop ch7', 'start ch7', 'start ch3', 'start ch10', 'start ch5'],
    children: ['ch7', 'ch3', 'ch10', 'ch5'] },
  { name: 'one-for-all: a permanent child that exits normally restarts the group; the child order does not change',
    strategy: 'one-for-all', act: { id: 'ch3', msg: { type: 'exit' } },
    log: ['stop ch3', 'stop ch5', 'stop ch2', 'stop ch10', 'stop ch7', 'start ch7', 'start ch3', 'start ch10', 'start ch2', 'start ch5'], children: ids },
  { name: 'rest-for-one: a permanent child that exits normally restarts itself and the later ones, in its place',
    strategy: 'rest-for-one', act: { id: 'ch10', msg: { type: 'exit' } },
    log: ['stop ch10', 'stop ch5', 'stop ch2', 'start ch10', 'start ch2', 'start ch5'], children: ids },
  { name: 'one-for-all: a transient child that exits normally is not restarted and restarts nobody',
    strategy: 'one-for-all', restarts: { ch10: 'transient' }, act: { id: 'ch10', msg: { type: 'exit' } },
    log: ['stop ch10'], children: ids },
  { name: 'one-for-all: a temporary child that exits is forgotten',
    strategy: 'one-for-all', restarts: { ch10: 'temporary' }, act: { id: 'ch10', msg: { type: 'exit' } },
    log: ['stop ch10'], children: ['ch7', 'ch3', 'ch2', 'ch5'] },
];

for (const c of groupCases) {
  group(c.name, async () => {
    const kit = createTestSystem();
    const log: string[] = [];
    const sup = defineSupervisor({ strategy: c.strategy, intensity: { maxRestarts: 10, withinMs: 1_000 },
      children: ids.map((id) => child(id, worker(id, log), { restart: c.restarts?.[id] ?? 'permanent' })) });
    const ref = kit.spawn(sup, 'sup');
    await kit.runUntilIdle();
    log.length = 0;
    tell(kit, `/user/sup/${c.act.id}`, c.act.msg);
    await kit.runUntilIdle();
    assert.equal(log, c.log);
    const which = await supervisorClient(ref).whichChildren();
    assert.equal(which.map((e) => e.id), c.children);
    // and the shutdown order follows the (unchanged) start order
    log.length = 0;
    await kit.terminate();
    assert.equal(log, [...c.children].reverse().filter((id) => which.find((e) => e.id === id)?.ref !== undefined).map((id) => `stop ${id}`));
  });
}

group('one-for-all: a sibling busy in an async handler is restarted when the handler settles, its result discarded', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const sup = kit.spawn(defineSupervisor({ strategy: 'one-for-all', children: ['a', 'b'].map((id) => child(id, worker(id, log), { shutdown: 1_000 })) }), 'sup');
  await kit.runUntilIdle();
  tell(kit, '/user/sup/b', { type: 'hang' });
  tell(kit, '/user/sup/a', { type: 'inc' });
  await kit.runUntilIdle();
  log.length = 0;
  tell(kit, '/user/sup/a', { type: 'crash' });
  await kit.runUntilIdle();
  assert.equal(log, []); // b's handler never settles: the stop phase waits for b's shutdown
  await kit.advance(1_000);
  assert.equal(log, ['stop a', 'start a', 'start b']); // b killed after 1 000 ms (no hook), then both start
  assert.is(await stateOf(kit, '/user/sup/b'), 0);
  assert.equal((await supervisorClient(sup).whichChildren()).map((e) => typeof e.ref), ['object', 'object']);
});

// ---- 2. start semantics ----------------------------------------------------------------------

const start = suite('otp: start failures and ignore');

start('a child whose first start fails fails the supervisor\'s start with start-failed naming it; the earlier children are stopped, nothing left running', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const sup = defineSupervisor({ children: [child('a', worker('a', log)), child('bad', worker('bad', log, { failInit: () => true })), child('c', worker('c', log))] });
  let error: unknown;
  try { kit.spawn(sup, 'sup'); } catch (e) { error = e; }
  assert.ok(isTroupeError(error, 'start-failed'), String(error));
  const inner = (error as Error).cause;
  assert.ok(isTroupeError(inner, 'start-failed'));
  assert.equal((inner as { data: unknown }).data, { child: '/user/sup/bad', id: 'bad' });
  assert.match(String(((inner as Error).cause as Error).message), /init bad #1/);
  await kit.runUntilIdle();
  assert.equal(log, ['start a', 'stop a']);
  assert.is(kit.lookup('/user/sup'), undefined);
  assert.is(kit.inspect().children.length, 0);
  kit.spawn(defineSupervisor({ children: [] }), 'sup'); // the name is free again at once
});

start('ctx.spawn of a child whose init throws throws start-failed at once and retries nothing (init ran once)', async () => {
  const kit = createTestSystem();
  let inits = 0;
  const bad = defineActor<never, undefined>({ init: () => { inits++; throw new Error('no db'); }, receive: () => undefined });
  const answer = kit.createProbe<string>();
  kit.spawn(defineActor<{ type: 'go' }, undefined>({
    init: () => undefined,
    receive: (_s, _m, ctx) => {
      try { ctx.spawn(bad, 'x'); ctx.send(answer.ref, 'spawned'); } catch (e) { ctx.send(answer.ref, isTroupeError(e) ? `${e.code}: ${(e.cause as Error).message}` : String(e)); }
    },
  }), 'p').tell({ type: 'go' });
  assert.is(await answer.expectMessage(), 'start-failed: no db');
  await kit.advance(60_000);
  assert.is(inits, 1);
  assert.is(kit.lookup('/user/p/x'), undefined);
});

start('init returning IGNORE starts nothing: the spec is kept (ref undefined) unless temporary, and can be restarted by id', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  let enabled = false;
  const maybe = defineActor<W, number>({ init: () => (enabled ? 0 : IGNORE), receive: (n) => n, signal: (s, sig) => { if (sig.type === 'started') log.push('start maybe'); return s; } });
  const sup = kit.spawn(defineSupervisor({ children: [child('maybe', maybe), child('tmp', maybe, { restart: 'temporary' })] }), 'sup');
  await kit.runUntilIdle();
  const client = supervisorClient(sup);
  assert.equal((await client.whichChildren()).map((e) => [e.id, e.ref]), [['maybe', undefined]]);
  assert.equal(await client.countChildren(), { specs: 1, active: 0, supervisors: 0, workers: 1 });
  enabled = true;
  const r = await client.restartChild('maybe');
  assert.ok(r.ok && r.ref !== undefined);
  assert.equal(log, ['start maybe']);
});

start('a failed restart counts toward the intensity; the supervisor gives up with reason shutdown', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const seen = stops(kit);
  kit.spawn(defineSupervisor({ intensity: { maxRestarts: 2, withinMs: 10_000 }, children: [child('w', worker('w', log, { failInit: (n) => n > 1 }))] }), 'sup');
  await kit.runUntilIdle();
  tell(kit, '/user/sup/w', { type: 'crash' });
  await kit.runUntilIdle();
  assert.equal(seen.map((e) => e.type === 'stopped' && `${e.path} ${e.reason}`), ['/user/sup/w shutdown', '/user/sup shutdown']);
  assert.is(kit.lookup('/user/sup'), undefined);
});

start('resume after a failed init restarts instead: a live actor always has state and got started/restarted', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const p = kit.spawn(defineActor<W, undefined>({
    supervision: { decider: () => 'resume', intensity: { maxRestarts: 5, withinMs: 1_000 } },
    init: (ctx) => { ctx.spawn(worker('w', log, { failInit: (n) => n === 2 }), 'w', { restart: 'permanent' }); return undefined; },
    receive: () => undefined,
  }), 'p');
  void p;
  await kit.runUntilIdle();
  // a permanent child that exits is restarted; its restart's init fails; the decider says resume,
  // which cannot apply to an actor without state: it is restarted again
  tell(kit, '/user/p/w', { type: 'exit' });
  await kit.runUntilIdle();
  assert.equal(log, ['start w', 'stop w', 'start w']);
  tell(kit, '/user/p/w', { type: 'inc' });
  assert.is(await stateOf(kit, '/user/p/w'), 1);
});

// ---- 3. exit reasons ---------------------------------------------------------------------------

const reasons = suite('otp: exit reasons');

reasons('a child stopped by its supervisor ends with shutdown; one that stops itself with normal; a killed one with killed', async () => {
  const kit = createTestSystem();
  const seen = stops(kit);
  const log: string[] = [];
  const sup = kit.spawn(defineSupervisor({ children: [
    child('self', worker('self', log), { restart: 'transient' }),
    child('term', worker('term', log)),
    child('brutal', worker('brutal', log), { shutdown: 'brutal-kill' }),
  ] }), 'sup');
  await kit.runUntilIdle();
  tell(kit, '/user/sup/self', { type: 'exit' });
  await kit.runUntilIdle();
  const client = supervisorClient(sup);
  const t = client.terminateChild('term');
  await kit.runUntilIdle();
  assert.equal(await t, { ok: true });
  const b = client.terminateChild('brutal');
  await kit.runUntilIdle();
  assert.equal(await b, { ok: true });
  assert.equal(seen.map((e) => e.type === 'stopped' && `${e.path.split('/').pop()} ${e.reason}`), ['self normal', 'term shutdown', 'brutal killed']);
  assert.equal(log.filter((l) => l.startsWith('stop')), ['stop self', 'stop term']); // brutal kill runs no hooks
  assert.equal((await client.whichChildren()).map((e) => [e.id, e.ref]), [['self', undefined], ['term', undefined], ['brutal', undefined]]);
});

reasons('a child that crashes while its supervisor is stopping it ends with failure(cause), not normal', async () => {
  const kit = createTestSystem();
  const seen: unknown[] = [];
  const slow = defineActor<{ type: 'work' }, undefined>({
    init: () => undefined,
    receive: (_s, _m, ctx) => new Promise<undefined>((_res, rej) => { ctx.system.scheduler.startTimer(100, () => rej(new Error('late boom'))); }),
  });
  const sup = kit.spawn(defineSupervisor({ children: [child('w', slow)] }), 'sup');
  await kit.runUntilIdle();
  const w = kit.lookup<{ type: 'work' }>('/user/sup/w')!;
  kit.spawn(defineActor<never, undefined>({
    init: (ctx) => { ctx.watch(w as Any); return undefined; }, receive: () => undefined,
    signal: (s, sig) => { if (sig.type === 'terminated') seen.push(sig.reason); return s; },
  }), 'watcher');
  w.tell({ type: 'work' });
  await kit.runUntilIdle();
  kit.stop(sup as Any);
  await kit.advance(200);
  assert.is(seen.length, 1);
  assert.is((seen[0] as { kind: string }).kind, 'failure');
  assert.match(((seen[0] as { error: Error }).error).message, /late boom/);
});

for (const [restart, restarted] of [['transient', false], ['permanent', true]] as const) {
  reasons(`a ${restart} sub-supervisor that gives up exits shutdown: its parent ${restarted ? 'restarts it' : 'does not restart it'}`, async () => {
    const kit = createTestSystem();
    const log: string[] = [];
    const inner = defineSupervisor({ name: 'inner', intensity: { maxRestarts: 1, withinMs: 1_000 }, children: [child('w', worker('w', log))] });
    const outer = kit.spawn(defineSupervisor({ children: [child('inner', inner, { restart })] }), 'outer');
    await kit.runUntilIdle();
    tell(kit, '/user/outer/inner/w', { type: 'crash' });
    await kit.runUntilIdle();
    tell(kit, '/user/outer/inner/w', { type: 'crash' });
    await kit.runUntilIdle();
    const which = await supervisorClient(outer).whichChildren();
    assert.is(which[0].type, 'supervisor');
    assert.is(which[0].ref !== undefined, restarted);
    assert.is(kit.lookup('/user/outer/inner/w') !== undefined, restarted);
  });
}

reasons('a terminated signal that arrives while an actor restarts reaches the new state, not the old one', async () => {
  const kit = createTestSystem();
  const got: string[] = [];
  const other = kit.spawn(worker('other', []), 'other');
  type M = { type: 'crash' };
  let incarnation = 0;
  const p = kit.spawn(defineActor<M, { n: number }>({
    init: (ctx) => {
      if (incarnation === 0) ctx.watch(other as Any); // a watch outlives a restart: only the first incarnation asks
      ctx.spawn(worker('slow', []), 'slow', { shutdown: 500 });
      return { n: ++incarnation };
    },
    receive: () => { throw new Error('boom'); },
    signal: (s, sig) => { if (sig.type === 'terminated') got.push(`incarnation ${s.n}`); return s; },
  }), 'p');
  await kit.runUntilIdle();
  tell(kit, '/user/p/slow', { type: 'hang' }); // so p's tear-down waits for slow's shutdown
  await kit.runUntilIdle();
  p.tell({ type: 'crash' });
  await kit.runUntilIdle();
  kit.stop(other as Any); // terminates while p is tearing down
  await kit.advance(1_000);
  assert.equal(got, ['incarnation 2']);
});

// ---- 4. shutdown values ----------------------------------------------------------------------

const shutdown = suite('otp: shutdown values');

shutdown("'infinity' waits as long as the child takes; a supervisor child defaults to infinity, so its workers' longer budgets hold", async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const inner = defineSupervisor({ children: [child('w', worker('w', log), { shutdown: 8_000 })] });
  const outer = kit.spawn(defineSupervisor({ children: [child('inner', inner), child('forever', worker('forever', log), { shutdown: 'infinity' })] }), 'outer');
  await kit.runUntilIdle();
  tell(kit, '/user/outer/inner/w', { type: 'hang' });
  tell(kit, '/user/outer/forever', { type: 'hang' });
  await kit.runUntilIdle();
  const seen = stops(kit);
  kit.stop(outer as Any);
  await kit.advance(3_600_000);
  assert.equal(seen.map((e) => e.type === 'stopped' && e.path), [], 'forever is never killed');
  assert.is(kit.lookup('/user/outer/forever') !== undefined, true);
});

shutdown('a child supervisor is not cut at 5 000 ms: its worker gets its own 8 000 ms, then is killed', async () => {
  const kit = createTestSystem();
  const inner = defineSupervisor({ children: [child('w', worker('w', []), { shutdown: 8_000 })] });
  const outer = kit.spawn(defineSupervisor({ children: [child('inner', inner)] }), 'outer');
  await kit.runUntilIdle();
  tell(kit, '/user/outer/inner/w', { type: 'hang' });
  await kit.runUntilIdle();
  const seen = stops(kit);
  const t0 = kit.now();
  kit.stop(outer as Any);
  await kit.runUntil(() => seen.length === 3, 60_000);
  assert.equal(seen.map((e) => e.type === 'stopped' && `${e.path} ${e.reason} +${e.atMs - t0}`), [
    '/user/outer/inner/w killed +8000', '/user/outer/inner shutdown +8000', '/user/outer shutdown +8000',
  ]);
});

// ---- 5. backoff per child ----------------------------------------------------------------------

const backoff = suite('otp/pekko: backoff per child');

async function restartDelay(kit: TestSystem, path: string): Promise<number> {
  const t0 = kit.now();
  let back = false;
  const sub = kit.events$.subscribe((e) => { if (e.type === 'restarted' && e.path === path) back = true; });
  tell(kit, path, { type: 'crash' });
  await kit.runUntil(() => back, 120_000);
  sub.unsubscribe();
  return kit.now() - t0;
}

backoff('attempts are counted per child: after a restarted three times, b\'s first restart waits minMs', async () => {
  const kit = createTestSystem();
  kit.spawn(defineSupervisor({ intensity: { maxRestarts: 100, withinMs: 1_000 }, backoff: { minMs: 1_000, maxMs: 60_000, jitter: 0 },
    children: [child('a', worker('a', [])), child('b', worker('b', []))] }), 'sup');
  await kit.runUntilIdle();
  assert.equal([await restartDelay(kit, '/user/sup/a'), await restartDelay(kit, '/user/sup/a'), await restartDelay(kit, '/user/sup/a')], [1_000, 2_000, 4_000]);
  assert.is(await restartDelay(kit, '/user/sup/b'), 1_000);
});

backoff('reset-after: a child that ran resetAfterMs since its last start counts from the first attempt again', async () => {
  const kit = createTestSystem();
  kit.spawn(defineSupervisor({ intensity: { maxRestarts: 100, withinMs: 1_000 }, backoff: { minMs: 100, maxMs: 60_000, jitter: 0, resetAfterMs: 5_000 },
    children: [child('a', worker('a', []))] }), 'sup');
  await kit.runUntilIdle();
  assert.equal([await restartDelay(kit, '/user/sup/a'), await restartDelay(kit, '/user/sup/a')], [100, 200]);
  await kit.advance(4_999);
  assert.is(await restartDelay(kit, '/user/sup/a'), 400);
  await kit.advance(5_000);
  assert.is(await restartDelay(kit, '/user/sup/a'), 100);
});

backoff('while a child waits out its backoff, messages beyond stashCapacity go to dead letters (backoff-overflow); the rest are handled after', async () => {
  const kit = createTestSystem();
  const dead: string[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e.reason); });
  kit.spawn(defineSupervisor({ backoff: { minMs: 1_000, maxMs: 1_000, stashCapacity: 3 }, children: [child('a', worker('a', []))] }), 'sup');
  await kit.runUntilIdle();
  tell(kit, '/user/sup/a', { type: 'crash' });
  await kit.runUntilIdle();
  for (let i = 0; i < 5; i++) tell(kit, '/user/sup/a', { type: 'inc' });
  assert.equal(dead, ['backoff-overflow', 'backoff-overflow']);
  await kit.advance(1_500);
  assert.is(await stateOf(kit, '/user/sup/a'), 3);
});

backoff('whichChildren and the child API say restarting while a child waits out its backoff', async () => {
  const kit = createTestSystem();
  const sup = kit.spawn(defineSupervisor({ backoff: { minMs: 1_000, maxMs: 1_000 }, children: [child('a', worker('a', []))] }), 'sup');
  await kit.runUntilIdle();
  tell(kit, '/user/sup/a', { type: 'crash' });
  await kit.runUntilIdle();
  const client = supervisorClient(sup);
  const [which, restart, del] = [client.whichChildren(), client.restartChild('a'), client.deleteChild('a')];
  await kit.runUntilIdle();
  assert.is((await which)[0].ref, 'restarting');
  assert.equal(await restart, { ok: false, error: 'restarting' });
  assert.equal(await del, { ok: false, error: 'restarting' });
});

// ---- 6. restart history ----------------------------------------------------------------------

const history = suite('otp: restart history');

history('a supervisor restarted by its parent starts with an empty restart history', async () => {
  const kit = createTestSystem();
  const mid = defineSupervisor({ name: 'mid', intensity: { maxRestarts: 2, withinMs: 60_000 }, children: [child('w', worker('w', []))] });
  const top = kit.spawn(defineSupervisor({ intensity: { maxRestarts: 10, withinMs: 60_000 }, children: [child('mid', mid)] }), 'top');
  await kit.runUntilIdle();
  tell(kit, '/user/top/mid/w', { type: 'crash' });
  await kit.runUntilIdle();
  tell(kit, '/user/top/mid/w', { type: 'crash' });
  await kit.runUntilIdle(); // two restarts in mid's window
  const client = supervisorClient(top);
  const t = client.terminateChild('mid');
  await kit.runUntilIdle();
  await t;
  // the terminated mid is started again by id: a new start, an empty history
  const r = client.restartChild('mid');
  await kit.runUntilIdle();
  assert.ok((await r).ok);
  tell(kit, '/user/top/mid/w', { type: 'crash' });
  await kit.runUntilIdle();
  assert.ok(kit.lookup('/user/top/mid/w'), 'one failure after the restart does not exceed 2 in the window');
});

history('a supervisor restarted in place (its own failure) forgets its children\'s earlier restarts', async () => {
  const kit = createTestSystem();
  type M = { type: 'boom' };
  const mid = defineActor<M, undefined>({
    supervision: { intensity: { maxRestarts: 2, withinMs: 60_000 } },
    init: (ctx) => { ctx.spawn(worker('w', []), 'w', { restart: 'permanent' }); return undefined; },
    receive: () => { throw new Error('mid boom'); },
  });
  kit.spawn(defineSupervisor({ intensity: { maxRestarts: 10, withinMs: 60_000 }, children: [child('mid', mid)] }), 'top');
  await kit.runUntilIdle();
  tell(kit, '/user/top/mid/w', { type: 'crash' });
  await kit.runUntilIdle();
  tell(kit, '/user/top/mid/w', { type: 'crash' });
  await kit.runUntilIdle();
  kit.lookup<M>('/user/top/mid')!.tell({ type: 'boom' }); // mid restarted by top
  await kit.runUntilIdle();
  tell(kit, '/user/top/mid/w', { type: 'crash' });
  await kit.runUntilIdle();
  assert.ok(kit.lookup('/user/top/mid/w'), 'with the old history this third failure would have made mid give up');
});

// ---- 7. the dynamic child API ---------------------------------------------------------------

const api = suite('otp: dynamic child API');

api('startChild, terminateChild, restartChild, deleteChild, whichChildren and countChildren answer as OTP does', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const sup = kit.spawn(defineSupervisor({ children: [child('a', worker('a', log))] }), 'sup');
  await kit.runUntilIdle();
  const c = supervisorClient(sup);
  const run = async <T>(p: Promise<T>): Promise<T> => { await kit.runUntilIdle(); return p; };
  const b: ChildSpec = child('b', worker('b', log), { restart: 'transient' });
  const started = await run(c.startChild(b));
  assert.ok(started.ok && started.ref !== undefined);
  const again = await run(c.startChild(b));
  assert.is(again.ok === false && again.error, 'already-started');
  assert.equal(await run(c.restartChild('b')), { ok: false, error: 'running' });
  assert.equal(await run(c.deleteChild('b')), { ok: false, error: 'running' });
  assert.equal(await run(c.terminateChild('b')), { ok: true });
  assert.equal(await run(c.startChild(b)), { ok: false, error: 'already-present' });
  assert.equal((await run(c.whichChildren())).map((e) => [e.id, e.ref === undefined ? 'undefined' : 'ref', e.type, e.restart]), [['a', 'ref', 'worker', 'permanent'], ['b', 'undefined', 'worker', 'transient']]);
  assert.equal(await run(c.countChildren()), { specs: 2, active: 1, supervisors: 0, workers: 2 });
  const back = await run(c.restartChild('b'));
  assert.ok(back.ok && back.ref !== undefined);
  assert.equal(await run(c.terminateChild('b')), { ok: true });
  assert.equal(await run(c.deleteChild('b')), { ok: true });
  assert.equal(await run(c.deleteChild('b')), { ok: false, error: 'not-found' });
  assert.equal(await run(c.restartChild('zz')), { ok: false, error: 'not-found' });
  assert.equal(await run(c.terminateChild('zz')), { ok: false, error: 'not-found' });
  const failed = await run(c.startChild(child('bad', worker('bad', log, { failInit: () => true }))));
  assert.is(failed.ok === false && failed.error, 'start-failed');
  assert.match(String(((failed as { reason: Error }).reason).message), /init bad/);
  const invalid = await run(c.startChild(child('sig', worker('sig', log), { restart: 'transient', significant: true })));
  assert.ok(invalid.ok === false && invalid.error === 'invalid-spec' && isTroupeError(invalid.reason, 'invalid-significant'));
  assert.equal(log, ['start a', 'start b', 'stop b', 'start b', 'stop b']);
});

api('a transient child that stops normally stays in which-children (not running) and can be restarted by id', async () => {
  const kit = createTestSystem();
  const sup = kit.spawn(defineSupervisor({ children: [child('t', worker('t', []), { restart: 'transient' })] }), 'sup');
  await kit.runUntilIdle();
  tell(kit, '/user/sup/t', { type: 'exit' });
  await kit.runUntilIdle();
  const c = supervisorClient(sup);
  const which = c.whichChildren();
  await kit.runUntilIdle();
  assert.equal((await which).map((e) => [e.id, e.ref]), [['t', undefined]]);
  const r = c.restartChild('t');
  await kit.runUntilIdle();
  assert.ok((await r).ok);
  assert.ok(kit.lookup('/user/sup/t'));
});

// ---- 8. significant children ------------------------------------------------------------------

const significant = suite('otp: significant children and auto-shutdown');

significant('any-significant: a significant transient child that exits normally shuts the supervisor down (shutdown); a terminateChild of it does not', async () => {
  const kit = createTestSystem();
  const seen = stops(kit);
  const spec = (): SupervisorSpec => ({ autoShutdown: 'any-significant', children: [child('job', worker('job', []), { restart: 'transient', significant: true }), child('helper', worker('helper', []))] });
  const a = kit.spawn(defineSupervisor(spec()), 'a');
  const b = kit.spawn(defineSupervisor(spec()), 'b');
  await kit.runUntilIdle();
  tell(kit, '/user/a/job', { type: 'exit' });
  const t = supervisorClient(b).terminateChild('job');
  await kit.runUntilIdle();
  await t;
  assert.equal(seen.map((e) => e.type === 'stopped' && `${e.path} ${e.reason}`), ['/user/a/job normal', '/user/b/job shutdown', '/user/a/helper shutdown', '/user/a shutdown']);
  assert.is(a.alive, false);
  assert.is(b.alive, true);
});

significant('any-significant: a temporary significant child that crashes shuts the supervisor down too', async () => {
  const kit = createTestSystem();
  const a = kit.spawn(defineSupervisor({ autoShutdown: 'any-significant', children: [child('job', worker('job', []), { restart: 'temporary', significant: true })] }), 'a');
  await kit.runUntilIdle();
  tell(kit, '/user/a/job', { type: 'crash' });
  await kit.runUntilIdle();
  assert.is(a.alive, false);
});

significant('all-significant: the supervisor shuts down only when the last significant child has exited', async () => {
  const kit = createTestSystem();
  const a = kit.spawn(defineSupervisor({ autoShutdown: 'all-significant', children: ['j1', 'j2'].map((id) => child(id, worker(id, []), { restart: 'transient', significant: true })) }), 'a');
  await kit.runUntilIdle();
  tell(kit, '/user/a/j1', { type: 'exit' });
  await kit.runUntilIdle();
  assert.is(a.alive, true);
  tell(kit, '/user/a/j2', { type: 'exit' });
  await kit.runUntilIdle();
  assert.is(a.alive, false);
});

group.run();
start.run();
reasons.run();
shutdown.run();
backoff.run();
history.run();
api.run();
significant.run();
