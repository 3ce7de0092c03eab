// Specs of withProbes: probes answered through the instance's own mailbox without the user's
// receive, readiness/startup/custom checks with typed results, and the signals it measures.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { askProbe, dependsOn, withProbes, type ProbeRequest } from '../../../actors/probes/index.ts';
import { deliverProbe } from '../../../runtime/internal/probe-lane.ts';
import { plainWorker, probe, probedWorker, workerHooks, type WorkerMsg } from '../../helpers/probed-worker.ts';

const answers = suite('withProbes: answers');

answers('probes are answered without calling the user receive', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  w.tell({ type: 'work' });
  for (const kind of ['liveness', 'readiness', 'startup'] as const) {
    const a = await probe(kit, w, kind);
    assert.is(a.kind, kind);
    assert.is(a.ok, true);
  }
  const handled = await w.ask<number>((replyTo) => ({ type: 'handled', replyTo }));
  assert.is(handled, 1, 'only the work message reached receive');
  await kit.terminate();
});

answers('a probe waits behind the queued messages: a stuck instance does not answer', async () => {
  const kit = createTestSystem();
  const hooks = workerHooks();
  const w = kit.spawn(probedWorker(hooks), 'w');
  w.tell({ type: 'hang' });
  try {
    await probe(kit, w, 'liveness', 500);
    assert.unreachable('a hung instance must not answer');
  } catch (e) {
    assert.ok(isTroupeError(e, 'ask-timeout'), String(e));
  }
  hooks.release();
  assert.is((await probe(kit, w, 'liveness')).ok, true, 'answers again once the handler returns');
  await kit.terminate();
});

answers('readiness is the instance\'s own `ready` answer, from its current state', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks(), {}, false), 'w');
  const notReady = await probe(kit, w, 'readiness');
  assert.equal([notReady.ok, notReady.reason, notReady.checks], [false, 'ready: not ready yet', [{ name: 'ready', ok: false, reason: 'not ready yet' }]]);
  assert.is((await probe(kit, w, 'liveness')).ok, true, 'liveness does not ask ready()');
  w.tell({ type: 'set-ready', ready: true });
  assert.equal((await probe(kit, w, 'readiness')).checks, [{ name: 'ready', ok: true }]);
  await kit.terminate();
});

answers('startup answers `started`; without one an instance is started once it answers', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks(), { started: (s) => s.handled >= 2 }), 'w');
  assert.is((await probe(kit, w, 'startup')).ok, false);
  w.tell({ type: 'work' });
  w.tell({ type: 'work' });
  assert.is((await probe(kit, w, 'startup')).ok, true);
  const plain = kit.spawn(withProbes(plainWorker(workerHooks())), 'plain');
  assert.equal(await probe(kit, plain, 'startup').then((a) => [a.ok, a.checks]), [true, []]);
  await kit.terminate();
});

answers('custom checks: typed results, booleans, throws, rejections, async, per probe kind, with details', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks(), {
    checks: {
      cache: () => ({ ok: true, details: { entries: 3 } }),
      queue: { kind: 'readiness', check: async () => ({ ok: false, reason: 'backlog 900', details: { backlog: 900 } }) },
      disk: { kind: 'liveness', check: () => { throw new Error('EIO'); } },
      clock: { kind: 'liveness', check: () => Promise.reject(new Error('skewed')) },
      flag: { kind: 'startup', check: () => 'yes' as unknown as boolean },
      warm: { kind: 'startup', check: async () => true },
    },
  }), 'w');
  const ready = await probe(kit, w, 'readiness');
  assert.is(ready.ok, false);
  assert.equal(ready.checks, [{ name: 'ready', ok: true }, { name: 'cache', ok: true }, { name: 'queue', ok: false, reason: 'backlog 900' }]);
  assert.is(ready.reason, 'queue: backlog 900');
  assert.equal(ready.details, { cache: { entries: 3 }, queue: { backlog: 900 } });
  const live = await probe(kit, w, 'liveness');
  assert.equal(live.checks, [{ name: 'disk', ok: false, reason: 'threw: EIO' }, { name: 'clock', ok: false, reason: 'rejected: skewed' }]);
  const startup = await probe(kit, w, 'startup');
  assert.equal(startup.checks.map((c) => [c.name, c.ok]), [['flag', false], ['warm', true]]);
  assert.match(startup.checks[0].reason!, 'return a boolean or { ok, reason? }');
  await kit.terminate();
});

