// A node's chaos agent: the actor that carries out fault commands on its own node — link rules
// in the transport's chaos layer, actor and service faults, journal faults, clock skew, memory
// ballast — and undoes each by id. Scenarios reach it through their target (IPC or in-process).

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { defineActor } from '../../runtime/behavior.ts';
import type { ClockSkew, Skew } from '../../runtime/clock-skew.ts';
import type { LinkChaos, LinkChaosRule } from '../../runtime/cluster/chaos-transport.ts';
import { isTroupeError, TroupeError } from '../../runtime/errors.ts';
import type { InspectNode } from '../../runtime/inspect.ts';
import { createSeededRandom } from '../../runtime/random.ts';
import type { ActorSystem } from '../../runtime/system.ts';
import type { ServiceHost } from '../services/service-host.ts';
import { crashActor, floodMailbox, removeActorFault, setActorFault, type ActorFault } from './actor-faults.ts';
import type { ActorSelector } from './fault.ts';
import type { FaultyJournal, JournalFault } from './journal-faults.ts';
import { allocateBallast, MAX_BALLAST_BYTES } from './memory-pressure.ts';

/** What one node does for a fault: its part of the fault, in node-local terms. */
export type NodeFault =
  | { readonly kind: 'link'; readonly rule: LinkChaosRule }
  | { readonly kind: 'actor'; readonly actor: ActorSelector; readonly fault: ActorFault | { readonly kind: 'crash' } | { readonly kind: 'flood'; readonly messages: number } }
  | { readonly kind: 'journal'; readonly journal: string; readonly fault: JournalFault }
  | { readonly kind: 'clock-skew'; readonly skew: Skew }
  | { readonly kind: 'memory'; readonly bytes: number };

/** A command to a node's agent: apply a fault under an id, undo one or all, reseed its draws. */
export type AgentCommand =
  | { readonly op: 'apply'; readonly id: string; readonly fault: NodeFault }
  | { readonly op: 'undo'; readonly id: string }
  | { readonly op: 'undo-all' }
  | { readonly op: 'seed'; readonly seed: number };

/** The agent's answer: whether it did it, and what it did (or why not) in words. */
export interface AgentReply {
  readonly ok: boolean;
  readonly detail: string;
}

/** The agent's messages: a command and where to answer. */
export type ChaosAgentMsg = AgentCommand & { readonly replyTo: ActorRef<AgentReply> };

/**
 * What an agent can reach on its node; each is optional and a fault that needs a missing one is
 * answered `ok: false` saying what to set up. `link`: the transport's chaos layer
 * ({@link withLinkChaos}); `services`: the node's service host (service selectors); `journals`:
 * faulty journals by name ({@link withJournalFaults}); `skew`: the skew control of the node's
 * clock ({@link createClockSkew}); `maxBallastBytes`: memory-pressure bound (default 1 GiB);
 * `seed`: the seed of its draws (default 1; a scenario sends one per node).
 */
export interface ChaosAgentOptions {
  readonly link?: LinkChaos;
  readonly services?: ServiceHost;
  readonly journals?: Readonly<Record<string, FaultyJournal>>;
  readonly skew?: ClockSkew;
  readonly maxBallastBytes?: number;
  readonly seed?: number;
}

const failed = (detail: string): AgentReply => ({ ok: false, detail });

/** Finds the local actors a selector names (service instances through the service host, or a path). */
async function resolveActors(system: ActorSystem, services: ServiceHost | undefined, sel: ActorSelector): Promise<ActorRef<never>[] | string> {
  if ('service' in sel) {
    const service = services?.service(sel.service);
    if (services === undefined) return `this node's chaos agent has no service host (give it services)`;
    if (service === undefined) return `no service '${sel.service}' was started on ${system.node}`;
    const status = await service.status({ scope: 'node' });
    return status.instances
      .filter((i) => i.node === system.node && i.source === 'node' && (sel.instance === undefined || i.ordinal === sel.instance))
      .map((i) => i.ref as ActorRef<never>);
  }
  if (sel.path.endsWith('/*')) {
    const parent = sel.path.slice(0, -2);
    const find = (n: InspectNode): InspectNode | undefined => (n.path === parent ? n : n.children.map(find).find((x) => x !== undefined));
    const at = find(system.inspect());
    return (at?.children ?? []).map((c) => system.lookup<never>(c.path)).filter((r): r is ActorRef<never> => r !== undefined);
  }
  const ref = system.lookup<never>(sel.path);
  return ref === undefined ? [] : [ref];
}

/**
 * Spawns a node's chaos agent as `/user/<name>` (default `'chaos-agent'`). It runs one command at
 * a time. `apply` with an id in force replaces it (the old one is undone first); actor faults hit
 * the matching actors live at that moment (an actor started later is not touched); `crash` and
 * `flood` happen at once and leave nothing to undo. `undo-all` undoes everything, newest first.
 *
 * @example
 * const agent = spawnChaosAgent(node.system, { link: transport.chaos, services: host });
 * await agent.ask<AgentReply>((replyTo) => ({ op: 'apply', id: 'slow-1', fault: { kind: 'actor', actor: { service: 'orders' }, fault: { kind: 'slow', delayMs: 500 } }, replyTo }));
 */
