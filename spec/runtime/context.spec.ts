// Specs of the actor context: watch, timers, stash, lifecycle signals, children, stop and spawn.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type SystemEvent, type TerminationReason } from '../../runtime/index.ts';
import { createTestSystem, type TestProbe, type TestSystem } from '../../runtime/testing.ts';

type Any = ActorRef<never>;
const any = <M>(ref: ActorRef<M>): Any => ref as unknown as Any;

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

function events(kit: TestSystem): SystemEvent[] {
  const out: SystemEvent[] = [];
  kit.events$.subscribe((e) => out.push(e));
  return out;
}

/** A simple worker: `boom` throws, `hang` never finishes, `job` does nothing. */
type WorkMsg = { type: 'job' } | { type: 'boom' } | { type: 'hang' };
const boomError = new Error('boom');
const worker = defineActor<WorkMsg, undefined>({
  name: 'worker',
  init: () => undefined,
  receive: (_s, m) => {
    if (m.type === 'boom') throw boomError;
    if (m.type === 'hang') return new Promise<undefined>(() => {});
  },
});

// ---- watch -----------------------------------------------------------------------------------

type Report = { type: 'terminated'; path: string; reason: TerminationReason } | { type: 'gone'; who: string };
type WatcherMsg = { type: 'watch'; ref: Any; custom?: string } | { type: 'unwatch'; ref: Any } | { type: 'gone'; who: string };
/** Watches on request and reports terminations (signal or custom message) to a probe. */
function watcher(probe: TestProbe<Report>) {
  return defineActor<WatcherMsg, undefined>({
    name: 'watcher',
    init: () => undefined,
    receive: (_s, m, ctx) => {
      switch (m.type) {
        case 'watch': ctx.watch(m.ref, m.custom === undefined ? undefined : { type: 'gone', who: m.custom }); return;
        case 'unwatch': ctx.unwatch(m.ref); return;
        case 'gone': ctx.send(probe.ref, m); return;
      }
    },
    signal: (_s, sig, ctx) => {
      if (sig.type === 'terminated') ctx.send(probe.ref, { type: 'terminated', path: sig.ref.path, reason: sig.reason });
    },
  });
}

/** A parent that spawns the given children in init and stops one on request. */
type ParentMsg = { type: 'stop-child'; name: string } | { type: 'stop'; ref: Any; replyTo: ActorRef<string> };
function parentOf(kids: { name: string; shutdownMs?: number }[], decider?: () => 'stop' | 'restart') {
  return defineActor<ParentMsg, undefined>({
    name: 'parent',
    supervision: decider ? { decider } : undefined,
    init: (ctx) => { for (const k of kids) ctx.spawn(worker, k.name, { shutdown: k.shutdownMs }); return undefined; },
    receive: (_s, m, ctx) => {
      if (m.type === 'stop-child') { ctx.stop(ctx.child(m.name) as Any); return; }
      try { ctx.stop(m.ref); ctx.send(m.replyTo, 'stopped'); } catch (e) { ctx.send(m.replyTo, isTroupeError(e) ? `${e.code}: ${e.message}` : String(e)); }
    },
  });
}

const watch = suite('context: watch');

watch('watch gives a terminated signal with reason shutdown when its supervisor stops it', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  const target = kit.spawn(worker, 'target');
  w.tell({ type: 'watch', ref: any(target) });
  await kit.runUntilIdle();
  kit.stop(any(target));
  const r = await probe.expectMessage();
  assert.equal(r, { type: 'terminated', path: '/user/target', reason: { kind: 'shutdown' } }); // stopped by its supervisor (OTP)
});

