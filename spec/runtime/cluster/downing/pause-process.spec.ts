// Real processes on loopback: SIGSTOP one of three nodes for 5 s under a light ask load. The
// others mark it unreachable and down it; on SIGCONT it learns it is down, exits, and
// spawnLocalCluster restarts it as a new incarnation that rejoins. No ask fails actor-dead.

import { suite } from '../../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLocalCluster, type LocalCluster } from '../../../../runtime/cluster/local-cluster.ts';

const test = suite('split brain: a paused process', {}, { limitMs: 90_000 });
const entry = fileURLToPath(new URL('../../../helpers/sbr-entry.ts', import.meta.url));

const until = async (ok: () => boolean | Promise<boolean>, limitMs: number): Promise<boolean> => {
  const end = Date.now() + limitMs;
  while (Date.now() < end) { if (await ok()) return true; await new Promise((r) => setTimeout(r, 50)); }
  return ok();
};

test('SIGSTOP n3 for 5 s: n1 and n2 down it, it rejoins as a new incarnation, and no ask is reported actor-dead', async () => {
  let cluster: LocalCluster | undefined;
  let stoppedPid = -1;
  const dir = mkdtempSync(join(tmpdir(), 'troupe-sbr-'));
  const ranLog = join(dir, 'ran.txt');
  process.env.TROUPE_SBR_LOG = ranLog; // the node processes inherit it
  try {
    cluster = await spawnLocalCluster({ nodes: 3, entry, stdio: 'ignore', downing: { strategy: 'keep-majority', stableAfterMs: 1_500 } });
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((n) => cluster!.node(n));
    const incarnation = await n3.call<number>('incarnation');
    await n1.call('watchEvents');
    await n1.call('startLoad', 'n3');
    await n2.call('startLoad', 'n1');
    await new Promise((r) => setTimeout(r, 500));
    stoppedPid = n3.pid;
    const stopAt = Date.now();
    process.kill(stoppedPid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 5_000));
    process.kill(stoppedPid, 'SIGCONT');
    const contAt = Date.now();
    stoppedPid = -1;
    assert.ok(await until(() => n3.downRestarts === 1 && n3.alive && n3.endpoint !== '', 30_000), `n3 was downed and restarted (exit: ${JSON.stringify(n3.exit)})`);
    await cluster.waitForMembers(['n1', 'n2', 'n3'], 30_000);
    const rejoinedAt = Date.now();
    assert.ok((await n3.call<number>('incarnation')) > incarnation, 'n3 rejoined as a new incarnation');
    const view = await n2.call<string[]>('view');
    assert.equal(view.filter((v) => v.endsWith(':up')).sort(), ['n1:up', 'n2:up', 'n3:up']);
    const events = await n1.call<{ type: string; node: string; atMs: number }[]>('events');
    const unreachable = events.find((e) => e.type === 'member-unreachable' && e.node.startsWith('n3#'));
    const down = events.find((e) => e.type === 'member-down' && e.node.startsWith('n3#'));
    assert.ok(unreachable && down, JSON.stringify(events));
    assert.not.ok(events.some((e) => e.type === 'member-down' && !e.node.startsWith('n3#')), 'only n3 was downed');
    type Load = { outcomes: Record<string, number>; failedDead: string[] };
    const toN3 = (await n1.call<Load>('stopLoad')).outcomes;
    const { failedDead } = await n1.call<Load>('stopLoad');
    const toN1 = (await n2.call<Load>('stopLoad')).outcomes;
    const ran = new Set(readFileSync(ranLog, 'utf8').split('\n'));
    assert.ok(toN3['node-unreachable'] > 0, `asks waiting on the paused node failed node-unreachable: ${JSON.stringify(toN3)}`);
    // actor-dead only for asks refused at once to the downed incarnation, never sent: none of them ran
    assert.equal(failedDead.filter((k) => ran.has(k)), [], 'no request reported actor-dead was executed');
    assert.equal(Object.keys(toN1), ['ok'], `asks between the survivors all succeeded: ${JSON.stringify(toN1)}`);
    console.log(`    real (2 shared cores, other suites running): unreachable ${unreachable!.atMs - stopAt} ms and down ${down!.atMs - stopAt} ms after SIGSTOP; one view again ${rejoinedAt - contAt} ms after SIGCONT; asks to n3: ${JSON.stringify(toN3)}`);
  } finally {
    if (stoppedPid > 0) { try { process.kill(stoppedPid, 'SIGCONT'); } catch { /* gone */ } }
    await cluster?.stop();
    delete process.env.TROUPE_SBR_LOG;
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
