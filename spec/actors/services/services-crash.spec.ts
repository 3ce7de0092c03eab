// Services on real processes (loopback TCP): three node processes run the 'echo' service, one
// instance each; n1 asks it under load while n3 is killed with SIGKILL. The instance of n3 is
// re-placed on the survivors within a bounded window; no ask sent to a surviving instance is lost,
// and every ask sent after the recovery succeeds. Every process is stopped by its pid at the end.

import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { spawnLocalCluster } from '../../../runtime/cluster/local-cluster.ts';
import { suite } from '../../helpers/uvu.ts';
import { until } from '../../helpers/until.ts';

const entry = fileURLToPath(new URL('../../helpers/services-crash-node.ts', import.meta.url));
const test = suite('services across processes', undefined, { limitMs: 150_000 });

interface Outcome { readonly sentAt: number; readonly node: string; readonly ok: boolean; readonly error?: string; readonly viaRouter: boolean }


test('kill -9 the node of one instance under load: the service is re-placed on the survivors and keeps serving', async () => {
  const cluster = await spawnLocalCluster({ nodes: 3, entry, stdio: process.env.TROUPE_DEBUG ? 'inherit' : 'ignore', readyTimeoutMs: 60_000 });
  const pids = cluster.nodes.map((n) => n.pid);
  const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((n) => cluster.node(n));
  try {
    const spread = (l: string[]) => l.length === 3 && ['n1', 'n2', 'n3'].every((n) => l.some((x) => x.endsWith(`@${n}`)));
    await until(() => n1.call<string[]>('listing'), spread, 'one instance on each node, as n1 lists them', 30_000);
    await until(() => n2.call<string[]>('listing'), spread, 'the same as n2 lists them', 10_000);
    await n1.call('startLoad', 5);
    await until(() => n1.call<number>('progress'), (n) => n >= 200, 'load running', 30_000);

    const killedAt = await n1.call<number>('now');
    await n3.kill();
    const replaced = (l: string[]) => l.length === 3 && l.every((x) => !x.endsWith('@n3')) && new Set(l.map((x) => x.split('@')[0])).size === 3;
    await until(() => n1.call<string[]>('listing'), replaced, 'the instance of n3 re-placed on n1 or n2', 20_000);
    const recoveredAt = await n1.call<number>('now');
    const progress = await n1.call<number>('progress');
    await until(() => n1.call<number>('progress'), (n) => n >= progress + 200, 'load after recovery', 30_000);
    const { outcomes, pending } = await n1.call<{ outcomes: Outcome[]; pending: number }>('stopLoad');

    assert.is(pending, 0, 'every ask of the load settled');
    const lost = outcomes.filter((o) => !o.ok && !o.viaRouter && o.node !== 'n3');
    assert.equal(lost, [], 'no ask sent to an instance on a surviving node was lost');
    const late = outcomes.filter((o) => !o.ok && o.sentAt > recoveredAt);
    assert.equal(late, [], 'every ask sent after the recovery succeeded, through the router or not');
    const failed = outcomes.filter((o) => !o.ok);
    assert.ok(failed.every((o) => o.sentAt >= killedAt - 3_000), 'failures only around the kill (an ask times out after 3 s)');
    const after = await n2.call<string[]>('askMany', 30);
    assert.ok(after.every((x) => x === 'n1' || x === 'n2'), `n2's router reaches the re-placed service: ${after.join(' ')}`);
    console.log(`  services-crash: re-placed ${recoveredAt - killedAt} ms after SIGKILL; ${outcomes.length} asks, ${failed.length} failed, all sent around the kill (${failed.filter((o) => !o.viaRouter).length} attributed, all to n3)`);
  } finally {
    await cluster.stop();
    for (const pid of [...pids, ...cluster.nodes.map((n) => n.pid)]) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
  }
  assert.ok(cluster.nodes.every((n) => !n.alive), 'every node process stopped');
});

test.run();