watch('watch gives reason failure, with the error, when the supervisor stops a failed child', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  kit.spawn(parentOf([{ name: 'c' }], () => 'stop'), 'p');
  await kit.runUntilIdle();
  const c = kit.lookup<WorkMsg>('/user/p/c')!;
  w.tell({ type: 'watch', ref: any(c) });
  await kit.runUntilIdle();
  c.tell({ type: 'boom' });
  const r = await probe.expectMessage();
  assert.equal(r, { type: 'terminated', path: '/user/p/c', reason: { kind: 'failure', error: boomError } });
  assert.is((r as { reason: { error: unknown } }).reason.error, boomError);
  assert.is(c.alive, false);
});

watch('watch gives reason killed after shutdownMs when a stopping child never finishes its handler', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  const p = kit.spawn(parentOf([{ name: 'c', shutdownMs: 1000 }]), 'p');
  await kit.runUntilIdle();
  const c = kit.lookup<WorkMsg>('/user/p/c')!;
  w.tell({ type: 'watch', ref: any(c) });
  c.tell({ type: 'hang' });
  await kit.runUntilIdle();
  p.tell({ type: 'stop-child', name: 'c' });
  await kit.advance(999);
  assert.equal(probe.pending, []);
  assert.ok(c.alive, 'still alive (stopping) before shutdownMs');
  await kit.advance(1);
  assert.equal(await probe.expectMessage(undefined, 0), { type: 'terminated', path: '/user/p/c', reason: { kind: 'killed' } });
  assert.is(c.alive, false);
  assert.is(kit.now(), 1000);
});

watch('watch(ref, message) delivers that message instead of the signal', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  const target = kit.spawn(worker, 'target');
  w.tell({ type: 'watch', ref: any(target), custom: 'target' });
  await kit.runUntilIdle();
  kit.stop(any(target));
  assert.equal(await probe.expectMessage(), { type: 'gone', who: 'target' });
  await probe.expectNoMessage();
});

watch('unwatch prevents the termination notice', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  const a = kit.spawn(worker, 'a');
  const b = kit.spawn(worker, 'b');
  w.tell({ type: 'watch', ref: any(a) });
  w.tell({ type: 'watch', ref: any(b), custom: 'b' });
  w.tell({ type: 'unwatch', ref: any(a) });
  w.tell({ type: 'unwatch', ref: any(b) });
  await kit.runUntilIdle();
  kit.stop(any(a));
  kit.stop(any(b));
  await probe.expectNoMessage(1000);
  assert.is(a.alive || b.alive, false);
});

watch('watching an actor that is already dead delivers terminated at once, with its reason', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  const target = kit.spawn(worker, 'target');
  kit.spawn(parentOf([{ name: 'c' }], () => 'stop'), 'p');
  await kit.runUntilIdle();
  const c = kit.lookup<WorkMsg>('/user/p/c')!;
  c.tell({ type: 'boom' });
  kit.stop(any(target));
  await kit.runUntilIdle();
  assert.is(target.alive || c.alive, false);
  const t0 = kit.now();
  w.tell({ type: 'watch', ref: any(target) });
  w.tell({ type: 'watch', ref: any(c) });
  w.tell({ type: 'watch', ref: any(target), custom: 'again' });
  await kit.runUntilIdle();
  assert.is(kit.now(), t0);
  assert.equal(probe.pending, [
    { type: 'terminated', path: '/user/target', reason: { kind: 'shutdown' } },
    { type: 'terminated', path: '/user/p/c', reason: { kind: 'failure', error: boomError } },
    { type: 'gone', who: 'again' },
  ]);
});