export function spawnChaosAgent(system: ActorSystem, options: ChaosAgentOptions = {}, name = 'chaos-agent'): ActorRef<ChaosAgentMsg> {
  const maxBallast = options.maxBallastBytes ?? MAX_BALLAST_BYTES;
  let random = createSeededRandom(options.seed ?? 1);
  const undo = new Map<string, () => void>();
  let skewHolder: string | undefined;

  const undoOne = (id: string): boolean => {
    const u = undo.get(id);
    if (u === undefined) return false;
    undo.delete(id);
    u();
    return true;
  };

  const apply = async (id: string, f: NodeFault): Promise<AgentReply> => {
    undoOne(id);
    switch (f.kind) {
      case 'link': {
        if (options.link === undefined) return failed(`${system.node} has no link chaos: wrap its transport with withLinkChaos (spawnLocalCluster: chaos: true)`);
        options.link.set(id, f.rule);
        undo.set(id, () => { options.link!.remove(id); });
        const peers = f.rule.peers === '*' ? 'every peer' : f.rule.peers.join(' ');
        return { ok: true, detail: `${system.node}: ${f.rule.block ? 'blocks' : 'faults'} ${f.rule.direction ?? 'both'} frames with ${peers}` };
      }
      case 'actor': {
        const refs = await resolveActors(system, options.services, f.actor);
        if (typeof refs === 'string') return failed(refs);
        if (refs.length === 0) return failed(`no actor on ${system.node} matches ${JSON.stringify(f.actor)}`);
        const a = f.fault;
        if (a.kind === 'crash') { for (const r of refs) crashActor(r, id); return { ok: true, detail: `${system.node}: crashed ${refs.map(String).join(' ')}` }; }
        if (a.kind === 'flood') {
          const n = refs.map((r) => floodMailbox(r, a.messages).accepted).reduce((x, y) => x + y, 0);
          return { ok: true, detail: `${system.node}: flooded ${refs.length} mailbox(es) with ${n} messages` };
        }
        for (const r of refs) setActorFault(r, id, a, { random });
        undo.set(id, () => { for (const r of refs) removeActorFault(r, id); });
        return { ok: true, detail: `${system.node}: ${a.kind} ${refs.map(String).join(' ')}` };
      }
      case 'journal': {
        const j = options.journals?.[f.journal];
        if (j === undefined) return failed(`${system.node} registered no faulty journal '${f.journal}' (give the agent journals: { '${f.journal}': withJournalFaults(…) })`);
        j.faults.set(id, f.fault);
        undo.set(id, () => { j.faults.remove(id); });
        return { ok: true, detail: `${system.node}: journal ${f.journal} ${f.fault.mode}` };
      }
      case 'clock-skew': {
        const skew = options.skew;
        if (skew === undefined) return failed(`${system.node} has no clock skew control: create its system on createRealScheduler(skew.wrap(realClock)) (spawnLocalCluster: chaos: true)`);
        skew.set(f.skew);
        skewHolder = id;
        undo.set(id, () => { if (skewHolder === id) { skew.clear(); skewHolder = undefined; } });
        return { ok: true, detail: `${system.node}: clock skewed ${JSON.stringify(f.skew)}` };
      }
      case 'memory': {
        const ballast = allocateBallast(f.bytes, maxBallast);
        undo.set(id, () => ballast.release());
        return { ok: true, detail: `${system.node}: holds ${f.bytes} bytes of ballast` };
      }
    }
  };

  const run = async (m: AgentCommand): Promise<AgentReply> => {
    switch (m.op) {
      case 'apply': return apply(m.id, m.fault);
      case 'undo': return { ok: true, detail: undoOne(m.id) ? `${system.node}: undid ${m.id}` : `${system.node}: nothing to undo for ${m.id}` };
      case 'undo-all': {
        const ids = [...undo.keys()].reverse();
        for (const id of ids) undoOne(id);
        return { ok: true, detail: `${system.node}: undid ${ids.length} fault(s)` };
      }
      case 'seed': {
        if (!Number.isSafeInteger(m.seed)) return failed(`seed must be an integer, got ${String(m.seed)}`);
        random = createSeededRandom(m.seed);
        options.link?.reseed(m.seed ^ 0x2545f491);
        let k = 0;
        for (const j of Object.values(options.journals ?? {})) j.faults.reseed(m.seed + 7919 * ++k);
        return { ok: true, detail: `${system.node}: seeded ${m.seed}` };
      }
    }
  };

  return system.spawn(defineActor<ChaosAgentMsg, undefined>({
    name: 'chaos-agent',
    init: () => undefined,
    receive: async (_s, m) => {
      let reply: AgentReply;
      try {
        reply = await run(m);
      } catch (e) {
        reply = failed(isTroupeError(e) ? `${e.code}: ${e.message}` : `${(e as Error)?.message ?? String(e)}`);
      }
      m.replyTo.tell(reply);
    },
  }), name);
}

/** Sends one command to an agent and resolves with its reply (rejects `ask-timeout` after `timeoutMs`, default 5 000). */
export function commandAgent(agent: ActorRef<ChaosAgentMsg>, command: AgentCommand, timeoutMs = 5_000): Promise<AgentReply> {
  if (typeof command !== 'object' || command === null) return Promise.reject(new TroupeError('invalid-argument', 'commandAgent: expected an AgentCommand such as { op: \'undo-all\' }.'));
  return agent.ask<AgentReply>((replyTo) => ({ ...command, replyTo }) as ChaosAgentMsg, { timeoutMs });
}
