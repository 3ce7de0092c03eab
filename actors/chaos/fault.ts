// The fault vocabulary of chaos scenarios: network (the simulated network's link faults plus
// partitions), service and actor faults, and node/system faults — plain data, checked once.

import { TroupeError } from '../../runtime/errors.ts';
import { resolveLinkFaults, type LinkFaults } from '../../runtime/cluster/link-faults.ts';
import { checkJournalFault, type JournalFaultMode, type JournalOp } from './journal-faults.ts';
import { checkActorFault } from './actor-faults.ts';
import { MAX_BALLAST_BYTES } from './memory-pressure.ts';

/** A node by name, or one picked from a list with the scenario's seed when the fault is planned. */
export type NodePick = string | { readonly oneOf: readonly string[] };

/**
 * Which actors an actor fault hits: the instances of a service (all of them, or one ordinal), or
 * the actor at a path (`'/user/orders'`; a trailing `/*` means its children).
 */
export type ActorSelector =
  | { readonly service: string; readonly instance?: number }
  | { readonly path: string };

/**
 * One fault. Network: `'link'` applies {@link LinkFaults} to the frames `from` sends to `to`
 * (`'*'`: every node; `both` also the way back); `'partition'` cuts every link between groups;
 * `'isolate'` cuts one node from all others. Service and actor faults (on the node given, or on
 * every node that runs a matching actor): `'crash'`, `'hang'`, `'slow'` (`delayMs` per message),
 * `'fail'` (a `fraction` of messages), `'flood'` (`messages` fillers in the mailbox). Node and
 * system faults: `'kill'` (SIGKILL; undone by starting the node again, a new incarnation),
 * `'pause'` (SIGSTOP, undone by SIGCONT), `'journal'` (a faulty journal the node registered by
 * name: I/O errors, full disk, fsync errors, slow storage), `'clock-skew'` (the node's clock
 * jumps by `offsetMs` and/or drifts by `driftRatio`), `'memory'` (`bytes` of ballast held).
 * Each is undone when its step's duration ends, or when the method ends.
 */
export type Fault =
  | { readonly kind: 'link'; readonly from: NodePick | '*'; readonly to: NodePick | '*'; readonly faults: LinkFaults; readonly both?: boolean }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly kind: 'isolate'; readonly node: NodePick }
  | { readonly kind: 'crash'; readonly actor: ActorSelector; readonly node?: NodePick }
  | { readonly kind: 'hang'; readonly actor: ActorSelector; readonly node?: NodePick }
  | { readonly kind: 'slow'; readonly actor: ActorSelector; readonly delayMs: number; readonly node?: NodePick }
  | { readonly kind: 'fail'; readonly actor: ActorSelector; readonly fraction: number; readonly node?: NodePick }
  | { readonly kind: 'flood'; readonly actor: ActorSelector; readonly messages: number; readonly node?: NodePick }
  | { readonly kind: 'kill'; readonly node: NodePick }
  | { readonly kind: 'pause'; readonly node: NodePick }
  | { readonly kind: 'journal'; readonly node: NodePick; readonly journal: string; readonly mode: JournalFaultMode; readonly probability?: number; readonly latencyMs?: number; readonly ops?: readonly JournalOp[] }
  | { readonly kind: 'clock-skew'; readonly node: NodePick; readonly offsetMs?: number; readonly driftRatio?: number }
  | { readonly kind: 'memory'; readonly node: NodePick; readonly bytes: number };

/** The kinds of {@link Fault}. */
export type FaultKind = Fault['kind'];

/** A fault whose node picks are resolved: every `NodePick` is a node name. */
export type PlannedFault = DistributeNodes<Fault>;
type DistributeNodes<F> = F extends unknown ? { readonly [K in keyof F]: F[K] extends NodePick | undefined ? Exclude<F[K], { readonly oneOf: readonly string[] }> : F[K] } : never;

/** Faults that happen at once and have nothing to undo. */
export const INSTANT_FAULTS: ReadonlySet<FaultKind> = new Set(['crash', 'flood']);

const FIELDS: Record<FaultKind, readonly string[]> = {
  link: ['from', 'to', 'faults', 'both'],
  partition: ['groups'],
  isolate: ['node'],
  crash: ['actor', 'node'],
  hang: ['actor', 'node'],
  slow: ['actor', 'delayMs', 'node'],
  fail: ['actor', 'fraction', 'node'],
  flood: ['actor', 'messages', 'node'],
  kill: ['node'],
  pause: ['node'],
  journal: ['node', 'journal', 'mode', 'probability', 'latencyMs', 'ops'],
  'clock-skew': ['node', 'offsetMs', 'driftRatio'],
  memory: ['node', 'bytes'],
};

