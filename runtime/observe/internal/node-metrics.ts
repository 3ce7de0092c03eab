// A node's metrics: members by status and the unreachable ones (read from membership at scrape),
// and the frames and bytes its links carried (counted by the node's transport wrapper).

import type { Transport } from '../../cluster/transport.ts';
import type { MetricsHub } from '../metrics.ts';

/** Frames and bytes through one node's transport, both ways. */
export class LinkCounters {
  framesSent = 0;
  bytesSent = 0;
  framesReceived = 0;
  bytesReceived = 0;

  /** The transport with its sends counted (accepted frames only); everything else passes through. */
  wrap(t: Transport): Transport {
    return {
      kind: t.kind,
      start: (ctx) => t.start(ctx),
      send: (endpoint, bytes) => {
        const ok = t.send(endpoint, bytes);
        if (ok) { this.framesSent++; this.bytesSent += bytes.length; }
        return ok;
      },
      disconnect: (endpoint) => t.disconnect(endpoint),
      stop: () => t.stop(),
    };
  }

  received(bytes: Buffer): void {
    this.framesReceived++;
    this.bytesReceived += bytes.length;
  }
}

/** Membership as the collector reads it. */
export interface MembershipView {
  members(): readonly { readonly status: string }[];
  unreachable(): readonly string[];
}

const STATUSES = ['joining', 'up', 'leaving', 'down', 'removed'] as const;

/** Adds the node's series to `hub`. */
export function observeNode(hub: MetricsHub, view: () => MembershipView | null, link: LinkCounters): void {
  const f = hub.families;
  f.members.collect((add) => {
    const m = view();
    const counts = new Map<string, number>(STATUSES.map((s) => [s, 0]));
    if (m !== null) for (const member of m.members()) counts.set(member.status, (counts.get(member.status) ?? 0) + 1);
    for (const [status, n] of counts) add({ status }, n);
  });
  f.unreachable.collect((add) => { add({}, view()?.unreachable().length ?? 0); });
  f.linkBytesSent.collect((add) => add({}, link.bytesSent));
  f.linkBytesReceived.collect((add) => add({}, link.bytesReceived));
  f.linkFramesSent.collect((add) => add({}, link.framesSent));
  f.linkFramesReceived.collect((add) => add({}, link.framesReceived));
}
