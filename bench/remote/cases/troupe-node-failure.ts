// Troupe: failure detection on loopback TCP. Three nodes (this process and two server processes);
// the third is SIGKILLed, or SIGSTOPped, and the time until each survivor says member-down is taken.

import { median } from '../../harness/stats.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { createNode, type ClusterNode } from '../../../runtime/cluster/node.ts';
import { createTcpTransport } from '../../../runtime/cluster/tcp-transport.ts';
import { benchRegistry, wallMs, type ServerEvent } from '../protocol.ts';
import { startServer, type ServerProcess } from '../server-process.ts';
import type { TroupeNodeConfig } from '../servers/troupe-node.ts';
import { untilMemberUp } from '../troupe-pair.ts';
import { freshSecret } from '../workload.ts';

/** Time a victim runs in the cluster before it fails, so every detector has a heartbeat history (ms). */
const STEADY_MS = 1_000;
/** Longest wait for a member-down before the round fails (ms). */
const DETECT_LIMIT_MS = 10_000;

/**
 * How a victim fails: `kill` (SIGKILL: its kernel closes its sockets, so peers see the connection
 * drop and reconnects refused) or `freeze` (SIGSTOP: sockets stay open, nothing answers — only the
 * heartbeat failure detector can tell, as with a hung process or a lost machine).
 */
type FailureKind = 'kill' | 'freeze';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the wall-clock time at which `node` reports `member-down` for `peer`. */
function downAt(node: ClusterNode, peer: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.unsubscribe(); reject(new Error(`node ${node.system.node} did not report ${peer} down within ${DETECT_LIMIT_MS} ms`)); }, DETECT_LIMIT_MS);
    const sub = node.cluster.events$.subscribe((e) => {
      if (e.type === 'member-down' && e.member.node === peer) { clearTimeout(timer); sub.unsubscribe(); resolve(wallMs()); }
    });
  });
}

/** Resolves with the time stamped on the first `event` about `peer` that the server process relays. */
function relayed(server: ServerProcess, event: string, peer: string, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const previous = server.onEvent;
    const timer = setTimeout(() => { server.onEvent = previous; reject(new Error(`node process did not report ${event} for ${peer} within ${limitMs} ms`)); }, limitMs);
    server.onEvent = (e: ServerEvent) => {
      previous(e);
      if (e.event === event && e.node === peer) { clearTimeout(timer); server.onEvent = previous; resolve(e.atMs); }
    };
  });
}

/**
 * `size` rounds, each with one `kill` and one `freeze` (see {@link FailureKind}), with the default
 * membership settings (heartbeat 200 ms, acceptable pause 600 ms, phi 8). Node `n1` runs here and
 * `n2` in a server process; for each failure a third node (its process forked and loaded up front,
 * so only the node start is waited for) joins, runs until both survivors see it up plus
 * {@link STEADY_MS}, then is signalled by pid. Each survivor's `member-down` is stamped on the
 * wall clock (sub-ms, same machine). Reports, as medians over rounds: `killDetectMs` and
 * `freezeDetectMs` (the first survivor to say it), `killDetectAllMs` and `freezeDetectAllMs`
 * (both survivors: the later one). Warm-up passes do nothing (there is no code path to warm).
 */
export async function run({ size, warmup }: CaseParams): Promise<Metrics> {
  if (warmup) return {};
  const plan: FailureKind[] = Array.from({ length: size }, () => ['kill', 'freeze'] as const).flat();
  const secret = freshSecret();
  const base: Omit<TroupeNodeConfig, 'node' | 'seeds'> = { transport: 'tcp', secret, system: 'bench', events: true };
  const n1 = await createNode({ name: 'bench', node: 'n1', transport: createTcpTransport({ secret }), registry: benchRegistry() });
  const servers: ServerProcess[] = [];
  try {
    await n1.cluster.whenUp();
    const victimName = (i: number): string => `victim${i + 1}`;
    const started = await Promise.allSettled([
      startServer('troupe-node.ts', { ...base, node: 'n2', seeds: [n1.endpoint] }),
      ...plan.map((_, i) => startServer('troupe-node.ts', { ...base, node: victimName(i), seeds: [n1.endpoint], waitForGo: true })),
    ]);
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    const [n2, ...victims] = servers;
    await untilMemberUp(n1, 'n2');
    const seen: Record<FailureKind, { first: number[]; all: number[] }> = { kill: { first: [], all: [] }, freeze: { first: [], all: [] } };
    for (let i = 0; i < plan.length; i++) {
      const name = victimName(i);
      const victim = victims[i];
      const n2SeesUp = relayed(n2, 'member-up', name, 20_000);
      victim.send({ type: 'go' });
      await victim.whenReady;
      await Promise.all([untilMemberUp(n1, name), n2SeesUp]);
      await sleep(STEADY_MS);
      const n1Down = downAt(n1, name);
      const n2Down = relayed(n2, 'member-down', name, DETECT_LIMIT_MS);
      const t0 = wallMs();
      if (plan[i] === 'kill') await victim.kill(); else victim.freeze();
      const [a, b] = await Promise.all([n1Down, n2Down]);
      seen[plan[i]].first.push(Math.min(a, b) - t0);
      seen[plan[i]].all.push(Math.max(a, b) - t0);
      await victim.kill();
    }
    return {
      killDetectMs: median(seen.kill.first), freezeDetectMs: median(seen.freeze.first),
      killDetectAllMs: median(seen.kill.all), freezeDetectAllMs: median(seen.freeze.all),
    };
  } finally {
    await n1.stop();
    for (const s of servers) await s.kill();
  }
}
