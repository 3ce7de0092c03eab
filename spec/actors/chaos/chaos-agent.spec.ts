// Specs for a node's chaos agent on virtual time: each node-local fault applied and undone by id
// (journal, clock skew, memory, actors by path and by children), undo-all, and faults whose
// facility the node lacks answered ok: false with what to set up — never a throw.

import { test } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { commandAgent, spawnChaosAgent, type AgentCommand, type AgentReply, type NodeFault } from '../../../actors/chaos/chaos-agent.ts';
import { withJournalFaults } from '../../../actors/chaos/journal-faults.ts';
import { createMemoryJournal } from '../../../actors/journal/memory-journal.ts';
import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor } from '../../../runtime/behavior.ts';
import { createClockSkew } from '../../../runtime/clock-skew.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { createIdSource } from '../../../runtime/ids.ts';
import { createSeededRandom } from '../../../runtime/random.ts';
import { createTestSystem } from '../../../runtime/testing/test-system.ts';

type Ping = { type: 'ping'; replyTo: ActorRef<string> };
const pinger = defineActor<Ping, undefined>({ init: () => undefined, receive: (_s, m, ctx) => m.replyTo.tell(ctx.path) });

function setup() {
  const kit = createTestSystem({ seed: 2 });
  const journal = withJournalFaults(createMemoryJournal({ clock: kit.clock, ids: createIdSource(createSeededRandom(1)) }), { scheduler: kit.scheduler });
  const skew = createClockSkew();
  const clock = skew.wrap(kit.clock);
  const agent = spawnChaosAgent(kit, { journals: { orders: journal }, skew, maxBallastBytes: 64 * 1024 * 1024 });
  const send = async (c: AgentCommand): Promise<AgentReply> => {
    const p = commandAgent(agent, c);
    await kit.runUntilIdle();
    return p;
  };
  const apply = (id: string, fault: NodeFault) => send({ op: 'apply', id, fault });
  return { kit, journal, skew, clock, agent, send, apply };
}

test('journal, clock skew and memory faults are applied and undone by id; undo-all undoes the rest', async () => {
  const { kit, journal, clock, send, apply } = setup();
  assert.equal(await apply('disk', { kind: 'journal', journal: 'orders', fault: { mode: 'full' } }), { ok: true, detail: 'local: journal orders full' });
  const full = await journal.append('s', [{ type: 'x', data: {} }], { expectedVersion: 0 }).then(() => 'ok', (e: unknown) => (isTroupeError(e) ? e.code : String(e)));
  assert.is(full, 'storage-full');
  assert.ok((await send({ op: 'undo', id: 'disk' })).ok);
  assert.is((await journal.append('s', [{ type: 'x', data: {} }], { expectedVersion: 0 })).streamVersion, 1);

  const before = clock.now();
  assert.ok((await apply('skew', { kind: 'clock-skew', skew: { offsetMs: 90_000 } })).ok);
  assert.is(clock.now() - before, 90_000);
  const mem = await apply('ballast', { kind: 'memory', bytes: 8 * 1024 * 1024 });
  assert.ok(mem.ok, mem.detail);
  assert.ok(!(await apply('too-much', { kind: 'memory', bytes: 128 * 1024 * 1024 })).ok, 'over the agent bound');
  assert.ok((await apply('disk', { kind: 'journal', journal: 'orders', fault: { mode: 'io-error' } })).ok);

  const all = await send({ op: 'undo-all' });
  assert.equal(all, { ok: true, detail: 'local: undid 3 fault(s)' });
  assert.is(clock.now(), before, 'the skew is gone');
  assert.equal(journal.faults.ids(), []);
  assert.equal(await send({ op: 'undo', id: 'skew' }), { ok: true, detail: 'local: nothing to undo for skew' });
  await kit.terminate();
});

test('actor faults by path and by children: slow applies to every match and is undone', async () => {
  const { kit, apply, send } = setup();
  const parent = kit.spawn(defineActor<never, undefined>({
    init: (ctx) => { ctx.spawn(pinger, 'a'); ctx.spawn(pinger, 'b'); return undefined; },
    receive: () => undefined,
  }), 'pool');
  void parent;
  const r = await apply('slow-pool', { kind: 'actor', actor: { path: '/user/pool/*' }, fault: { kind: 'slow', delayMs: 300 } });
  assert.equal(r, { ok: true, detail: `local: slow ${String(kit.lookup('/user/pool/a'))} ${String(kit.lookup('/user/pool/b'))}` });
  const t0 = kit.now();
  const answer = kit.lookup<Ping>('/user/pool/b')!.ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 1_000 });
  await kit.advance(300);
  assert.is(await answer, '/user/pool/b');
  assert.is(kit.now() - t0, 300);
  assert.ok((await send({ op: 'undo', id: 'slow-pool' })).ok);
  const fast = kit.lookup<Ping>('/user/pool/a')!.ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 1_000 });
  await kit.runUntilIdle();
  assert.is(await fast, '/user/pool/a');

  const crash = await apply('boom', { kind: 'actor', actor: { path: '/user/pool/a' }, fault: { kind: 'crash' } });
  assert.match(crash.detail, /crashed .*pool\/a/);
  const flood = await apply('flood', { kind: 'actor', actor: { path: '/user/pool/b' }, fault: { kind: 'flood', messages: 50 } });
  assert.is(flood.detail, 'local: flooded 1 mailbox(es) with 50 messages');
  await kit.terminate();
});

test('what the node lacks is answered ok: false, saying what to set up; nothing throws', async () => {
  const { kit, apply, send } = setup();
  const cases: [NodeFault, RegExp][] = [
    [{ kind: 'link', rule: { peers: ['n2'], block: true } }, /no link chaos: wrap its transport with withLinkChaos/],
    [{ kind: 'actor', actor: { service: 'orders' }, fault: { kind: 'hang' } }, /no service host/],
    [{ kind: 'actor', actor: { path: '/user/nobody' }, fault: { kind: 'hang' } }, /no actor on local matches/],
    [{ kind: 'journal', journal: 'payments', fault: { mode: 'full' } }, /no faulty journal 'payments'/],
    [{ kind: 'journal', journal: 'orders', fault: { mode: 'melt' } as never }, /invalid-argument: .*mode/],
  ];
  for (const [fault, why] of cases) {
    const r = await apply('x', fault);
    assert.is(r.ok, false, JSON.stringify(fault));
    assert.match(r.detail, why);
  }
  assert.is((await send({ op: 'seed', seed: 1.5 })).ok, false);
  assert.ok((await send({ op: 'seed', seed: 77 })).ok);
  const bare = spawnChaosAgent(kit, {}, 'bare-agent');
  const p = commandAgent(bare, { op: 'apply', id: 'skew', fault: { kind: 'clock-skew', skew: { offsetMs: 1 } } });
  await kit.runUntilIdle();
  assert.match((await p).detail, /no clock skew control/);
  await kit.terminate();
});

test.run();
