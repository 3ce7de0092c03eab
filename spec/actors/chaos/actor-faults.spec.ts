// Specs for actor faults on virtual time, through refs: slow, hang (a handler that does not
// return), a failing fraction of messages, crash, mailbox flood — each undone by id, the actor's
// own behavior untouched afterwards — and refs that are not live local actors refused.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { crashActor, floodMailbox, removeActorFault, setActorFault, type ActorFault } from '../../../actors/chaos/actor-faults.ts';
import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor } from '../../../runtime/behavior.ts';
import { isTroupeError, type TroupeError } from '../../../runtime/errors.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { createTestSystem, type TestSystem } from '../../../runtime/testing/test-system.ts';

type Msg = { type: 'add'; n: number; replyTo?: ActorRef<number> } | { type: 'get'; replyTo: ActorRef<number> };

/** A counter that answers its total; `seen` records every message its behavior handled. */
function counter(kit: TestSystem, mailbox?: { kind: 'bounded'; capacity: number }) {
  const seen: string[] = [];
  const ref = kit.spawn(defineActor<Msg, number>({
    init: () => 0,
    receive: (total, m) => {
      seen.push(m.type === 'add' ? `add ${m.n}` : 'get');
      if (m.type === 'get') { m.replyTo.tell(total); return total; }
      m.replyTo?.tell(total + m.n);
      return total + m.n;
    },
    ...(mailbox ? { mailbox } : {}),
  }), 'counter');
  return { ref, seen };
}

const ask = (ref: ActorRef<Msg>, m: (r: ActorRef<number>) => Msg, timeoutMs = 1_000) => ref.ask<number>(m, { timeoutMs });

test('slow: every message waits delayMs of virtual time before its handler; removing it restores speed', async () => {
  const kit = createTestSystem({ seed: 1 });
  const { ref } = counter(kit);
  setActorFault(ref as ActorRef<never>, 'slow', { kind: 'slow', delayMs: 400 });
  const t0 = kit.now();
  let at: number | undefined;
  const p = ask(ref, (r) => ({ type: 'add', n: 1, replyTo: r })).then((v) => { at = kit.now(); return v; });
  await kit.advance(399);
  assert.is(at, undefined, 'not answered before its delay');
  await kit.advance(1);
  assert.is(await p, 1);
  assert.is(at! - t0, 400);
  assert.ok(removeActorFault(ref as ActorRef<never>, 'slow'));
  const q = ask(ref, (r) => ({ type: 'get', replyTo: r }));
  await kit.runUntilIdle();
  assert.is(await q, 1, 'answered without advancing time');
  await kit.terminate();
});

test('hang: the handler does not return; messages queue, asks time out, stop still works; release runs them in order', async () => {
  const kit = createTestSystem({ seed: 1 });
  const { ref, seen } = counter(kit);
  setActorFault(ref as ActorRef<never>, 'stuck', { kind: 'hang' });
  for (let i = 1; i <= 3; i++) ref.tell({ type: 'add', n: i });
  const timedOut = ask(ref, (r) => ({ type: 'get', replyTo: r }), 500).then(() => 'answered', (e: unknown) => (isTroupeError(e, 'ask-timeout') ? 'timeout' : String(e)));
  await kit.advance(600);
  assert.is(await timedOut, 'timeout');
  assert.equal(seen, [], 'nothing handled while hung');
  assert.ok(removeActorFault(ref as ActorRef<never>, 'stuck'));
  await kit.runUntilIdle();
  assert.equal(seen, ['add 1', 'add 2', 'add 3', 'get'], 'the queued messages run in order once released');

  setActorFault(ref as ActorRef<never>, 'stuck-again', { kind: 'hang' });
  ref.tell({ type: 'add', n: 10 });
  await kit.runUntilIdle();
  kit.stop(ref as ActorRef<never>);
  await kit.advance(10_000); // its shutdown timeout: a hung handler is given up on
  assert.is(ref.alive, false, 'a hung actor can still be stopped');
  await kit.terminate();
});

