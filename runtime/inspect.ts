// Inspection: a snapshot of the supervision tree with each actor's mailbox counters.

import type { MailboxStats } from '../mailboxes/mailbox.ts';
import type { ActorCell } from './internal/actor-cell.ts';

/** One actor in an inspection snapshot. */
export interface InspectNode {
  readonly path: string;
  readonly name: string;
  readonly behavior: string;
  readonly uid: number;
  readonly status: 'running' | 'busy' | 'waiting' | 'suspended' | 'stopping' | 'stopped';
  readonly restarts: number;
  readonly mailbox: MailboxStats;
  readonly children: readonly InspectNode[];
}

/** @internal */
export function inspectCell(c: ActorCell): InspectNode {
  const f = c.flags;
  // waiting: parked until its bulkhead grants a permit
  const status = f & 16 ? 'stopped' : f & 8 ? 'stopping' : f & 4 ? 'suspended' : f & 2 ? 'busy' : f & 32 ? 'waiting' : 'running';
  return {
    path: c.path,
    name: c.name,
    behavior: c.def.name,
    uid: c.uid,
    status,
    restarts: c.restarts,
    mailbox: c.mailbox.stats(),
    children: c.kids === null ? [] : [...c.kids.values()].map(inspectCell),
  };
}

/**
 * Renders a snapshot as an indented text tree, one actor per line with its mailbox counters.
 * @example console.log(formatTree(system.inspect()))
 */
export function formatTree(node: InspectNode, indent = ''): string {
  const m = node.mailbox;
  const line = `${indent}${node.name} [${node.behavior}] ${node.status}` +
    (node.restarts ? ` restarts=${node.restarts}` : '') +
    ` mailbox(size=${m.size} high=${m.highWater} processed=${m.processed} dropped=${m.dropped})`;
  return [line, ...node.children.map((c) => formatTree(c, indent + '  '))].join('\n');
}