watch('a late watch of an actor killed with its stuck parent reports killed, as events$ did', async () => {
  const kit = createTestSystem();
  const seen = events(kit);
  const probe = kit.createProbe<Report>();
  const w = kit.spawn(watcher(probe), 'w');
  const leaf = defineActor<never, undefined>({ init: () => undefined, receive: () => undefined });
  const mid = defineActor<WorkMsg, undefined>({ init: (ctx) => { ctx.spawn(leaf, 'leaf'); return undefined; }, receive: () => new Promise<undefined>(() => {}) });
  const top = defineActor<{ type: 'stop-mid' }, undefined>({
    init: (ctx) => { ctx.spawn(mid, 'mid', { shutdown: 100 }); return undefined; },
    receive: (_s, _m, ctx) => { ctx.stop(ctx.child('mid') as Any); },
  });
  const t = kit.spawn(top, 't');
  await kit.runUntilIdle();
  const leafRef = kit.lookup('/user/t/mid/leaf')!;
  kit.lookup<WorkMsg>('/user/t/mid')!.tell({ type: 'hang' });
  await kit.runUntilIdle();
  t.tell({ type: 'stop-mid' });
  await kit.advance(100);
  assert.is(leafRef.alive, false);
  assert.ok(seen.some((e) => e.type === 'stopped' && e.path === '/user/t/mid/leaf' && e.reason === 'killed'));
  w.tell({ type: 'watch', ref: any(leafRef) });
  assert.equal(await probe.expectMessage(), { type: 'terminated', path: '/user/t/mid/leaf', reason: { kind: 'killed' } });
});

watch.run();

// ---- timers ----------------------------------------------------------------------------------

type Fired = { tag: string; at: number } | { key: string; active: boolean } | { error: string };
type TimedMsg =
  | { type: 'single'; key: string; tag: string; delayMs: number }
  | { type: 'periodic'; key: string; tag: string; intervalMs: number }
  | { type: 'cancel'; key: string }
  | { type: 'active?'; key: string }
  | { type: 'fire'; tag: string }
  | { type: 'boom' };
function timed(probe: TestProbe<Fired>) {
  return defineActor<TimedMsg, undefined>({
    name: 'timed',
    init: () => undefined,
    receive: (_s, m, ctx) => {
      try {
        switch (m.type) {
          case 'single': ctx.timers.startSingle(m.key, { type: 'fire', tag: m.tag }, m.delayMs); return;
          case 'periodic': ctx.timers.startPeriodic(m.key, { type: 'fire', tag: m.tag }, m.intervalMs); return;
          case 'cancel': ctx.timers.cancel(m.key); return;
          case 'active?': ctx.send(probe.ref, { key: m.key, active: ctx.timers.isActive(m.key) }); return;
          case 'fire': ctx.send(probe.ref, { tag: m.tag, at: ctx.now() }); return;
          case 'boom': break;
        }
      } catch (e) {
        ctx.send(probe.ref, { error: isTroupeError(e) ? e.code : String(e) });
        return;
      }
      throw new Error('boom');
    },
  });
}

const timers = suite('context: timers');

timers('startSingle fires once, at the right virtual time, and is then inactive', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'single', key: 'k', tag: 'once', delayMs: 100 });
  a.tell({ type: 'active?', key: 'k' });
  assert.equal(await probe.expectMessage(), { key: 'k', active: true });
  await kit.advance(99);
  assert.equal(probe.pending, []);
  await kit.advance(1);
  assert.equal(await probe.expectMessage(undefined, 0), { tag: 'once', at: 100 });
  a.tell({ type: 'active?', key: 'k' });
  assert.equal(await probe.expectMessage(undefined, 0), { key: 'k', active: false });
  await probe.expectNoMessage(10_000);
});

timers('startPeriodic fires every interval until cancelled', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'periodic', key: 'p', tag: 'tick', intervalMs: 50 });
  await kit.advance(210);
  assert.equal(await probe.receiveMessages(4, 0), [50, 100, 150, 200].map((at) => ({ tag: 'tick', at })));
  a.tell({ type: 'active?', key: 'p' });
  assert.equal(await probe.expectMessage(undefined, 0), { key: 'p', active: true });
  a.tell({ type: 'cancel', key: 'p' });
  a.tell({ type: 'active?', key: 'p' });
  assert.equal(await probe.expectMessage(undefined, 0), { key: 'p', active: false });
  await probe.expectNoMessage(1000);
});