test('fail: a seeded fraction of messages fail the actor with injected-fault; its supervisor restarts it; same seed, same messages', async () => {
  const run = async (seed: number) => {
    const kit = createTestSystem({ seed: 1, guardian: { intensity: { maxRestarts: 1_000, withinMs: 1_000 } } });
    const failures: string[] = [];
    kit.events$.subscribe((e) => { if (e.type === 'failed' && isTroupeError(e.error, 'injected-fault')) failures.push(e.path); });
    const { ref, seen } = counter(kit);
    setActorFault(ref as ActorRef<never>, 'flaky', { kind: 'fail', fraction: 0.2 }, { random: createSeededRandom(seed) });
    for (let i = 0; i < 100; i++) { ref.tell({ type: 'add', n: i }); await kit.runUntilIdle(); }
    await kit.terminate();
    return { failures: failures.length, seen };
  };
  const a = await run(9);
  assert.ok(a.failures > 8 && a.failures < 35, `about 20 % failed: ${a.failures}`);
  assert.is(a.seen.length, 100 - a.failures, 'a failed message never reached the behavior');
  assert.equal(await run(9), a, 'same seed, same failures');
});

test('crash: the actor fails at once and restarts with fresh state; later messages are handled normally', async () => {
  const kit = createTestSystem({ seed: 1 });
  const restarts: unknown[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'restarted') restarts.push(e.cause); });
  const { ref } = counter(kit);
  ref.tell({ type: 'add', n: 5 });
  await kit.runUntilIdle();
  crashActor(ref as ActorRef<never>, 'boom');
  await kit.runUntilIdle();
  assert.is(restarts.length, 1);
  assert.ok(isTroupeError(restarts[0], 'injected-fault'));
  assert.is((restarts[0] as TroupeError).data.fault, 'boom');
  const total = ask(ref, (r) => ({ type: 'get', replyTo: r }));
  await kit.runUntilIdle();
  assert.is(await total, 0, 'restarted with its initial state');
  await kit.terminate();
});

test('flood: fillers take a bounded mailbox, real messages are rejected until they drain; the behavior never sees them', async () => {
  const kit = createTestSystem({ seed: 1 });
  const dead: string[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(`${e.reason} ${e.messageType}`); });
  const { ref, seen } = counter(kit, { kind: 'bounded', capacity: 10 });
  assert.equal(floodMailbox(ref as ActorRef<never>, 25), { accepted: 10, rejected: 15 });
  ref.tell({ type: 'add', n: 1 });
  assert.ok(dead.includes('mailbox-full add'), `the real message was rejected: ${dead.join(', ')}`);
  await kit.runUntilIdle();
  ref.tell({ type: 'add', n: 2 });
  await kit.runUntilIdle();
  assert.equal(seen, ['add 2'], 'fillers were swallowed; the next real message went through');
  await kit.terminate();
});

test('refs that are not live local actors, and bad faults, are refused with invalid-argument', async () => {
  const kit = createTestSystem({ seed: 1 });
  const { ref } = counter(kit);
  const refused = (f: () => unknown, field?: string): void => {
    try {
      f();
      assert.unreachable('accepted');
    } catch (e) {
      assert.ok(isTroupeError(e, 'invalid-argument'), String(e));
      if (field) assert.is((e as TroupeError).data.field, field);
    }
  };
  refused(() => setActorFault(ref as ActorRef<never>, 'x', { kind: 'slow', delayMs: 0 }), 'delayMs');
  refused(() => setActorFault(ref as ActorRef<never>, 'x', { kind: 'fail', fraction: 2 }), 'fraction');
  refused(() => setActorFault(ref as ActorRef<never>, 'x', { kind: 'melt' } as unknown as ActorFault), 'kind');
  refused(() => floodMailbox(ref as ActorRef<never>, 0), 'messages');
  kit.stop(ref as ActorRef<never>);
  await kit.runUntilIdle();
  refused(() => crashActor(ref as ActorRef<never>));
  refused(() => setActorFault(ref as ActorRef<never>, 'x', { kind: 'hang' }));
  assert.is(removeActorFault(ref as ActorRef<never>, 'x'), false);
  await kit.terminate();
});

test.run();