answers('a malformed probe request is dropped without disturbing the instance', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const events: string[] = [];
  kit.events$.subscribe((e) => events.push(e.type));
  // as a peer's bytes would decode: into the probe lane, whatever their shape
  const proc = (w as unknown as { proc: Parameters<typeof deliverProbe>[0] }).proc;
  deliverProbe(proc, { type: 'troupe.probe', kind: 'liveness' });
  deliverProbe(proc, { type: 'troupe.probe', kind: 'alive', replyTo: kit.createProbe().ref });
  deliverProbe(proc, { type: 'troupe.probe', kind: 'liveness', replyTo: 'x' });
  deliverProbe(proc, null);
  await kit.runUntilIdle();
  assert.is((await probe(kit, w, 'liveness')).ok, true);
  assert.not.ok(events.includes('failed') || events.includes('restarted'), events.join());
  await kit.terminate();
});

answers('liveness and readiness in one request: one turn answers both, each with its own checks (sync or async)', async () => {
  const kit = createTestSystem();
  let warming = false;
  const w = kit.spawn(probedWorker(workerHooks(), {
    ready: () => (warming ? Promise.resolve({ ok: false, reason: 'warming' }) : true),
    checks: { alive: { kind: 'liveness', check: () => true } },
  }), 'w');
  const a = askProbe(w, 'liveness', { also: 'readiness', signals: false });
  await kit.runUntilIdle();
  assert.equal(await a, { kind: 'liveness', ok: true, checks: [{ name: 'alive', ok: true }], also: { kind: 'readiness', ok: true, checks: [{ name: 'ready', ok: true }] } });
  warming = true;
  const b = askProbe(w, 'liveness', { also: 'readiness' });
  await kit.runUntilIdle();
  const got = await b;
  assert.is(got.ok, true, 'liveness passes');
  assert.ok(got.signals !== undefined, 'the signals ride on the first probe');
  assert.equal(got.also, { kind: 'readiness', ok: false, reason: 'ready: warming', checks: [{ name: 'ready', ok: false, reason: 'warming' }] });
  const lone = askProbe(w, 'readiness', { signals: false });
  await kit.runUntilIdle();
  assert.is((await lone).also, undefined, 'no also unless asked');
  await kit.terminate();
});

answers('a request whose second probe is not a probe kind is dropped unanswered', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const p = kit.createProbe<unknown>();
  const proc = (w as unknown as { proc: Parameters<typeof deliverProbe>[0] }).proc;
  deliverProbe(proc, { type: 'troupe.probe', kind: 'liveness', also: 'alive', replyTo: p.ref });
  await p.expectNoMessage(100);
  assert.is((await probe(kit, w, 'liveness')).ok, true, 'the instance still answers');
  await kit.terminate();
});

answers('the user signal handler still runs', async () => {
  const kit = createTestSystem();
  const seen: string[] = [];
  const def = withProbes(defineActor<'x', undefined>({ init: () => undefined, receive: () => undefined, signal: (_s, sig) => { seen.push(sig.type); } }));
  kit.spawn(def, 'a');
  await kit.runUntilIdle();
  assert.equal(seen, ['started']);
  await kit.terminate();
});

