// spawnLocalCluster: real node processes on loopback TCP, started, killed and restarted.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { spawnLocalCluster } from '../../../runtime/cluster/local-cluster.ts';

const entry = fileURLToPath(new URL('../../helpers/cluster-entry.ts', import.meta.url));
// Three processes starting, one killed and restarted: ~25 s on a loaded 2-core machine, so a longer limit.
const test = suite('local cluster', undefined, { limitMs: 90_000 });

/** Polls a node's view until `ok` (the cluster works on real time here), at most `limitMs`. */
async function until(read: () => Promise<string[]>, ok: (view: string[]) => boolean, limitMs = 10_000): Promise<string[]> {
  const end = Date.now() + limitMs;
  let view = await read();
  while (!ok(view) && Date.now() < end) { await new Promise((r) => setTimeout(r, 50)); view = await read(); }
  return view;
}

test('three node processes come up, talk, survive a SIGKILL and take the node back as a new incarnation', async () => {
  const cluster = await spawnLocalCluster({ nodes: 3, entry, stdio: process.env.TROUPE_DEBUG ? 'inherit' : 'ignore' });
  const pids = cluster.nodes.map((n) => n.pid);
  try {
    assert.equal(cluster.nodes.map((n) => n.name), ['n1', 'n2', 'n3']);
    assert.ok(cluster.nodes.every((n) => /^127\.0\.0\.1:\d+$/.test(n.endpoint)), 'nodes listen on loopback');
    assert.is(await cluster.node('n1').call<string>('echoVia', 'n3', 'hello'), 'n3: hello');
    const before = await cluster.node('n3').call<number>('incarnation');

    await cluster.node('n3').kill();
    assert.is(cluster.node('n3').alive, false);
    const view = await until(() => cluster.node('n1').call<string[]>('view'), (v) => v.includes('n3:down'));
    assert.ok(view.includes('n3:down'), `n1 sees n3 down: ${view.join(' ')}`);
    assert.is(await cluster.node('n2').call<string>('echoVia', 'n1', 'still here'), 'n1: still here');

    await cluster.node('n3').restart();
    await cluster.waitForMembers();
    assert.not.equal(await cluster.node('n3').call<number>('incarnation'), before);
    assert.is(await cluster.node('n1').call<string>('echoVia', 'n3', 'welcome back'), 'n3: welcome back');
  } finally {
    await cluster.stop();
  }
  assert.ok(cluster.nodes.every((n) => !n.alive), 'every node process stopped');
  for (const pid of [...pids, ...cluster.nodes.map((n) => n.pid)]) {
    let running = true;
    try { process.kill(pid, 0); } catch { running = false; }
    assert.not.ok(running, `process ${pid} is gone`);
  }
});

test.run();
