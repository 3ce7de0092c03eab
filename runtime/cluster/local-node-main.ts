// The entry of a node process started by spawnLocalCluster: creates a TCP node from its
// environment, runs the user's entry module, and talks to the parent over IPC. When the node's
// system terminates by itself (a failure escalated to the root), the node leaves the cluster and
// the process exits with code 1 after printing why; it never lingers up without its actors.

import { pathToFileURL } from 'node:url';
import { createMessageRegistry, type MessageRegistry } from '../wire/message-registry.ts';
import { createNode, type ClusterNode } from './node.ts';
import { createTcpTransport } from './tcp-transport.ts';
import type { ToChild, ToParent } from './local-cluster.ts';
import type { DowningOptions } from './downing/resolver.ts';
import type { LogOptions } from '../observe/log-options.ts';
import type { NodeChaosTargets } from '../../actors/chaos/node-chaos.ts';

/**
 * What a cluster entry module exports: `setup(node)` runs once the node exists (spawn actors,
 * register services); optional `registry()` builds the node's message registry; optional
 * `control` holds functions the parent may call with `handle.call(name, ...args)`.
 */
export interface LocalNodeEntry {
  setup?(node: ClusterNode): void | Promise<void>;
  registry?(): MessageRegistry;
  /** The node's log options (default: info to stdout). */
  log?: LogOptions;
  control?: Record<string, (node: ClusterNode, ...args: unknown[]) => unknown>;
  /** With `spawnLocalCluster({ chaos: true })`: what this node's chaos agent may fault (its service host, faulty journals). */
  chaos?(node: ClusterNode): NodeChaosTargets | Promise<NodeChaosTargets>;
}

const env = process.env;
const send = (m: ToParent): void => { process.send?.(m); };

const entry = (await import(pathToFileURL(env.TROUPE_ENTRY!).href)) as LocalNodeEntry;
// chaos (spawnLocalCluster({ chaos: true })): a skewable clock, the transport's chaos layer, an agent
const chaos = env.TROUPE_CHAOS ? (await import('../../actors/chaos/node-chaos.ts')).prepareNodeChaos() : undefined;
const tcp = createTcpTransport({ secret: env.TROUPE_SECRET! });
const node = await createNode({
  name: env.TROUPE_SYSTEM!,
  node: env.TROUPE_NODE!,
  transport: chaos ? chaos.wrap(tcp) : tcp,
  ...(chaos ? { scheduler: chaos.scheduler } : {}),
  seeds: env.TROUPE_SEEDS ? env.TROUPE_SEEDS.split(',') : [],
  registry: entry.registry?.() ?? createMessageRegistry(),
  ...(entry.log !== undefined ? { log: entry.log } : {}),
  ...(env.TROUPE_DOWNING ? { membership: { downing: JSON.parse(env.TROUPE_DOWNING) as DowningOptions } } : {}),
});
let leaving = false;
const leaveAndExit = (): void => {
  leaving = true;
  void node.leave().then(() => process.exit(0));
};
void node.whenStopped.then((reason) => {
  if (leaving) return;
  if (node.cluster.self.status === 'down') {
    // downed by the split-brain resolver: exit so the process manager starts a new incarnation
    const why = 'the split-brain resolver downed it (its side of a partition lost, or it was paused too long)';
    process.stderr.write(`troupe warn [${env.TROUPE_SYSTEM}@${env.TROUPE_NODE}] Node process exits with code 3: ${why}.\n`);
    const exit = (): never => process.exit(3);
    if (process.send) process.send({ type: 'exiting', code: 3, reason: why, downed: true } satisfies ToParent, undefined, {}, exit);
    else exit();
    return;
  }
  const why = reason.kind === 'escalated'
    ? `its actor system terminated: a failure escalated to the root (${reason.error instanceof Error ? reason.error.message : String(reason.error)})`
    : 'its actor system was terminated';
  const code = reason.kind === 'escalated' ? 1 : 0;
  process.stderr.write(`troupe error [${env.TROUPE_SYSTEM}@${env.TROUPE_NODE}] Node process exits with code ${code}: ${why}; it left the cluster.\n`);
  const exit = (): never => process.exit(code);
  if (process.send) process.send({ type: 'exiting', code, reason: why } satisfies ToParent, undefined, {}, exit); // exit once the IPC message is out
  else exit();
});
if (env.TROUPE_DEBUG) node.cluster.events$.subscribe((e) => console.error(`[${env.TROUPE_NODE}] ${JSON.stringify(e)}`));
const report = (): void => send({ type: 'members', endpoint: node.endpoint, up: node.cluster.members().filter((m) => m.status === 'up').map((m) => m.node) });
node.cluster.events$.subscribe(report);
await entry.setup?.(node);
chaos?.start(node, await entry.chaos?.(node));
await node.cluster.whenUp();
report();

process.on('message', (raw) => {
  const m = raw as ToChild;
  if (m.type === 'call') {
    const fn = m.name === '$chaos' && chaos ? (_n: ClusterNode, c: unknown) => chaos.command(c as never) : entry.control?.[m.name];
    Promise.resolve()
      .then(() => {
        if (!fn) throw new Error(`the entry module exports no control.${m.name}`);
        return fn(node, ...m.args);
      })
      .then((value) => send({ type: 'result', id: m.id, ok: true, value }), (e: unknown) => send({ type: 'result', id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) }));
  } else if (m.type === 'leave') {
    leaveAndExit();
  }
});
process.on('SIGTERM', leaveAndExit);