answers('bad options are named in invalid-spec', () => {
  const hooks = workerHooks();
  const cases: [() => unknown, string][] = [
    [() => withProbes({} as never), 'def'],
    [() => withProbes(plainWorker(hooks), null as never), 'options'],
    [() => withProbes(plainWorker(hooks), { signalWindowMs: 10 }), 'signalWindowMs'],
    [() => withProbes(plainWorker(hooks), { ready: true as never }), 'ready'],
    [() => withProbes(plainWorker(hooks), { started: 'yes' as never }), 'started'],
    [() => withProbes(plainWorker(hooks), { checks: { db: {} as never } }), 'checks.db'],
    [() => withProbes(plainWorker(hooks), { checks: { db: { kind: 'alive' as never, check: () => true } } }), 'checks.db.kind'],
    [() => dependsOn(createTestSystem().spawn(withProbes(plainWorker(hooks))), { timeoutMs: 5_000 }), 'timeoutMs'],
  ];
  for (const [make, field] of cases) {
    try { make(); assert.unreachable(field); } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-spec'), `${field}: ${String(e)}`);
      assert.is(e.data.field, field);
    }
  }
});

const deps = suite('withProbes: readiness from a dependency');

deps('dependsOn: ready only while the dependency is ready; says why not', async () => {
  const kit = createTestSystem();
  const hooks = workerHooks();
  const db = kit.spawn(probedWorker(hooks, {}, false), 'db');
  const api = kit.spawn(probedWorker(hooks, { checks: { db: dependsOn(db) } }), 'api');
  const a1 = await probe(kit, api, 'readiness');
  assert.equal(a1.checks[1], { name: 'db', ok: false, reason: '/user/db is not ready: ready: not ready yet' });
  db.tell({ type: 'set-ready', ready: true });
  assert.is((await probe(kit, api, 'readiness')).ok, true);
  db.tell({ type: 'hang' });
  const a3 = await probe(kit, api, 'readiness');
  assert.equal(a3.checks[1], { name: 'db', ok: false, reason: '/user/db: no answer within 500 ms' });
  assert.is((await probe(kit, api, 'liveness')).ok, true, 'a dependency does not make the instance not live');
  hooks.release();
  kit.stop(db as ActorRef<never>);
  await kit.runUntilIdle();
  assert.equal((await probe(kit, api, 'readiness')).checks[1], { name: 'db', ok: false, reason: '/user/db: the instance is not alive' });
  await kit.terminate();
});

const signals = suite('withProbes: measured signals');

signals('processing time of async handlers on the system clock gives the p99', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  await probe(kit, w, 'liveness'); // timing starts at the first answer (the next 64 messages: quiet)
  for (let i = 0; i < 9; i++) w.tell({ type: 'work' });
  w.tell({ type: 'slow', ms: 250 });
  await kit.advance(300);
  const s = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([s.messages, s.latencySamples, s.latencyP99Ms, s.errors, s.windowMs], [10, 10, 250, 0, 30_000]);
  await kit.terminate();
});

signals('errors thrown, sync or async, and restarts are counted across restarts', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  w.tell({ type: 'work' });
  w.tell({ type: 'boom' });
  await kit.runUntilIdle();
  w.tell({ type: 'boom-async' });
  await kit.runUntilIdle();
  const s = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([s.messages, s.errors, s.errorRate, s.restarts], [3, 2, 2 / 3, 2]);
  await kit.terminate();
});

