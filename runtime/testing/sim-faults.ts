// The fault schedule of a simulated cluster as data: chaos faults (one vocabulary with chaos
// scenarios) — partitions, isolation, link faults, kills, pauses, clock skew — and full disks,
// each at a virtual time.

import { TroupeError } from '../errors.ts';
import type { Random } from '../random.ts';
import type { LinkConditions } from '../cluster/sim-network.ts';
import { resolveLinkFaults, type LinkFaults } from '../cluster/link-faults.ts';
import type { Fault, PlannedFault } from '../../actors/chaos/fault.ts';

type Body<K extends PlannedFault['kind']> = Extract<PlannedFault, { readonly kind: K }>;
interface At { readonly atMs: number }
interface For { readonly forMs?: number }

/**
 * One fault of a schedule, applied at `atMs` of virtual time (from when the cluster is up). Its
 * body is a chaos {@link Fault} of the same kind (one vocabulary: a scenario's faults and a
 * simulation's are written alike), plus when it is undone:
 * - `partition`: cuts every link between any two of the groups (as `SimNetwork.partition`); with `forMs`, heals after.
 * - `isolate`: cuts one node from every other (as `SimNetwork.isolate`); with `forMs`, heals after.
 * - `heal`: removes every partition and isolation.
 * - `link`: refines the conditions of the link `from` → `to` (`'*'`: every node; `both`: the way
 *   back too): latency, jitter, loss, duplicate, reorder; with `forMs`, restores them after. (A
 *   bandwidth limit is the chaos layer's: run the scenario on `createSimClusterTarget`.)
 * - `kill`: crashes the node abruptly (in-flight work lost, unsynced writes lost); with `restartAfterMs`, starts a new incarnation after.
 * - `pause`: stops the node as SIGSTOP would, for `forMs`.
 * - `clock-skew`: the node's clock jumps by `offsetMs` and/or runs `driftRatio` fast (its timers
 *   too); with `forMs`, it reads true time again after. The skew belongs to the node's machine: it
 *   survives the node's restarts.
 * - `disk-full`: every write of the node's disk fails with `storage-full`; with `forMs`, space comes back after.
 */
export type SimFault =
  | (At & Body<'partition'> & For)
  | (At & Body<'isolate'> & For)
  | (At & { readonly kind: 'heal' })
  | (At & Omit<Body<'link'>, 'faults'> & { readonly faults: Partial<LinkConditions> } & For)
  | (At & Body<'kill'> & { readonly restartAfterMs?: number })
  | (At & Body<'pause'> & { readonly forMs: number })
  | (At & Body<'clock-skew'> & For)
  | (At & { readonly kind: 'disk-full'; readonly node: string } & For);

/** The kinds of {@link SimFault}. */
export type SimFaultKind = SimFault['kind'];

const KINDS: ReadonlySet<string> = new Set<SimFaultKind>(['partition', 'isolate', 'heal', 'link', 'kill', 'pause', 'clock-skew', 'disk-full']);

const bad = (i: number, why: string): never => {
  throw new TroupeError('invalid-argument', `Fault ${i} of the schedule ${why}.`, { fault: i });
};
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Throws `invalid-argument` naming the first malformed fault (unknown kind, bad time, missing node, bad skew or link faults). */
export function checkFaults(faults: readonly SimFault[]): void {
  if (!Array.isArray(faults)) throw new TroupeError('invalid-argument', 'A fault schedule is an array of faults.');
  faults.forEach((f, i) => {
    if (typeof f !== 'object' || f === null || !KINDS.has((f as { kind?: string }).kind ?? '')) bad(i, `has an unknown kind: use one of ${[...KINDS].join(', ')}`);
    if (!isMs(f.atMs)) bad(i, 'needs atMs, a time ≥ 0 in virtual milliseconds');
    const o = f as Record<string, unknown>;
    for (const k of ['forMs', 'restartAfterMs'] as const) if (o[k] !== undefined && !isMs(o[k])) bad(i, `has ${k} ${String(o[k])}: use a duration ≥ 0`);
    switch (f.kind) {
      case 'partition':
        if (!Array.isArray(f.groups) || f.groups.length < 2 || !f.groups.every((g: unknown) => Array.isArray(g) && g.every(isName))) bad(i, 'needs groups: two or more arrays of node names');
        return;
      case 'isolate': case 'kill': case 'disk-full':
        if (!isName(f.node)) bad(i, 'needs node, a node name');
        return;
      case 'pause':
        if (!isName(f.node) || !isMs(f.forMs)) bad(i, 'needs node and forMs');
        return;
      case 'clock-skew': {
        if (!isName(f.node)) bad(i, 'needs node, a node name');
        const { offsetMs = 0, driftRatio = 0 } = f;
        if (!(typeof offsetMs === 'number' && Number.isFinite(offsetMs)) || !(typeof driftRatio === 'number' && Number.isFinite(driftRatio) && driftRatio > -1)) {
          bad(i, 'needs offsetMs a finite number of ms and driftRatio a finite number > −1 (0.1 = 10 % fast)');
        }
        return;
      }
      case 'link':
        if (!isName(f.from) || !isName(f.to) || typeof f.faults !== 'object' || f.faults === null) bad(i, 'needs from, to (node names or \'*\') and faults');
        try { resolveLinkFaults(f.faults as LinkFaults, `fault ${i}`); } catch (e) { bad(i, `has bad faults: ${(e as Error).message}`); }
        if ((f.faults as LinkFaults).bandwidthBytesPerSec !== undefined) bad(i, 'limits bandwidth, which the simulated network does not model: run the scenario on createSimClusterTarget (the chaos layer does)');
        return;
      case 'heal': return;
    }
  });
}

