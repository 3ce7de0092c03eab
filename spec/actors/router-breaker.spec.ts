// Per-routee circuit breakers in a router, on virtual time: a routee that stops answering is
// routed around after N timeouts, gets one trial after the cool-down, and comes back when it
// answers; the ejection cap; circuit-open only when no other routee can take the ask.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type ActorSystem, type TroupeError } from '../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../runtime/testing/test-system.ts';
import { createReceptionist, defineServiceKey } from '../../actors/receptionist.ts';
import { createRouter, type Router } from '../../actors/router.ts';

type Job = { type: 'job'; replyTo: ActorRef<string> } | { type: 'mute'; on: boolean };
const Jobs = defineServiceKey<Job>('jobs');

/** Workers answer their name, unless muted (then they take the job and never answer). */
function spawnWorkers(system: ActorSystem, names: readonly string[], got: string[]): ActorRef<Job>[] {
  return names.map((name) => system.spawn(defineActor<Job, { muted: boolean }>({
    init: () => ({ muted: false }),
    receive: (s, m) => {
      if (m.type === 'mute') return { muted: m.on };
      got.push(name);
      if (!s.muted) m.replyTo.tell(name);
      return s;
    },
  }), name));
}

/** One ask at a time, on virtual time: its answer, or the error's code. */
async function ask(kit: TestSystem, router: Router<Job>, timeoutMs = 100): Promise<string> {
  let out: string | undefined;
  router.ask<string>((replyTo) => ({ type: 'job', replyTo }), { timeoutMs }).then((v) => { out = v; }, (e) => { out = `error:${(e as { code?: string }).code}`; });
  await kit.runUntil(() => out !== undefined, timeoutMs + 1_000);
  return out!;
}

function setup(names = ['w1', 'w2', 'w3'], breaker = { failures: 3, openMs: 1_000 }) {
  const kit = createTestSystem();
  const got: string[] = [];
  const receptionist = createReceptionist(kit);
  const refs = spawnWorkers(kit, names, got);
  for (const ref of refs) receptionist.register(Jobs, ref);
  return { kit, got, refs, receptionist, router: createRouter<Job>({ receptionist, key: Jobs, breaker }) };
}

const test = suite('router breakers');

test('a routee that stops answering: after 3 timeouts in a row it is routed around; after the cool-down one trial; back once it answers', async () => {
  const { kit, got, refs, router } = setup();
  refs[0].tell({ type: 'mute', on: true });
  const first = [];
  for (let i = 0; i < 9; i++) first.push(await ask(kit, router));
  assert.equal(first.filter((a) => a === 'error:ask-timeout').length, 3, 'w1 took every third ask and timed out three times');
  assert.is(router.stats().routees.find((r) => r.address === String(refs[0]))!.breaker, 'open');
  assert.equal(router.routees().map((r) => r.ref.path).sort(), ['/user/w2', '/user/w3']);

  got.length = 0;
  const routedAround = [];
  for (let i = 0; i < 12; i++) routedAround.push(await ask(kit, router, 50));
  assert.not.ok(got.includes('w1'), 'no ask went to w1 while its breaker was open');
  assert.ok(routedAround.every((a) => a === 'w2' || a === 'w3'), 'no ask was lost: the others took them');

  await kit.advance(1_000); // the cool-down is over: half-open
  got.length = 0;
  const probing = [];
  for (let i = 0; i < 6; i++) probing.push(await ask(kit, router));
  assert.is(got.filter((w) => w === 'w1').length, 1, 'exactly one trial went to w1');
  assert.is(probing.filter((a) => a.startsWith('error')).length, 1, 'the trial failed (still mute)…');
  assert.is(router.stats().routees.find((r) => r.address === String(refs[0]))!.breaker, 'open', '…so it is open for another cool-down');

  refs[0].tell({ type: 'mute', on: false });
  await kit.advance(1_000);
  got.length = 0;
  const healed = [];
  for (let i = 0; i < 9; i++) healed.push(await ask(kit, router));
  assert.ok(healed.every((a) => !a.startsWith('error')));
  assert.is(got.filter((w) => w === 'w1').length, 3, 'the trial succeeded: closed, w1 takes its share again');
  assert.is(router.stats().routees.find((r) => r.address === String(refs[0]))!.breaker, 'closed');
  await kit.terminate();
});

test('the ejection cap: with two routees failing, only one breaker opens (max ejected fraction 0.5, never the last)', async () => {
  const { kit, refs, router } = setup(['w1', 'w2'], { failures: 2, openMs: 10_000 });
  for (const r of refs) r.tell({ type: 'mute', on: true });
  for (let i = 0; i < 10; i++) assert.is(await ask(kit, router), 'error:ask-timeout');
  const states = router.stats().routees.map((r) => r.breaker).sort();
  assert.equal(states, ['closed', 'open']);
  assert.is(router.routees().length, 1, 'one routee stays routed, failing as it is: callers still see its errors, not circuit-open');
  await kit.terminate();
});

