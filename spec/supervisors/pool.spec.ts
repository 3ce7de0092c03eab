// Pools (OTP's simple-one-for-one): one template, children started with arguments and identified
// by ref, restarted one-for-one by their restart type, and stopped together with a shared deadline.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, definePool, isTroupeError, poolClient, type ActorRef } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

type JobMsg = { type: 'get'; replyTo: ActorRef<string> } | { type: 'hang' } | { type: 'crash' } | { type: 'done' };

const log: string[] = [];
const job = (name: string) => defineActor<JobMsg, string>({
  init: () => { if (name === 'bad') throw new Error('bad args'); return name; },
  receive: (s, m, ctx) => {
    switch (m.type) {
      case 'get': ctx.send(m.replyTo, s); return s;
      case 'hang': return new Promise<string>(() => {});
      case 'crash': throw new Error('crash');
      case 'done': ctx.stop(ctx.self as ActorRef<never>); return s;
    }
  },
  signal: (s, sig) => { if (sig.type === 'stopping' || sig.type === 'stopped') log.push(`${sig.type} ${s}`); return s; },
});

const test = suite('pools');

test('children start with their arguments, are listed and counted, and terminate by ref', async () => {
  const kit = createTestSystem();
  const pool = poolClient(kit.spawn(definePool({ child: job }), 'jobs'));
  const run = async <T>(p: Promise<T>): Promise<T> => { await kit.runUntilIdle(); return p; };
  const a = await run(pool.startChild('a'));
  const b = await run(pool.startChild('b'));
  assert.ok(a.ok && b.ok && a.ref && b.ref);
  const name = a.ref!.ask<string>((replyTo) => ({ type: 'get', replyTo }));
  assert.is(await run(name), 'a');
  assert.equal(await run(pool.countChildren()), { specs: 2, active: 2, supervisors: 0, workers: 2 });
  assert.equal((await run(pool.whichChildren())).map((e) => e.ref), [a.ref, b.ref]);
  assert.equal(await run(pool.terminateChild(a.ref!)), { ok: true });
  assert.equal((await run(pool.whichChildren())).map((e) => e.ref), [b.ref], 'a pool forgets a terminated child');
  assert.equal(await run(pool.terminateChild(a.ref!)), { ok: false, error: 'not-found' });
  const bad = await run(pool.startChild('bad'));
  assert.ok(!bad.ok && bad.error === 'start-failed' && /bad args/.test((bad.reason as Error).message));
  assert.equal(await run(pool.countChildren()), { specs: 1, active: 1, supervisors: 0, workers: 1 });
});

test('a crashed child is restarted in place by its restart type (permanent by default); a transient one that finishes is forgotten', async () => {
  const kit = createTestSystem();
  const perm = poolClient(kit.spawn(definePool({ child: job }), 'perm'));
  const trans = poolClient(kit.spawn(definePool({ child: job, options: { restart: 'transient' } }), 'trans'));
  const run = async <T>(p: Promise<T>): Promise<T> => { await kit.runUntilIdle(); return p; };
  const p = await run(perm.startChild('p'));
  const t = await run(trans.startChild('t'));
  p.ok && p.ref!.tell({ type: 'crash' });
  t.ok && t.ref!.tell({ type: 'done' });
  await kit.runUntilIdle();
  assert.equal((await run(perm.whichChildren())).length, 1);
  assert.ok(p.ok && p.ref!.alive, 'restarted in place: the same ref');
  assert.equal((await run(trans.countChildren())).specs, 0);
});

test('at shutdown every child is asked to stop at once and shares one deadline (parallel, not one after another)', async () => {
  const kit = createTestSystem();
  const ref = kit.spawn(definePool({ child: job, options: { shutdown: 1_000 } }), 'jobs');
  const pool = poolClient(ref);
  for (const n of ['x', 'y', 'z']) { const r = pool.startChild(n); await kit.runUntilIdle(); const s = await r; if (s.ok) s.ref!.tell({ type: 'hang' }); }
  await kit.runUntilIdle();
  log.length = 0;
  const t0 = kit.now();
  kit.stop(ref as ActorRef<never>);
  await kit.runUntilIdle();
  assert.equal(log.sort(), ['stopping x', 'stopping y', 'stopping z'], 'all three asked at once');
  await kit.advance(1_000);
  assert.is(ref.alive, false);
  assert.is(kit.now() - t0, 1_000, 'one shared deadline: 1 000 ms for all three, not 3 000');
});

test('a bad pool spec is refused with a typed error', () => {
  try { definePool({ child: 'x' as never }); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-child')); }
  try { definePool({ child: job, options: { shutdown: -1 } }); assert.unreachable(); } catch (e) { assert.ok(isTroupeError(e, 'invalid-shutdown')); }
});

test.run();
