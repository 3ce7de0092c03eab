// Carries out planned faults on a target: each fault becomes commands to the nodes' chaos agents
// (link rules for each side, actor faults where the actors run) and process actions (kill,
// pause), remembered by id so it can be undone — and re-applied to a node that comes back.

import type { Scheduler } from '../../../runtime/clock.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import type { AgentReply, NodeFault } from '../chaos-agent.ts';
import { INSTANT_FAULTS, type PlannedFault } from '../fault.ts';
import type { ChaosTarget } from '../target.ts';

/** What came of injecting or undoing one fault. */
export interface InjectOutcome {
  readonly ok: boolean;
  readonly detail: string;
}

interface Applied {
  readonly fault: PlannedFault;
  readonly commands: readonly (readonly [string, NodeFault])[];
  /** Actor faults go to every running node; one match anywhere is success. */
  readonly anyNode: boolean;
  readonly process: { readonly kind: 'kill' | 'pause'; readonly node: string } | undefined;
}

/** The node-local parts of a fault, over the target's nodes. */
export function nodeParts(f: PlannedFault, nodes: readonly string[]): Omit<Applied, 'fault'> {
  const none = { commands: [] as [string, NodeFault][], anyNode: false, process: undefined };
  const others = (n: string): string[] => nodes.filter((m) => m !== n);
  switch (f.kind) {
    case 'link': {
      const froms = f.from === '*' ? nodes : [f.from];
      const pairs: [string, string][] = [];
      for (const a of froms) for (const b of f.to === '*' ? others(a) : [f.to]) if (a !== b) { pairs.push([a, b]); if (f.both) pairs.push([b, a]); }
      const by = new Map<string, Set<string>>();
      for (const [a, b] of pairs) { const s = by.get(a) ?? new Set(); s.add(b); by.set(a, s); }
      return { ...none, commands: [...by].map(([a, peers]) => [a, { kind: 'link', rule: { peers: [...peers].sort(), direction: 'outbound', faults: f.faults } }] as const) };
    }
    case 'partition':
      return { ...none, commands: f.groups.flatMap((g, i) => g.map((n) => [n, { kind: 'link', rule: { peers: f.groups.filter((_, j) => j !== i).flat(), block: true } }] as const)) };
    case 'isolate':
      return { ...none, commands: [[f.node, { kind: 'link', rule: { peers: '*', block: true } }] as const, ...others(f.node).map((m) => [m, { kind: 'link', rule: { peers: [f.node], block: true } }] as const)] };
    case 'crash': case 'hang': case 'slow': case 'fail': case 'flood': {
      const fault = f.kind === 'slow' ? { kind: 'slow' as const, delayMs: f.delayMs } : f.kind === 'fail' ? { kind: 'fail' as const, fraction: f.fraction }
        : f.kind === 'flood' ? { kind: 'flood' as const, messages: f.messages } : { kind: f.kind };
      const on = f.node === undefined ? nodes : [f.node];
      return { ...none, anyNode: f.node === undefined, commands: on.map((n) => [n, { kind: 'actor', actor: f.actor, fault }] as const) };
    }
    case 'journal': {
      const { kind: _k, node, journal, ...fault } = f;
      return { ...none, commands: [[node, { kind: 'journal', journal, fault }]] };
    }
    case 'clock-skew': return { ...none, commands: [[f.node, { kind: 'clock-skew', skew: { offsetMs: f.offsetMs ?? 0, driftRatio: f.driftRatio ?? 0 } }]] };
    case 'memory': return { ...none, commands: [[f.node, { kind: 'memory', bytes: f.bytes }]] };
    case 'kill': case 'pause': return { ...none, process: { kind: f.kind, node: f.node } };
  }
}

/** Injects and undoes faults on a target; see the file header. */
export class Injector {
  private readonly active = new Map<string, Applied>();

  constructor(private readonly target: ChaosTarget, private readonly seed: number, private readonly scheduler: Scheduler, private readonly commandTimeoutMs = 5_000) {}

  /** The seed each node's agent draws from: the scenario's, mixed with the node's place. */
  nodeSeed(node: string): number {
    return (this.seed * 31 + this.target.nodes().indexOf(node) * 7_919 + 1) | 0;
  }