timers('cancel stops a pending single timer; cancelling an unknown key is harmless', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'single', key: 'k', tag: 'never', delayMs: 100 });
  a.tell({ type: 'single', key: 'other', tag: 'other', delayMs: 200 });
  a.tell({ type: 'cancel', key: 'k' });
  a.tell({ type: 'cancel', key: 'nope' });
  await kit.advance(1000);
  assert.equal(probe.pending, [{ tag: 'other', at: 200 }]);
});

timers('starting an active key replaces the timer', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'single', key: 'k', tag: 'first', delayMs: 100 });
  a.tell({ type: 'single', key: 'k', tag: 'second', delayMs: 30 });
  a.tell({ type: 'periodic', key: 'p', tag: 'periodic', intervalMs: 10 });
  a.tell({ type: 'single', key: 'p', tag: 'replaced-periodic', delayMs: 45 });
  await kit.advance(1000);
  assert.equal(probe.pending, [{ tag: 'second', at: 30 }, { tag: 'replaced-periodic', at: 45 }]);
});

timers('a timer delay that is negative or not finite is refused with invalid-argument', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'single', key: 'k', tag: 'x', delayMs: -1 });
  a.tell({ type: 'single', key: 'k', tag: 'x', delayMs: Number.NaN });
  a.tell({ type: 'periodic', key: 'p', tag: 'x', intervalMs: 0 });
  assert.equal(await probe.receiveMessages(3), [{ error: 'invalid-argument' }, { error: 'invalid-argument' }, { error: 'invalid-argument' }]);
});

timers('timers are cancelled when the actor restarts', async () => {
  const kit = createTestSystem();
  const seen = events(kit);
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'single', key: 'k', tag: 'single', delayMs: 100 });
  a.tell({ type: 'periodic', key: 'p', tag: 'periodic', intervalMs: 40 });
  a.tell({ type: 'boom' });
  a.tell({ type: 'active?', key: 'k' });
  a.tell({ type: 'active?', key: 'p' });
  assert.equal(await probe.receiveMessages(2), [{ key: 'k', active: false }, { key: 'p', active: false }]);
  assert.ok(seen.some((e) => e.type === 'restarted' && e.path === '/user/a'));
  await probe.expectNoMessage(1000);
});

timers('timers are cancelled when the actor stops (nothing fires into dead letters)', async () => {
  const kit = createTestSystem();
  const seen = events(kit);
  const probe = kit.createProbe<Fired>();
  const a = kit.spawn(timed(probe), 'a');
  a.tell({ type: 'single', key: 'k', tag: 'single', delayMs: 100 });
  a.tell({ type: 'periodic', key: 'p', tag: 'periodic', intervalMs: 40 });
  await kit.runUntilIdle();
  kit.stop(any(a));
  await kit.advance(1000);
  assert.is(a.alive, false);
  assert.equal(seen.filter((e) => e.type === 'dead-letter'), []);
  assert.equal(probe.pending, []);
});

timers.run();

// ---- stash -----------------------------------------------------------------------------------

type GateMsg = { type: 'job'; n: number } | { type: 'open' };
function gate(log: number[], stashCapacity?: number) {
  return defineActor<GateMsg, { open: boolean }>({
    name: 'gate',
    stashCapacity,
    init: () => ({ open: false }),
    receive: (s, m, ctx) => {
      if (m.type === 'open') { ctx.unstashAll(); return { open: true }; }
      if (!s.open) { ctx.stash(m); return s; }
      log.push(m.n);
      return s;
    },
  });
}

const stash = suite('context: stash');

stash('unstashAll puts stashed messages back in order, in front of newer ones', async () => {
  const kit = createTestSystem();
  const log: number[] = [];
  const g = kit.spawn(gate(log), 'g');
  g.tell({ type: 'job', n: 1 });
  g.tell({ type: 'job', n: 2 });
  g.tell({ type: 'job', n: 3 });
  g.tell({ type: 'open' });
  g.tell({ type: 'job', n: 4 });
  g.tell({ type: 'job', n: 5 });
  await kit.runUntilIdle();
  assert.equal(log, [1, 2, 3, 4, 5]);
});