const NAME = /^[A-Za-z0-9_.:\-]{1,64}$/;

/**
 * Checks a fault; throws `invalid-spec` naming the field (`data.field`, prefixed with `where`'s
 * path) and how to fix it. `nodes`, when given, are the names a node may have.
 */
export function checkFault(fault: Fault, field = 'fault', nodes?: readonly string[]): Fault {
  const bad = (f: string, why: string): TroupeError => new TroupeError('invalid-spec', `${field}.${f} ${why}`, { field: `${field}.${f}` });
  if (typeof fault !== 'object' || fault === null || Array.isArray(fault)) {
    throw new TroupeError('invalid-spec', `${field} must be an object like { kind: 'partition', groups: [['n1'], ['n2', 'n3']] }.`, { field });
  }
  const allowed = FIELDS[fault.kind];
  if (allowed === undefined) throw bad('kind', `must be one of ${Object.keys(FIELDS).join(', ')}, got ${JSON.stringify(fault.kind)}.`);
  for (const k of Object.keys(fault)) if (k !== 'kind' && !allowed.includes(k)) throw bad(k, `is not a field of a '${fault.kind}' fault; use ${allowed.join(', ')}.`);
  const node = (f: string, v: unknown, optional: boolean, star = false): void => {
    if (v === undefined && optional) return;
    if (star && v === '*') return;
    const names = typeof v === 'string' ? [v] : typeof v === 'object' && v !== null && Array.isArray((v as { oneOf?: unknown }).oneOf) ? (v as { oneOf: unknown[] }).oneOf : undefined;
    if (names === undefined || names.length === 0 || names.some((n) => typeof n !== 'string' || !NAME.test(n))) {
      throw bad(f, `must be a node name${star ? ", '*'" : ''} or { oneOf: [names…] }, got ${JSON.stringify(v)?.slice(0, 80)}.`);
    }
    if (nodes !== undefined) for (const n of names as string[]) if (!nodes.includes(n)) throw bad(f, `names node '${n}', which is not a node of the target (${nodes.join(', ')}).`);
  };
  const actor = (v: unknown): void => {
    const a = v as Record<string, unknown>;
    if (typeof a !== 'object' || a === null) throw bad('actor', "must be { service: 'orders', instance?: 0 } or { path: '/user/orders' }.");
    if ('service' in a) {
      if (typeof a.service !== 'string' || !NAME.test(a.service)) throw bad('actor.service', `must be a service name, got ${JSON.stringify(a.service)?.slice(0, 80)}.`);
      if (a.instance !== undefined && (!Number.isSafeInteger(a.instance) || (a.instance as number) < 0)) throw bad('actor.instance', `must be an instance ordinal (an integer ≥ 0), got ${String(a.instance)}.`);
      for (const k of Object.keys(a)) if (k !== 'service' && k !== 'instance') throw bad(`actor.${k}`, 'is not a selector field; use service, instance (or path alone).');
    } else if ('path' in a) {
      if (typeof a.path !== 'string' || !/^\/[^\s]*$/.test(a.path) || a.path.length > 512) throw bad('actor.path', `must be an actor path such as '/user/orders' (or '/user/orders/*'), got ${JSON.stringify(a.path)?.slice(0, 80)}.`);
      for (const k of Object.keys(a)) if (k !== 'path') throw bad(`actor.${k}`, 'is not a selector field; a path selector has path alone.');
    } else throw bad('actor', "must name a service ({ service: 'orders' }) or a path ({ path: '/user/orders' }).");
  };
  const wrap = (check: () => unknown, prefix = ''): void => {
    try { check(); } catch (e) {
      const f = (e as TroupeError).data?.field;
      throw new TroupeError('invalid-spec', `${field}: ${(e as Error).message}`, { field: `${field}${prefix}${typeof f === 'string' ? `.${f}` : ''}` });
    }
  };
  switch (fault.kind) {
    case 'link':
      node('from', fault.from, false, true);
      node('to', fault.to, false, true);
      if (fault.from === '*' && fault.to === '*') throw bad('to', "and from cannot both be '*'; name at least one side.");
      wrap(() => resolveLinkFaults(fault.faults, 'faults'), '.faults');
      if (fault.both !== undefined && typeof fault.both !== 'boolean') throw bad('both', 'must be a boolean (default false).');
      break;
    case 'partition': {
      const g = fault.groups;
      if (!Array.isArray(g) || g.length < 2 || g.some((x) => !Array.isArray(x) || x.length === 0)) throw bad('groups', "must be two or more non-empty lists of node names, like [['n1'], ['n2', 'n3']].");
      const seen = new Set<string>();
      for (const grp of g) for (const n of grp) {
        node('groups', n, false);
        if (seen.has(n)) throw bad('groups', `puts node '${n}' on two sides; each node belongs to one side.`);
        seen.add(n);
      }
      break;
    }
    case 'isolate': case 'kill': case 'pause': node('node', fault.node, false); break;
    case 'crash': case 'hang': actor(fault.actor); node('node', fault.node, true); break;
    case 'slow': actor(fault.actor); node('node', fault.node, true); wrap(() => checkActorFault({ kind: 'slow', delayMs: fault.delayMs })); break;
    case 'fail': actor(fault.actor); node('node', fault.node, true); wrap(() => checkActorFault({ kind: 'fail', fraction: fault.fraction })); break;
    case 'flood':
      actor(fault.actor); node('node', fault.node, true);
      if (!Number.isSafeInteger(fault.messages) || fault.messages < 1 || fault.messages > 1_000_000) throw bad('messages', `must be an integer 1 … 1000000, got ${String(fault.messages)}.`);
      break;
    case 'journal': {
      node('node', fault.node, false);
      if (typeof fault.journal !== 'string' || !NAME.test(fault.journal)) throw bad('journal', `must be the name a node registered its faulty journal under, got ${JSON.stringify(fault.journal)?.slice(0, 80)}.`);
      const { kind: _k, node: _n, journal: _j, ...spec } = fault;
      wrap(() => checkJournalFault(spec, 'journal'));
      break;
    }
    case 'clock-skew': {
      node('node', fault.node, false);
      const o = fault.offsetMs ?? 0, d = fault.driftRatio ?? 0;
      if (typeof o !== 'number' || !Number.isFinite(o)) throw bad('offsetMs', `must be a finite number of milliseconds, got ${String(o)}.`);
      if (typeof d !== 'number' || !Number.isFinite(d) || d <= -1) throw bad('driftRatio', `must be a finite number > −1 (0.1 = 10 % fast), got ${String(d)}.`);
      if (o === 0 && d === 0) throw bad('offsetMs', 'and driftRatio are both 0: give a skew (e.g. offsetMs: 2000).');
      break;
    }
    case 'memory':
      node('node', fault.node, false);
      if (!Number.isSafeInteger(fault.bytes) || fault.bytes < 1 || fault.bytes > MAX_BALLAST_BYTES) throw bad('bytes', `must be an integer 1 … ${MAX_BALLAST_BYTES} (1 GiB), got ${String(fault.bytes)}.`);
      break;
  }
  return fault;
}