  /** Seeds every running node's agent. */
  async prepare(): Promise<InjectOutcome> {
    const replies = await Promise.all(this.target.nodes().filter((n) => this.target.running(n)).map((n) => this.send(n, { op: 'seed', seed: this.nodeSeed(n) })));
    const bad = replies.filter((r) => !r.ok);
    return bad.length === 0 ? { ok: true, detail: 'agents seeded' } : { ok: false, detail: bad.map((r) => r.detail).join('; ') };
  }

  private send(node: string, command: Parameters<ChaosTarget['command']>[1]): Promise<AgentReply> {
    if (!this.target.running(node)) return Promise.resolve({ ok: false, detail: `node ${node} is not running` });
    return new Promise<AgentReply>((resolve) => {
      const timer = this.scheduler.startTimer(this.commandTimeoutMs, () => resolve({ ok: false, detail: `node ${node} did not answer within ${this.commandTimeoutMs} ms (paused or gone?)` }));
      this.target.command(node, command).then(
        (r) => { this.scheduler.cancelTimer(timer); resolve(r); },
        (e: unknown) => { this.scheduler.cancelTimer(timer); resolve({ ok: false, detail: `node ${node}: ${isTroupeError(e) ? `${e.code}: ` : ''}${(e as Error)?.message ?? String(e)}` }); },
      );
    });
  }

  async inject(id: string, fault: PlannedFault): Promise<InjectOutcome> {
    const parts = nodeParts(fault, this.target.nodes());
    const applied: Applied = { fault, ...parts };
    if (!INSTANT_FAULTS.has(fault.kind)) this.active.set(id, applied);
    try {
      if (parts.process?.kind === 'kill') { await this.target.kill(parts.process.node); return { ok: true, detail: `killed ${parts.process.node}` }; }
      if (parts.process?.kind === 'pause') { await this.target.pause(parts.process.node); return { ok: true, detail: `paused ${parts.process.node}` }; }
    } catch (e) {
      return { ok: false, detail: (e as Error)?.message ?? String(e) };
    }
    const commands = parts.anyNode ? parts.commands.filter(([n]) => this.target.running(n)) : parts.commands;
    const replies = await Promise.all(commands.map(([n, f]) => this.send(n, { op: 'apply', id, fault: f })));
    const ok = parts.anyNode ? replies.some((r) => r.ok) : replies.every((r) => r.ok);
    const shown = parts.anyNode && ok ? replies.filter((r) => r.ok) : replies;
    return { ok, detail: shown.map((r) => r.detail).join('; ') };
  }

  /** Undoes fault `id`: restarts a killed node, resumes a paused one, or has the agents undo their part. */
  async revert(id: string): Promise<InjectOutcome> {
    const a = this.active.get(id);
    if (a === undefined) return { ok: true, detail: `${id} was not in force` };
    this.active.delete(id);
    try {
      if (a.process?.kind === 'kill') {
        await this.target.restart(a.process.node);
        await this.rejoined(a.process.node);
        return { ok: true, detail: `restarted ${a.process.node}` };
      }
      if (a.process?.kind === 'pause') { await this.target.resume(a.process.node); return { ok: true, detail: `resumed ${a.process.node}` }; }
    } catch (e) {
      return { ok: false, detail: (e as Error)?.message ?? String(e) };
    }
    const replies = await Promise.all([...new Set(a.commands.map(([n]) => n))].filter((n) => this.target.running(n)).map((n) => this.send(n, { op: 'undo', id })));
    return { ok: replies.every((r) => r.ok), detail: replies.map((r) => r.detail).join('; ') || 'nothing to undo' };
  }

  /** A node came back: its agent is seeded and gets the parts of the faults still in force (but actor faults, whose actors are new). */
  private async rejoined(node: string): Promise<void> {
    await this.send(node, { op: 'seed', seed: this.nodeSeed(node) });
    for (const [id, a] of this.active) for (const [n, f] of a.commands) if (n === node && f.kind !== 'actor') await this.send(node, { op: 'apply', id, fault: f });
  }

  /** Ids in force, oldest first. */
  ids(): string[] { return [...this.active.keys()]; }

  /** Undoes every fault in force, newest first. */
  async revertAll(): Promise<{ id: string; outcome: InjectOutcome }[]> {
    const out: { id: string; outcome: InjectOutcome }[] = [];
    for (const id of this.ids().reverse()) out.push({ id, outcome: await this.revert(id) });
    return out;
  }
}