stash('stashSize counts what is set aside; unstashAll with an empty stash is harmless', async () => {
  const kit = createTestSystem();
  const sizes: number[] = [];
  type M = { type: 'keep' } | { type: 'release' } | { type: 'size' };
  const a = kit.spawn(defineActor<M, undefined>({
    init: () => undefined,
    receive: (_s, m, ctx) => {
      if (m.type === 'keep') ctx.stash(m);
      else if (m.type === 'release') ctx.unstashAll();
      else sizes.push(ctx.stashSize);
    },
  }), 'a');
  a.tell({ type: 'release' });
  a.tell({ type: 'size' });
  a.tell({ type: 'keep' });
  a.tell({ type: 'keep' });
  a.tell({ type: 'size' });
  await kit.runUntilIdle();
  assert.equal(sizes, [0, 2]);
});

stash('stashing over stashCapacity fails the actor with stash-full', async () => {
  const kit = createTestSystem();
  const seen = events(kit);
  const g = kit.spawn(gate([], 2), 'g');
  g.tell({ type: 'job', n: 1 });
  g.tell({ type: 'job', n: 2 });
  g.tell({ type: 'job', n: 3 });
  await kit.runUntilIdle();
  const failed = seen.filter((e): e is Extract<SystemEvent, { type: 'failed' }> => e.type === 'failed');
  assert.is(failed.length, 1);
  assert.is(failed[0].path, '/user/g');
  assert.ok(isTroupeError(failed[0].error, 'stash-full'), `expected stash-full, got ${String(failed[0].error)}`);
  assert.match((failed[0].error as Error).message, /stashCapacity/);
});

stash('stashed messages go to dead letters with reason stash-dropped when the actor stops', async () => {
  const kit = createTestSystem();
  const seen = events(kit);
  const g = kit.spawn(gate([]), 'g');
  g.tell({ type: 'job', n: 1 });
  g.tell({ type: 'job', n: 2 });
  await kit.runUntilIdle();
  kit.stop(any(g));
  await kit.runUntilIdle();
  const dead = seen.filter((e): e is Extract<SystemEvent, { type: 'dead-letter' }> => e.type === 'dead-letter');
  assert.equal(dead.map((d) => [d.reason, (d.message as { n: number }).n]), [['stash-dropped', 1], ['stash-dropped', 2]]);
});

stash.run();

// ---- lifecycle signals -----------------------------------------------------------------------

const lifecycle = suite('context: lifecycle signals');

lifecycle('started, then on failure pre-restart to the old instance and restarted with the cause to the new one', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  let causes: unknown[] = [];
  let generation = 0;
  type M = { type: 'boom' } | { type: 'who' };
  const a = kit.spawn(defineActor<M, { gen: number }>({
    init: () => { generation++; log.push(`init ${generation}`); return { gen: generation }; },
    receive: (s, m) => {
      if (m.type === 'boom') throw boomError;
      log.push(`who ${s.gen}`);
    },
    signal: (s, sig) => {
      log.push(`${sig.type} ${s.gen}`);
      if (sig.type === 'pre-restart' || sig.type === 'restarted') causes = [...causes, sig.cause];
    },
  }), 'a');
  a.tell({ type: 'who' });
  a.tell({ type: 'boom' });
  a.tell({ type: 'who' });
  await kit.runUntilIdle();
  assert.equal(log, ['init 1', 'started 1', 'who 1', 'pre-restart 1', 'init 2', 'restarted 2', 'who 2']);
  assert.is(causes.length, 2);
  assert.ok(causes.every((c) => c === boomError));
});

