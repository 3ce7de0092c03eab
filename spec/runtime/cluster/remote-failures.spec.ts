// Remote failures say so at once: an undeclared type throws on the sender, and a restarted node
// answers the first lookup of a node it has not learnt from the membership yet.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { ActorRef, defineActor, isTroupeError, type SystemEvent } from '../../../runtime/index.ts';
import { createNode } from '../../../runtime/cluster/node.ts';
import { createSimCluster } from '../../../runtime/testing/sim-cluster.ts';
import { createMessageRegistry } from '../../../runtime/wire/message-registry.ts';

type EchoMsg = { type: 'echo'; text: string; replyTo: ActorRef<string> };
const echo = defineActor<EchoMsg, undefined>({ init: () => undefined, receive: (_s, m) => m.replyTo.tell(m.text) });
const registry = () => createMessageRegistry().define('echo', { version: 1 });

const test = suite('remote failures');

test('a tell of an undeclared type to a remote ref throws unknown-message-type on the sender (and is a dead letter there)', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b'], registry });
  const remote = sim.node('a').cluster.refFor<{ type: 'nope' }>(String(sim.node('b').system.spawn(echo, 'echo')));
  const dead: SystemEvent[] = [];
  sim.node('a').system.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });
  let thrown: unknown;
  try { remote.tell({ type: 'nope' }); } catch (e) { thrown = e; }
  assert.ok(isTroupeError(thrown, 'unknown-message-type'), String(thrown));
  assert.match((thrown as Error).message, /MessageRegistry/);
  assert.equal(dead.map((e) => e.type === 'dead-letter' && e.reason), ['unknown-message-type']);
  assert.ok(remote.alive, 'the ref stays usable for declared types');
  await sim.shutdown();
});

test('a restarted node answers its first lookup at once, even from a node it has not learnt from the membership yet', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b'], registry });
  await sim.crash('b');
  await sim.advance(3_000);
  const a = sim.node('a');
  const lookups: Promise<ActorRef<EchoMsg> | undefined>[] = [];
  let askedAt = -1;
  // the seed looks the restarted node up the moment it sees it up: before it has welcomed it
  a.cluster.events$.subscribe((e) => {
    if (e.type === 'member-up' && e.member.node === 'b' && lookups.length === 0) {
      askedAt = sim.scheduler.clock.now();
      lookups.push(a.cluster.identify<EchoMsg>('b', '/user/echo', 3_000));
    }
  });
  const b = await createNode({ name: 'sim', node: 'b', scheduler: sim.scheduler, transport: sim.network!.transport(), seeds: [a.endpoint], registry: registry(), incarnation: 9_999_999, log: { level: 'silent' } });
  b.system.spawn(echo, 'echo');
  await sim.runUntil(() => lookups.length > 0, 5_000);
  let found: unknown = 'pending';
  void lookups[0].then((r) => { found = r; }, (e: unknown) => { found = e; });
  await sim.runUntil(() => found !== 'pending', 5_000);
  const tookMs = sim.scheduler.clock.now() - askedAt;
  assert.ok(found instanceof ActorRef, `the lookup found the actor: ${String(found)}`);
  assert.ok(tookMs < 3_000, `answered after ${tookMs} virtual ms, not at the 3 000 ms timeout`);
  let reply: unknown;
  (found as ActorRef<EchoMsg>).ask<string>((replyTo) => ({ type: 'echo', text: 'back', replyTo }), { timeoutMs: 60_000 }).then((r) => { reply = r; }, (e: unknown) => { reply = e; });
  await sim.runUntil(() => reply !== undefined, 5_000);
  assert.is(reply, 'back');
  await b.stop();
  await sim.shutdown();
});

test.run();
