import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { createMessageRegistry, defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createSimCluster } from '../../../runtime/testing.ts';

type PingMsg = { type: 'ping'; n: number; replyTo: ActorRef<string> };
const ponger = defineActor<PingMsg, undefined>({ name: 'ponger', init: () => undefined, receive: (_s, m, ctx) => m.replyTo.tell(`${ctx.system.node}:${m.n}@${ctx.now()}`) });
const registry = () => createMessageRegistry().define('ping', { version: 1 });

/** A lossy, jittery run: membership events and the replies' arrival times form its fingerprint. */
async function run(seed: number): Promise<string[]> {
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], seed, registry, network: { latencyMs: 5, jitterMs: 20, duplicate: 0.02 } });
  const log: string[] = [];
  sim.node('a').cluster.events$.subscribe((e) => { if (e.type !== 'link-rejected') log.push(`${e.type}@${Math.round(e.atMs)}`); });
  const targets = ['b', 'c'].map((n) => sim.node('a').cluster.refFor<PingMsg>(String(sim.node(n).system.spawn(ponger, 'ponger'))));
  for (let i = 0; i < 20; i++) {
    const t = targets[i % 2];
    t.ask<string>((replyTo) => ({ type: 'ping', n: i, replyTo }), { timeoutMs: 2_000 }).then((r) => log.push(`${r} back@${sim.scheduler.clock.now()}`), (e: Error) => log.push(`ask ${i} failed: ${e.message}`));
  }
  await sim.advance(500);
  sim.network!.partition(['a', 'b'], ['c']);
  await sim.advance(4_000);
  await sim.shutdown();
  return log;
}

const test = suite('sim cluster');

test('a simulated cluster under jitter, duplication and a partition replays identically for a seed', async () => {
  const one = await run(11);
  const two = await run(11);
  assert.ok(one.some((l) => l.startsWith('member-unreachable')), 'the partition cut c off and the failure detector noticed');
  assert.is(one.filter((l) => l.includes(' back@')).length, 20, 'every ask before the partition was answered');
  assert.equal(two, one);
  const other = await run(12);
  assert.not.equal(other, one, 'another seed draws other latencies');
});

test.run();