lifecycle('on stop: stopping, then the children stop (newest first), then stopped', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  const node = (kids: string[]) => defineActor<never, undefined>({
    init: (ctx) => { for (const k of kids) ctx.spawn(node([]), k); return undefined; },
    receive: () => undefined,
    signal: (_s, sig, ctx) => { if (sig.type === 'stopping' || sig.type === 'stopped') log.push(`${sig.type} ${ctx.path}`); },
  });
  const p = kit.spawn(node(['c1', 'c2']), 'p');
  await kit.runUntilIdle();
  kit.stop(any(p));
  await kit.runUntilIdle();
  assert.equal(log, [
    'stopping /user/p',
    'stopping /user/p/c2', 'stopped /user/p/c2',
    'stopping /user/p/c1', 'stopped /user/p/c1',
    'stopped /user/p',
  ]);
});

lifecycle('a restart stops the children of the old instance before the new one starts', async () => {
  const kit = createTestSystem();
  const log: string[] = [];
  type M = { type: 'boom' };
  const leaf = defineActor<never, undefined>({
    init: (ctx) => { log.push(`init ${ctx.path}`); return undefined; },
    receive: () => undefined,
    signal: (_s, sig, ctx) => { if (sig.type === 'stopped') log.push(`stopped ${ctx.path}`); },
  });
  const p = kit.spawn(defineActor<M, undefined>({
    init: (ctx) => { log.push('init p'); ctx.spawn(leaf, 'c'); return undefined; },
    receive: () => { throw boomError; },
    signal: (_s, sig) => { if (sig.type === 'pre-restart' || sig.type === 'restarted') log.push(sig.type); },
  }), 'p');
  await kit.runUntilIdle();
  p.tell({ type: 'boom' });
  await kit.runUntilIdle();
  assert.equal(log, ['init p', 'init /user/p/c', 'pre-restart', 'stopped /user/p/c', 'init p', 'init /user/p/c', 'restarted']);
});

lifecycle('a sibling restarted (one-for-all) while its async handler is in flight keeps its new state', async () => {
  const kit = createTestSystem();
  let generation = 0;
  const gateOpen = deferred();
  type A = { type: 'slow' } | { type: 'get'; replyTo: ActorRef<string> };
  const slow = defineActor<A, { gen: number; v: string }>({
    init: () => ({ gen: ++generation, v: 'fresh' }),
    receive: async (s, m, ctx) => {
      if (m.type === 'get') { ctx.send(m.replyTo, `gen ${s.gen} ${s.v}`); return; }
      await gateOpen.promise;
      return { gen: s.gen, v: 'written by the old instance' };
    },
  });
  kit.spawn(defineActor<never, undefined>({
    supervision: { strategy: 'one-for-all' },
    init: (ctx) => { ctx.spawn(slow, 'a'); ctx.spawn(worker, 'b'); return undefined; },
    receive: () => undefined,
  }), 'sup');
  await kit.runUntilIdle();
  const a = kit.lookup<A>('/user/sup/a')!;
  a.tell({ type: 'slow' });
  await kit.runUntilIdle();
  kit.lookup<WorkMsg>('/user/sup/b')!.tell({ type: 'boom' });
  await kit.runUntilIdle();
  gateOpen.resolve();
  await kit.runUntilIdle();
  const probe = kit.createProbe<string>();
  a.tell({ type: 'get', replyTo: probe.ref });
  assert.is(await probe.expectMessage(), 'gen 2 fresh');
});

lifecycle.run();

// ---- children, stop and spawn ------------------------------------------------------------------

type FamilyMsg =
  | { type: 'list'; replyTo: ActorRef<string[]> }
  | { type: 'child'; name: string; replyTo: ActorRef<string> }
  | { type: 'stop-child'; name: string }
  | { type: 'respawn'; name: string; replyTo: ActorRef<string> };
