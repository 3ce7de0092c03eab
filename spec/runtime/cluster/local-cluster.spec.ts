// spawnLocalCluster: real node processes on loopback TCP, started, killed and restarted.

import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { spawnLocalCluster } from '../../../runtime/cluster/local-cluster.ts';

const entry = fileURLToPath(new URL('../../helpers/cluster-entry.ts', import.meta.url));
// Node processes start slowly on a loaded machine (tsx compiles each): a generous bound per test.
const test = suite('local cluster', undefined, { limitMs: 120_000 });

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

test('a node whose system terminates by an escalated failure leaves the cluster and its process exits with code 1 and the reason', async () => {
  const cluster = await spawnLocalCluster({ nodes: 2, entry, stdio: process.env.TROUPE_DEBUG ? 'inherit' : 'ignore' });
  const pids = cluster.nodes.map((n) => n.pid);
  try {
    const n2 = cluster.node('n2');
    await n2.call('escalate').catch(() => undefined); // the process may exit before it answers
    const exited = await until(async () => [n2.exit?.reason === undefined ? 'running' : 'exited'], (v) => v[0] === 'exited');
    assert.equal(exited, ['exited'], 'the process exited by itself');
    assert.is(n2.exit?.code, 1);
    assert.match(n2.exit?.reason ?? '', /escalated to the root.*disk on fire/);
    const view = await until(() => cluster.node('n1').call<string[]>('view'), (v) => v.includes('n2:removed'));
    assert.ok(view.includes('n2:removed'), `n1 saw n2 leave (removed, not a zombie up): ${view.join(' ')}`);
  } finally {
    await cluster.stop();
    for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
  }
});

test.run();