/** A one-line description of a fault, for reports and trace labels: `kill b @400ms (restart after 300ms)`. */
export function describeFault(f: SimFault): string {
  const after = (what: string, ms: number | undefined): string => (ms === undefined ? '' : ` (${what} ${ms}ms)`);
  switch (f.kind) {
    case 'partition': return `partition ${f.groups.map((g) => `[${g.join(',')}]`).join('|')} @${f.atMs}ms${after('heal after', f.forMs)}`;
    case 'isolate': return `isolate ${f.node} @${f.atMs}ms${after('heal after', f.forMs)}`;
    case 'heal': return `heal @${f.atMs}ms`;
    case 'link': return `link ${f.from}${f.both === true ? '<->' : '->'}${f.to} ${JSON.stringify(f.faults)} @${f.atMs}ms${after('for', f.forMs)}`;
    case 'kill': return `kill ${f.node} @${f.atMs}ms${after('restart after', f.restartAfterMs)}`;
    case 'pause': return `pause ${f.node} @${f.atMs}ms for ${f.forMs}ms`;
    case 'clock-skew': return `clock-skew ${f.node} ${JSON.stringify({ offsetMs: f.offsetMs, driftRatio: f.driftRatio })} @${f.atMs}ms${after('for', f.forMs)}`;
    case 'disk-full': return `disk-full ${f.node} @${f.atMs}ms${after('for', f.forMs)}`;
  }
}

/**
 * What {@link planFaults} draws: how many faults of each kind, within which window of virtual time.
 * Defaults: no fault of any kind; `withinMs` 1 000; partitions (into two groups) last
 * 100–`maxOutageMs` (default 1 000) ms; killed nodes restart after 100–`maxOutageMs` ms (`restart`
 * default true); pauses and full disks last as long.
 */
export interface FaultPlan {
  readonly nodes: readonly string[];
  readonly withinMs?: number;
  readonly partitions?: number;
  /** Nodes killed (and restarted unless `restart` is false). */
  readonly kills?: number;
  readonly pauses?: number;
  readonly diskFull?: number;
  /** Node clocks skewed for a while (offset drawn in ±`maxSkewMs`, default 2 000). */
  readonly clockSkews?: number;
  readonly maxSkewMs?: number;
  /** Directed links made lossy (`loss` drawn in [0, `maxLoss`], default 0.3) for a while. */
  readonly lossyLinks?: number;
  readonly maxLoss?: number;
  readonly maxOutageMs?: number;
  readonly restart?: boolean;
  /** Nodes never killed, paused or given a full disk (e.g. the one the scenario drives). */
  readonly spare?: readonly string[];
}

/**
 * Draws a fault schedule from `random`: the same random state gives the same schedule. Faults are
 * sorted by time.
 * @example const faults = planFaults(run.random, { nodes: ['a', 'b', 'c'], partitions: 1, kills: 1 });
 */
export function planFaults(random: Random, plan: FaultPlan): SimFault[] {
  const { nodes } = plan;
  if (nodes.length < 2) throw new TroupeError('invalid-argument', 'planFaults needs at least two nodes.');
  const within = plan.withinMs ?? 1_000;
  const outage = plan.maxOutageMs ?? 1_000;
  const victims = nodes.filter((n) => !(plan.spare ?? []).includes(n));
  const at = (): number => Math.floor(random.next() * within);
  const lasting = (): number => 100 + Math.floor(random.next() * Math.max(0, outage - 100));
  const pick = <T>(xs: readonly T[]): T => xs[random.int(xs.length)];
  const out: SimFault[] = [];
  for (let i = 0; i < (plan.partitions ?? 0); i++) {
    const shuffled = [...nodes];
    for (let j = shuffled.length - 1; j > 0; j--) { const k = random.int(j + 1); [shuffled[j], shuffled[k]] = [shuffled[k], shuffled[j]]; }
    const cut = 1 + random.int(nodes.length - 1);
    out.push({ atMs: at(), kind: 'partition', groups: [shuffled.slice(0, cut).sort(), shuffled.slice(cut).sort()], forMs: lasting() });
  }
  for (let i = 0; i < (plan.lossyLinks ?? 0); i++) {
    const from = pick(nodes);
    const to = pick(nodes.filter((n) => n !== from));
    out.push({ atMs: at(), kind: 'link', from, to, faults: { loss: Math.round(random.next() * (plan.maxLoss ?? 0.3) * 100) / 100 }, forMs: lasting() });
  }
  if (victims.length > 0) {
    for (let i = 0; i < (plan.kills ?? 0); i++) out.push(plan.restart === false ? { atMs: at(), kind: 'kill', node: pick(victims) } : { atMs: at(), kind: 'kill', node: pick(victims), restartAfterMs: lasting() });
    for (let i = 0; i < (plan.pauses ?? 0); i++) out.push({ atMs: at(), kind: 'pause', node: pick(victims), forMs: lasting() });
    for (let i = 0; i < (plan.diskFull ?? 0); i++) out.push({ atMs: at(), kind: 'disk-full', node: pick(victims), forMs: lasting() });
  }
  const skew = plan.maxSkewMs ?? 2_000;
  for (let i = 0; i < (plan.clockSkews ?? 0); i++) out.push({ atMs: at(), kind: 'clock-skew', node: pick(nodes), offsetMs: Math.round((random.next() * 2 - 1) * skew), forMs: lasting() });
  return out.sort((x, y) => x.atMs - y.atMs);
}