const family = defineActor<FamilyMsg, undefined>({
  name: 'family',
  init: (ctx) => { ctx.spawn(worker, 'a'); ctx.spawn(worker, 'b'); ctx.spawn(worker); return undefined; },
  receive: (_s, m, ctx) => {
    switch (m.type) {
      case 'list': ctx.send(m.replyTo, ctx.children().map((c) => c.path)); return;
      case 'child': ctx.send(m.replyTo, ctx.child(m.name)?.path ?? 'none'); return;
      case 'stop-child': ctx.stop(ctx.child(m.name) as Any); return;
      case 'respawn':
        try { ctx.spawn(worker, m.name); ctx.send(m.replyTo, 'spawned'); } catch (e) { ctx.send(m.replyTo, isTroupeError(e) ? e.code : String(e)); }
        return;
    }
  },
});

const children = suite('context: children');

children('children() lists the live children in spawn order and child(name) finds one', async () => {
  const kit = createTestSystem();
  const f = kit.spawn(family, 'f');
  const names = kit.createProbe<string[]>();
  const one = kit.createProbe<string>();
  f.tell({ type: 'list', replyTo: names.ref });
  assert.equal(await names.expectMessage(), ['/user/f/a', '/user/f/b', '/user/f/$1']);
  f.tell({ type: 'child', name: 'b', replyTo: one.ref });
  f.tell({ type: 'child', name: 'zzz', replyTo: one.ref });
  assert.equal(await one.receiveMessages(2), ['/user/f/b', 'none']);
  assert.ok(kit.lookup('/user/f/b')?.alive);
});

children('ctx.stop(child) stops it; it leaves children() and its name can be used again', async () => {
  const kit = createTestSystem();
  const f = kit.spawn(family, 'f');
  await kit.runUntilIdle();
  const a = kit.lookup<WorkMsg>('/user/f/a')!;
  const probe = kit.createProbe<Report>();
  kit.spawn(watcher(probe), 'w').tell({ type: 'watch', ref: any(a) });
  await kit.runUntilIdle();
  f.tell({ type: 'stop-child', name: 'a' });
  assert.equal(await probe.expectMessage(), { type: 'terminated', path: '/user/f/a', reason: { kind: 'shutdown' } });
  const names = kit.createProbe<string[]>();
  f.tell({ type: 'list', replyTo: names.ref });
  assert.equal(await names.expectMessage(), ['/user/f/b', '/user/f/$1']);
  const answer = kit.createProbe<string>();
  f.tell({ type: 'respawn', name: 'a', replyTo: answer.ref });
  f.tell({ type: 'respawn', name: 'b', replyTo: answer.ref });
  assert.equal(await answer.receiveMessages(2), ['spawned', 'duplicate-name']);
  const again = kit.lookup('/user/f/a')!;
  assert.ok(again.alive);
  assert.not.ok(again.equals(any(a)), 'a new incarnation');
});

children('ctx.stop on an actor that is not its child throws invalid-argument', async () => {
  const kit = createTestSystem();
  const p = kit.spawn(parentOf([{ name: 'c' }]), 'p');
  const sibling = kit.spawn(worker, 'sibling');
  await kit.runUntilIdle();
  const c = kit.lookup<WorkMsg>('/user/p/c')!;
  const grandparent = kit.spawn(parentOf([]), 'gp');
  const answers = kit.createProbe<string>();
  p.tell({ type: 'stop', ref: any(sibling), replyTo: answers.ref });
  p.tell({ type: 'stop', ref: any(grandparent), replyTo: answers.ref });
  grandparent.tell({ type: 'stop', ref: any(c), replyTo: answers.ref });
  const replies = await answers.receiveMessages(3);
  for (const r of replies) assert.match(r, /^invalid-argument: .*can stop only itself or its own children/);
  assert.ok(sibling.alive && grandparent.alive && c.alive);
  // the system can stop only top-level actors, likewise
  let error: unknown;
  try { kit.stop(any(c)); } catch (e) { error = e; }
  assert.ok(isTroupeError(error, 'invalid-argument'), `expected invalid-argument, got ${String(error)}`);
});