signals('a busy instance times a sample: 64 after its first answer, then 8 after each answer; a quiet one all of them; errors are counted on untimed messages too', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  for (let i = 0; i < 10; i++) w.tell({ type: 'work' });
  await kit.runUntilIdle();
  assert.equal((await probe(kit, w, 'liveness')).signals!.latencySamples, 0, 'nothing is timed before the first answer');
  for (let i = 0; i < 556; i++) w.tell({ type: 'work' }); // at one instant: busy
  w.tell({ type: 'boom' });
  await kit.runUntilIdle();
  w.tell({ type: 'boom-async' });
  await kit.runUntilIdle();
  const s = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([s.messages, s.errors], [10 + 556 + 2, 2], 'the two failing messages (untimed) are counted');
  assert.is(s.latencySamples, 64, 'quiet before its first answer: the next 64 were timed');
  await kit.advance(5_000); // into another bucket of the window (a bucket keeps its newest 64 samples)
  for (let i = 0; i < 100; i++) w.tell({ type: 'work' });
  await kit.runUntilIdle();
  assert.is((await probe(kit, w, 'liveness')).signals!.latencySamples, 64 + 8, 'busy since the last answer: its next 8 were timed');
  await kit.advance(31_000); // the samples leave the window
  await probe(kit, w, 'liveness'); // 100 since the previous answer: 8 more; none come
  await probe(kit, w, 'liveness'); // quiet since: the next 64
  for (let i = 0; i < 20; i++) w.tell({ type: 'slow', ms: 10 + i });
  await kit.advance(1_000);
  const later = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([later.latencySamples, later.latencyP99Ms], [20, 29], 'every message of a quiet instance is timed');
  await kit.terminate();
});

signals('probe answers are neither counted as messages nor timed', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const first = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([first.messages, first.latencySamples], [0, 0]);
  w.tell({ type: 'slow', ms: 40 });
  await kit.advance(100);
  const s = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([s.messages, s.latencySamples, s.latencyP99Ms], [1, 1, 40]);
  await kit.terminate();
});

signals('a request with signals: false gets an answer without them', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const a = askProbe(w, 'readiness', { signals: false });
  await kit.runUntilIdle();
  assert.equal(await a, { kind: 'readiness', ok: true, checks: [{ name: 'ready', ok: true }] });
  await kit.terminate();
});

signals('the mailbox depth is what waits behind the probe', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const answer = probe(kit, w, 'liveness');
  for (let i = 0; i < 5; i++) w.tell({ type: 'work' });
  assert.is((await answer).signals!.mailboxDepth, 5);
  await kit.terminate();
});

signals('the window slides: old signals leave it', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks(), { signalWindowMs: 6_000 }), 'w');
  w.tell({ type: 'boom' });
  await kit.advance(7_000);
  const s = (await probe(kit, w, 'liveness')).signals!;
  assert.equal([s.errors, s.restarts, s.windowMs], [0, 0, 6_000]);
  await kit.terminate();
});

const lane = suite('withProbes: the probe lane');

/** Whether `p` has settled, without awaiting it. */
function watch<T>(p: Promise<T>): { settled: boolean; promise: Promise<T> } {
  const w = { settled: false, promise: p };
  p.then(() => { w.settled = true; }, () => { w.settled = true; });
  return w;
}

lane('a probe waits for the async handler in flight and for the messages queued before it, not for those after', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  w.tell({ type: 'slow', ms: 100 });
  w.tell({ type: 'work' });
  await kit.runUntilIdle();
  const a = watch(askProbe(w, 'liveness', { timeoutMs: 1_000 }));
  w.tell({ type: 'slow', ms: 500 }); // behind the probe
  await kit.advance(90);
  assert.is(a.settled, false, 'the handler in flight has not ended');
  await kit.advance(20);
  assert.is(a.settled, true, 'answered once the slow handler and the queued work are done');
  const s = (await a.promise).signals!;
  assert.equal([s.messages, s.mailboxDepth], [2, 1], 'the two before it handled; the one after it still waits behind it');
  await kit.terminate();
});

lane('a probe waiting when the instance fails is answered by its next incarnation', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  w.tell({ type: 'boom' });
  const a = askProbe(w, 'liveness');
  await kit.runUntilIdle();
  const s = (await a).signals!;
  assert.equal([s.messages, s.errors, s.restarts], [1, 1, 1]);
  await kit.terminate();
});