test('circuit-open only when no other routee can take the ask: the open one is the last eligible; tells are dead-lettered; the trial comes after the cool-down', async () => {
  const { kit, refs, receptionist, router } = setup(['w1', 'w2', 'w3'], { failures: 2, openMs: 1_000 });
  const dead: unknown[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  refs[0].tell({ type: 'mute', on: true });
  for (let i = 0; i < 6; i++) await ask(kit, router);
  assert.is(router.stats().routees.find((r) => r.address === String(refs[0]))!.breaker, 'open');
  const openedAt = kit.now();
  receptionist.deregister(Jobs, refs[1]);
  receptionist.deregister(Jobs, refs[2]);
  let error: unknown;
  await router.ask<string>((replyTo) => ({ type: 'job', replyTo })).catch((e) => { error = e; });
  assert.ok(isTroupeError(error, 'circuit-open'), String(error));
  const data = (error as TroupeError).data as { retryAtMs: number; retryInMs: number; key: string };
  assert.is(data.key, 'jobs');
  assert.ok(data.retryAtMs > kit.now() && data.retryAtMs <= openedAt + 1_000 && data.retryInMs > 0);
  assert.match((error as Error).message, /every routee that could take this ask has its circuit open in this router \(1 of 1\); the next trial is let through at/);
  const deadBefore = dead.length;
  router.tell({ type: 'job', replyTo: kit.createProbe<string>().ref });
  await kit.runUntilIdle();
  assert.is(dead.length, deadBefore + 1, 'a tell has nowhere to go: dead-lettered');
  assert.equal([router.stats().circuitOpen, router.stats().noRoutee], [2, 0]);
  const deadAfterTell = dead.length;
  await kit.advance(1_000);
  let trial: string | undefined;
  router.ask<string>((replyTo) => ({ type: 'job', replyTo }), { timeoutMs: 100 }).then((v) => { trial = v; }, (e) => { trial = (e as TroupeError).code; });
  let second: unknown;
  await router.ask<string>((replyTo) => ({ type: 'job', replyTo })).catch((e) => { second = e; });
  assert.ok(isTroupeError(second, 'circuit-open'), 'half-open: one trial at a time, so a second ask meanwhile fails fast');
  assert.match((second as Error).message, /a trial ask is in flight to each half-open one; retry once it settles/);
  assert.is((second as TroupeError).data.retryAtMs, undefined);
  await kit.runUntil(() => trial !== undefined, 1_000);
  assert.is(trial, 'ask-timeout', 'the trial failed (still mute): open again');
  refs[0].tell({ type: 'mute', on: false });
  await kit.advance(1_000);
  assert.is(await ask(kit, router), 'w1', 'after the cool-down the trial goes through, and closes the breaker');
  assert.is(await ask(kit, router), 'w1');
  assert.is(dead.length, deadAfterTell, 'nothing else was dead-lettered');
  await kit.terminate();
});

test('without the breaker option a router has none: a silent routee keeps its share', async () => {
  const kit = createTestSystem();
  const got: string[] = [];
  const refs = spawnWorkers(kit, ['w1', 'w2'], got);
  const router = createRouter<Job>({ system: kit, routees: refs });
  refs[0].tell({ type: 'mute', on: true });
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push(await ask(kit, router));
  assert.is(answers.filter((a) => a.startsWith('error')).length, 5);
  assert.ok(router.stats().routees.every((r) => r.breaker === 'closed'));
  assert.throws(() => createRouter<Job>({ system: kit, routees: refs, breaker: { failures: 0 } }), /breaker.failures must be an integer ≥ 1 \(default 5\)/);
  assert.throws(() => createRouter<Job>({ system: kit, routees: refs, breaker: { openMs: -1 } }), /breaker.openMs must be a finite number of milliseconds > 0/);
  assert.throws(() => createRouter<Job>({ system: kit, routees: refs, breaker: { maxEjectedFraction: 1 } }), /breaker.maxEjectedFraction must be a fraction 0 ≤ f < 1/);
  await kit.terminate();
});

test('isFailure decides what counts: answers that the caller rejects as not failures keep the breaker closed', async () => {
  const { kit, refs } = setup(['w1', 'w2']);
  const router = createRouter<Job>({ system: kit, routees: refs, breaker: { failures: 1, isFailure: () => false } });
  refs[0].tell({ type: 'mute', on: true });
  for (let i = 0; i < 6; i++) await ask(kit, router);
  assert.ok(router.stats().routees.every((r) => r.breaker === 'closed'));
  const throwing = createRouter<Job>({ system: kit, routees: refs, breaker: { failures: 1, isFailure: () => { throw new Error('bug'); } } });
  for (let i = 0; i < 2; i++) await ask(kit, throwing);
  assert.equal(throwing.stats().routees.map((r) => r.breaker).sort(), ['closed', 'open'], 'an isFailure that throws counts the failure');
  await kit.terminate();
});

test.run();
