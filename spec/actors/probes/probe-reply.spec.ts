// Specs of a probe run's reply address (the ask a probe actor makes without a promise): the
// instance's answer becomes one `probe-result` in the probe actor's mailbox, a second reply is a
// dead letter, and a request the instance never takes fails the run at once.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { ActorRef } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing.ts';
import { deliverProbe } from '../../../runtime/internal/probe-lane.ts';
import type { Process } from '../../../runtime/internal/process.ts';
import { ProbeReply, type ProbeResultMsg } from '../../../actors/probes/internal/probe-reply.ts';
import type { ProbeAnswer, ProbeRequest } from '../../../actors/probes/index.ts';
import { probedWorker, workerHooks } from '../../helpers/probed-worker.ts';

const reply = suite('probe reply address');

const procOf = (ref: ActorRef<never>): Process => (ref as unknown as { proc: Process }).proc;

reply('the first answer reaches the probe actor as its run\'s probe-result; a second is a dead letter', async () => {
  const kit = createTestSystem();
  const w = kit.spawn(probedWorker(workerHooks()), 'w');
  const prober = kit.createProbe<ProbeResultMsg>();
  const replyTo = new ActorRef<ProbeAnswer>(new ProbeReply(procOf(prober.ref as ActorRef<never>), 'liveness', 7, 'readiness'));
  const request: ProbeRequest = { type: 'troupe.probe', kind: 'liveness', replyTo, signals: false, also: 'readiness' };
  assert.is(deliverProbe(procOf(w as ActorRef<never>), request), 0);
  const got = await prober.expectMessage();
  assert.equal(got, {
    type: 'probe-result', kind: 'liveness', seq: 7, reason: null, also: 'readiness',
    answer: { kind: 'liveness', ok: true, checks: [], also: { kind: 'readiness', ok: true, checks: [{ name: 'ready', ok: true }] } },
  });
  const before = kit.deadLetterCount;
  replyTo.tell({ kind: 'liveness', ok: true, checks: [] });
  assert.is(kit.deadLetterCount, before + 1, 'a one-shot address');
  assert.is(replyTo.alive, false);
  await prober.expectNoMessage(100);
  await kit.terminate();
});

reply('an instance that stops with the request still queued fails the run at once: "the instance is not alive"', async () => {
  const kit = createTestSystem();
  const hooks = workerHooks();
  const w = kit.spawn(probedWorker(hooks), 'w');
  w.tell({ type: 'hang' });
  await kit.runUntilIdle();
  const prober = kit.createProbe<ProbeResultMsg>();
  const replyTo = new ActorRef<ProbeAnswer>(new ProbeReply(procOf(prober.ref as ActorRef<never>), 'readiness', 3, undefined));
  assert.is(deliverProbe(procOf(w as ActorRef<never>), { type: 'troupe.probe', kind: 'readiness', replyTo }), 0, 'queued behind the hung handler');
  await prober.expectNoMessage(500);
  kit.stop(w as ActorRef<never>);
  hooks.release();
  assert.equal(await prober.expectMessage(), { type: 'probe-result', kind: 'readiness', seq: 3, answer: null, reason: 'the instance is not alive' });
  await prober.expectNoMessage(100);
  await kit.terminate();
});

reply.run();