children('ctx.stop(ctx.self) stops the actor itself', async () => {
  const kit = createTestSystem();
  const a = kit.spawn(defineActor<{ type: 'quit' }, undefined>({ init: () => undefined, receive: (_s, _m, ctx) => { ctx.stop(any(ctx.self)); } }), 'a');
  const probe = kit.createProbe();
  a.tell({ type: 'quit' });
  assert.equal((await probe.expectTerminated(any(a))).reason, { kind: 'normal' });
});

const invalidDefinitions: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['an empty object', {}],
  ['a spec that did not go through defineActor', { init: () => undefined, receive: () => undefined }],
  ['a string', 'worker'],
];
for (const [name, def] of invalidDefinitions) {
  children(`spawning ${name} throws invalid-child, from the system and from a context`, async () => {
    const kit = createTestSystem();
    let error: unknown;
    try { kit.spawn(def as typeof worker, 'x'); } catch (e) { error = e; }
    assert.ok(isTroupeError(error, 'invalid-child'), `system.spawn: expected invalid-child, got ${String(error)}`);
    assert.match((error as Error).message, /defineActor/);
    const answer = kit.createProbe<string>();
    kit.spawn(defineActor<{ type: 'go' }, undefined>({
      init: () => undefined,
      receive: (_s, _m, ctx) => {
        try { ctx.spawn(def as typeof worker, 'x'); ctx.send(answer.ref, 'spawned'); } catch (e) { ctx.send(answer.ref, isTroupeError(e) ? e.code : String(e)); }
      },
    }), 'spawner').tell({ type: 'go' });
    assert.is(await answer.expectMessage(), 'invalid-child');
    assert.is(kit.lookup('/user/x'), undefined);
  });
}

const invalidOptions: [string, object, string][] = [
  ['a negative shutdown', { shutdown: -1 }, 'invalid-shutdown'],
  ['a zero shutdown (brutal-kill says it)', { shutdown: 0 }, 'invalid-shutdown'],
  ['an unknown restart type', { restart: 'sometimes' }, 'invalid-restart-type'],
  ['a significant child under a supervisor without autoShutdown', { significant: true, restart: 'transient' }, 'invalid-significant'],
  ['a mailbox with capacity 0', { mailbox: { kind: 'bounded', capacity: 0 } }, 'invalid-spec'],
];
for (const [name, options, code] of invalidOptions) {
  children(`spawning with ${name} throws ${code}`, () => {
    const kit = createTestSystem();
    let error: unknown;
    try { kit.spawn(worker, 'x', options); } catch (e) { error = e; }
    assert.ok(isTroupeError(error, code as never), `expected ${code}, got ${String(error)}`);
    assert.is(kit.lookup('/user/x'), undefined);
  });
}

children('messages sent to an actor while it is stopping go to dead letters with reason actor-stopped', async () => {
  const kit = createTestSystem();
  const seen = events(kit);
  const gateOpen = deferred();
  const handled: number[] = [];
  type M = { type: 'slow' } | { type: 'job'; n: number };
  const a = kit.spawn(defineActor<M, undefined>({
    init: () => undefined,
    receive: async (_s, m) => {
      if (m.type === 'slow') await gateOpen.promise;
      else handled.push(m.n);
    },
  }), 'a');
  a.tell({ type: 'slow' });
  await kit.runUntilIdle();
  kit.stop(any(a));
  await kit.runUntilIdle();
  assert.is(kit.inspect().children[0].status, 'stopping');
  assert.ok(a.alive);
  a.tell({ type: 'job', n: 1 });
  const dead = seen.filter((e): e is Extract<SystemEvent, { type: 'dead-letter' }> => e.type === 'dead-letter');
  assert.equal(dead.map((d) => [d.reason, d.recipient, d.messageType]), [['actor-stopped', '/user/a', 'job']]);
  gateOpen.resolve();
  await kit.runUntilIdle();
  assert.is(a.alive, false);
  assert.equal(handled, []);
});

children.run();