lane('a probe waiting when the instance stops fails with actor-dead; a probe to a stopped one fails at once', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  w.tell({ type: 'slow', ms: 100 });
  await kit.runUntilIdle();
  const a = watch(askProbe(w, 'liveness', { timeoutMs: 1_000 }));
  kit.stop(w as ActorRef<never>);
  await kit.advance(150);
  assert.is(a.settled, true);
  try { await a.promise; assert.unreachable('answered'); } catch (e) { assert.ok(isTroupeError(e, 'actor-dead'), String(e)); }
  try { await askProbe(w, 'liveness'); assert.unreachable('answered'); } catch (e) { assert.ok(isTroupeError(e, 'actor-dead'), String(e)); }
  await kit.terminate();
});

lane('a stuck instance never answers: the probe times out', async () => {
  const kit = createTestSystem();
  const hooks = workerHooks();
  const w = kit.spawn(probedWorker(hooks), 'w');
  w.tell({ type: 'hang' });
  const a = watch(askProbe(w, 'liveness', { timeoutMs: 500 }));
  await kit.advance(600);
  try { await a.promise; assert.unreachable('answered'); } catch (e) { assert.ok(isTroupeError(e, 'ask-timeout'), String(e)); }
  hooks.release();
  await kit.terminate();
});

lane('messages unstashed while a probe waits go ahead of it', async () => {
  const kit = createTestSystem();
  type Gate = { type: 'job' } | { type: 'open' };
  const gate = defineActor<Gate, { open: boolean; done: number }>({
    init: () => ({ open: false, done: 0 }),
    receive: (s, m, ctx) => {
      if (m.type === 'open') { ctx.unstashAll(); return { ...s, open: true }; }
      if (!s.open) { ctx.stash(m); return s; }
      return { ...s, done: s.done + 1 };
    },
  });
  const g = kit.spawn(withProbes(gate, { ready: (s) => ({ ok: true, details: { done: s.done } }) }), 'gate');
  for (let i = 0; i < 3; i++) g.tell({ type: 'job' });
  await kit.runUntilIdle(); // all three stashed
  g.tell({ type: 'open' });
  const a = askProbe(g, 'readiness'); // behind 'open' — and so behind the jobs it puts back
  await kit.runUntilIdle();
  assert.equal((await a).details, { ready: { done: 3 } });
  await kit.terminate();
});

lane('a probe to a supervisor in the middle of a group restart is answered once the group restart ends', async () => {
  const kit = createTestSystem();
  const hooks = workerHooks();
  const parent = defineActor<'noop', undefined>({
    init: (ctx) => { ctx.spawn(plainWorker(hooks), 'a'); ctx.spawn(plainWorker(hooks), 'b'); return undefined; },
    receive: () => undefined,
    supervision: { strategy: 'one-for-all' },
  });
  const p = kit.spawn(withProbes(parent), 'p');
  await kit.runUntilIdle();
  kit.lookup<WorkerMsg>('/user/p/a')!.tell({ type: 'slow', ms: 100 }); // in flight: the group restart waits for it
  kit.lookup<WorkerMsg>('/user/p/b')!.tell({ type: 'boom' });
  await kit.runUntilIdle();
  const a = watch(askProbe(p, 'liveness', { timeoutMs: 1_000 }));
  await kit.advance(150);
  assert.is(a.settled, true, 'answered when the restart of its children ended, not at the timeout');
  assert.is((await a.promise).ok, true);
  await kit.terminate();
});

lane('an actor defined without withProbes gets the request as an ordinary message', async () => {
  const kit = createTestSystem();
  const own = kit.spawn(defineActor<ProbeRequest, undefined>({ init: () => undefined, receive: (_s, m) => { m.replyTo.tell({ kind: m.kind, ok: true, checks: [{ name: 'own', ok: true }] }); } }), 'own');
  const a = askProbe(own, 'readiness');
  await kit.runUntilIdle();
  assert.equal((await a).checks, [{ name: 'own', ok: true }]);
  await kit.terminate();
});

answers.run();
deps.run();
signals.run();
lane.run();

// keeps the message type honest: a probed worker accepts both its own messages and probes
const _typecheck = (r: ActorRef<WorkerMsg | ProbeRequest>): ActorRef<ProbeRequest> => r;
void _typecheck;