/** A short description of a planned fault, for reports: `partition [n1] | [n2 n3]`, `slow orders-1 by 800 ms`. */
export function describeFault(f: PlannedFault): string {
  const sel = (a: ActorSelector): string => ('service' in a ? (a.instance === undefined ? `service ${a.service}` : `${a.service}-${a.instance}`) : a.path);
  const on = (n: string | undefined): string => (n === undefined ? '' : ` on ${n}`);
  switch (f.kind) {
    case 'link': return `link ${f.from} → ${f.to}${f.both ? ' (both ways)' : ''} ${JSON.stringify(f.faults)}`;
    case 'partition': return `partition ${f.groups.map((g) => `[${g.join(' ')}]`).join(' | ')}`;
    case 'isolate': return `isolate ${f.node}`;
    case 'crash': return `crash ${sel(f.actor)}${on(f.node)}`;
    case 'hang': return `hang ${sel(f.actor)}${on(f.node)}`;
    case 'slow': return `slow ${sel(f.actor)}${on(f.node)} by ${f.delayMs} ms`;
    case 'fail': return `fail ${Math.round(f.fraction * 100)} % of messages of ${sel(f.actor)}${on(f.node)}`;
    case 'flood': return `flood ${sel(f.actor)}${on(f.node)} with ${f.messages} messages`;
    case 'kill': return `kill ${f.node}`;
    case 'pause': return `pause ${f.node} (SIGSTOP)`;
    case 'journal': return `journal ${f.journal} on ${f.node}: ${f.mode}${f.probability !== undefined && f.probability < 1 ? ` (p=${f.probability})` : ''}`;
    case 'clock-skew': return `clock of ${f.node} skewed${f.offsetMs ? ` ${f.offsetMs > 0 ? '+' : ''}${f.offsetMs} ms` : ''}${f.driftRatio ? ` drift ${f.driftRatio}` : ''}`;
    case 'memory': return `memory pressure ${Math.round(f.bytes / 1024 / 1024)} MiB on ${f.node}`;
  }
}
