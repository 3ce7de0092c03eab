// The split-brain resolver: waits until this node's view of unreachable members has been stable
// for `stableAfterMs`, then asks the configured strategy which side survives and acts on it.

import type { Scheduler, TimerId } from '../../clock.ts';
import { TroupeError } from '../../errors.ts';
import { decideKeepMajority } from './keep-majority.ts';
import { decideKeepOldest } from './keep-oldest.ts';
import { decideLease, isMinority, type Lease } from './lease.ts';
import { checkQuorumSize, decideStaticQuorum } from './static-quorum.ts';
import type { DowningDecision, DowningView } from './view.ts';

/** The strategy names, as a closed vocabulary. */
export type DowningStrategyName = 'keep-majority' | 'static-quorum' | 'keep-oldest' | 'lease';

/**
 * How a cluster decides which side of a partition survives (Akka's Split Brain Resolver). Every
 * node runs the same resolver on its own view; all must use the same settings.
 * - `keep-majority` (the default): the side with more than half the members survives; a tie keeps
 *   the side with the lowest node id.
 * - `static-quorum`: a side with at least `quorumSize` members survives (set it above half the
 *   cluster's size).
 * - `keep-oldest`: the side with the oldest member survives; `downIfAlone` (default true) downs an
 *   oldest member cut off alone instead.
 * - `lease`: the side whose leader acquires `lease` (e.g. {@link createPgLease}) survives; a
 *   minority side's leader waits `acquireDelayForMinorityMs` (default 2 000) first; the winner
 *   holds the lease `holdMs` (default 3 × `stableAfterMs`) and then releases it.
 *
 * `stableAfterMs` (default 7 000): how long the set of unreachable members must stay unchanged
 * before deciding. Shorter downs faster but may down members through a long GC pause.
 */
export type DowningOptions = { readonly stableAfterMs?: number } & (
  | { readonly strategy: 'keep-majority' }
  | { readonly strategy: 'static-quorum'; readonly quorumSize: number }
  | { readonly strategy: 'keep-oldest'; readonly downIfAlone?: boolean }
  | { readonly strategy: 'lease'; readonly lease: Lease; readonly acquireDelayForMinorityMs?: number; readonly holdMs?: number }
);

/** The default stable period before a decision, in ms. */
export const DEFAULT_STABLE_AFTER_MS = 7_000;

/** What the resolver tells the membership to do. */
export type DowningAction = 'down-unreachable' | 'down-reachable';

/** Validates downing options; misuse throws `invalid-argument` saying how to fix it. */
export function checkDowningOptions(o: DowningOptions): void {
  const stable = o.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
  if (!(stable >= 0) || !Number.isFinite(stable)) throw new TroupeError('invalid-argument', `downing: stableAfterMs must be a finite number of ms ≥ 0, got ${stable}; the default is ${DEFAULT_STABLE_AFTER_MS}.`);
  switch (o.strategy) {
    case 'keep-majority': case 'keep-oldest': return;
    case 'static-quorum': checkQuorumSize(o.quorumSize); return;
    case 'lease':
      if (typeof o.lease?.tryAcquire !== 'function') throw new TroupeError('invalid-argument', 'downing: the lease strategy needs a `lease` ({ tryAcquire, release }), e.g. createPgLease({ connection: url }).');
      return;
    default:
      throw new TroupeError('invalid-argument', `downing: unknown strategy '${String((o as { strategy: unknown }).strategy)}'; use 'keep-majority', 'static-quorum', 'keep-oldest' or 'lease'.`);
  }
}

export class SplitBrainResolver {
  private signature = '';
  private stableSince = 0;
  private pending = false;
  private readonly timers = new Set<TimerId>();
  private stopped = false;
  readonly stableAfterMs: number;

  constructor(private readonly options: DowningOptions, private readonly scheduler: Scheduler) {
    checkDowningOptions(options);
    this.stableAfterMs = options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS;
  }

  get strategy(): DowningStrategyName { return this.options.strategy; }

  /** Forgets the stable period: what this node saw before (e.g. its own pause) is not evidence. */
  reset(): void { this.signature = ''; }

  /** Looks at the view on a membership tick; calls `act` once the strategy has decided. */
  evaluate(view: DowningView, now: number, act: (action: DowningAction) => void): void {
    if (this.stopped) return;
    const sig = view.members.map((m) => `${m.node}:${m.incarnation}:${m.reachable || m.node === view.self ? 'r' : 'u'}`).join(' ');
    if (sig !== this.signature) { this.signature = sig; this.stableSince = now; return; }
    if (this.pending || now - this.stableSince < this.stableAfterMs) return;
    const decision = this.decide(view);
    if (decision === 'down-unreachable' || decision === 'down-reachable') { act(decision); return; }
    if (decision !== 'acquire-lease' || this.options.strategy !== 'lease') return;
    const { lease } = this.options;
    const delay = isMinority(view) ? this.options.acquireDelayForMinorityMs ?? 2_000 : 0;
    const holdMs = this.options.holdMs ?? 3 * this.stableAfterMs;
    this.pending = true;
    this.after(delay, () => {
      void lease.tryAcquire().catch(() => false).then((held) => {
        this.pending = false;
        if (this.stopped) { if (held) void lease.release().catch(() => {}); return; }
        if (held) this.after(holdMs, () => { void lease.release().catch(() => {}); });
        // the view changed while acquiring: decide again on the next tick
        if (sig === this.signature) act(held ? 'down-unreachable' : 'down-reachable');
      });
    });
  }

  /** Stops deciding and releases a held lease. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) this.scheduler.cancelTimer(t);
    this.timers.clear();
    if (this.options.strategy === 'lease') void this.options.lease.release().catch(() => {});
  }

  private decide(view: DowningView): DowningDecision {
    const o = this.options;
    switch (o.strategy) {
      case 'keep-majority': return decideKeepMajority(view);
      case 'static-quorum': return decideStaticQuorum(view, o.quorumSize);
      case 'keep-oldest': return decideKeepOldest(view, o.downIfAlone ?? true);
      case 'lease': return decideLease(view);
    }
  }

  private after(ms: number, fn: () => void): void {
    const t = this.scheduler.startTimer(ms, () => { this.timers.delete(t); fn(); });
    this.timers.add(t);
  }
}
