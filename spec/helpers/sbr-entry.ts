// The entry module of the node processes of spec/runtime/cluster/downing/pause-process.spec.ts:
// an echo actor, a light ask load towards another node, and a log of cluster events (wall clock).

import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { isTroupeError } from '../../runtime/errors.ts';
import { appendFileSync } from 'node:fs';
import { control as base, log, registry } from './cluster-entry.ts';
import { defineActor, type ActorRef } from '../../runtime/index.ts';

export { log, registry };

/** An echo that appends every request it runs to TROUPE_SBR_LOG (it survives the process's restart). */
export function setup(node: ClusterNode): void {
  node.system.spawn(defineActor<EchoMsg, undefined>({
    name: 'echo',
    init: () => undefined,
    receive: (_s, m) => { if (process.env.TROUPE_SBR_LOG) appendFileSync(process.env.TROUPE_SBR_LOG, `${m.text}\n`); m.replyTo.tell(`${node.system.node}: ${m.text}`); },
  }), 'echo');
}

type EchoMsg = { type: 'echo'; text: string; replyTo: ActorRef<string> };
const outcomes: Record<string, number> = {};
const failedDead: string[] = [];
const events: { type: string; node: string; atMs: number }[] = [];
let loadTimer: NodeJS.Timeout | undefined;

export const control = {
  ...base,
  watchEvents: (node: ClusterNode) => {
    node.cluster.events$.subscribe((e) => { if ('member' in e) events.push({ type: e.type, node: `${e.member.node}#${e.member.incarnation}`, atMs: Date.now() }); });
    return 'ok';
  },
  events: () => events,
  /** Asks `target`'s echo every 100 ms (2 s timeout) and counts outcomes by code. */
  startLoad: async (node: ClusterNode, target: string) => {
    const ref = await node.cluster.identify<EchoMsg>(target, '/user/echo');
    if (!ref) throw new Error(`no echo on ${target}`);
    let n = 0;
    loadTimer = setInterval(() => {
      const key = `${node.system.node}-r${++n}`;
      ref.ask<string>((replyTo) => ({ type: 'echo', text: key, replyTo }), { timeoutMs: 2_000 }).then(
        () => { outcomes.ok = (outcomes.ok ?? 0) + 1; },
        (e: unknown) => { const code = isTroupeError(e) ? e.code : 'other'; outcomes[code] = (outcomes[code] ?? 0) + 1; if (code === 'actor-dead') failedDead.push(key); },
      );
    }, 100);
    return 'started';
  },
  stopLoad: () => { clearInterval(loadTimer); return { outcomes, failedDead }; },
};
