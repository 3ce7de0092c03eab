// The probe lane of an actor cell: requests that travel in mailbox order (behind the messages
// already queued) but are answered without its receive — probe requests, by the definition's
// probe hooks; tasks, by the runtime (a drain's "all caught up?") — and the timing of a few
// messages after each probe answer. Nothing of it runs per message while it is idle.

import type { ActorContext } from '../context.ts';
import type { DeliveryResult, Process } from './process.ts';

/**
 * @internal What a probed definition gives the runtime (`ActorDefinition.probes`, set by
 * `withProbes`). The cell calls `answer` once every message queued before the request has been
 * handled and no handler is in flight; the others when a timed message ends, a handler throws or
 * rejects, and the actor restarts. Each gets the instance's {@link ProbeLane} (kept across restarts).
 */
export interface ProbeHooks {
  answer(state: unknown, request: unknown, ctx: ActorContext<unknown>, lane: ProbeLane): void;
  timed(lane: ProbeLane, durationMs: number, endMs: number): void;
  failed(lane: ProbeLane, atMs: number): void;
  restarted(lane: ProbeLane, atMs: number): void;
}

/** What the lane reads and sets on its cell. */
export interface LaneCell {
  readonly mailbox: { readonly size: number; readonly processed: number };
  /** The lane now has (or no longer has) work: pending requests or messages to time. */
  laneChanged(): void;
}

/** @internal A lane request the runtime runs itself, with the count of messages the actor has handled. */
export type LaneTask = (processed: number) => void;

/** @internal One instance's lane: its pending requests, its timing countdown and the hooks' own data. */
export class ProbeLane {
  /** The hooks' data for this instance (its signal window), kept across restarts. */
  data: unknown = undefined;
  /** Requests waiting for the messages ahead of them, oldest first, with the `processed` count each waits for. */
  readonly pending: unknown[] = [];
  readonly marks: number[] = [];
  /** Messages still to time: 0 none, `Infinity` every one until told otherwise. */
  timeLeft = 0;
  /** When the timed async handler in flight started (-1: none is timed), and its actor's incarnation. */
  asyncT0 = -1;
  asyncEpoch = 0;

  constructor(private readonly cell: LaneCell) {}

  /** User messages the instance has handled (taken from its mailbox), restarts included. */
  get processed(): number { return this.cell.mailbox.processed; }

  /** Messages waiting in its mailbox. */
  get depth(): number { return this.cell.mailbox.size; }

  /** Times the next `n` messages (each to its end, async handlers included); 0 stops timing. */
  timeNext(n: number): void {
    this.timeLeft = n > 0 ? n : 0;
    this.cell.laneChanged();
  }

  /** Queues a request behind the messages in the mailbox now. */
  add(request: unknown): void {
    this.pending.push(request);
    this.marks.push(this.cell.mailbox.processed + this.cell.mailbox.size);
    this.cell.laneChanged();
  }

  /** The oldest request if every message ahead of it has been handled (or the mailbox is empty), else undefined; removed when returned. */
  takeDue(): unknown {
    if (this.pending.length === 0) return undefined;
    const mb = this.cell.mailbox;
    if (mb.size > 0 && mb.processed < this.marks[0]) return undefined;
    this.marks.shift();
    return this.pending.shift();
  }

  /** `n` messages were put back at the front of the mailbox (unstash, restart): they are ahead of every pending request. */
  shift(n: number): void {
    for (let i = 0; i < this.marks.length; i++) this.marks[i] += n;
  }

  /** Empties the lane of requests (the actor died): returns them. */
  takeAll(): unknown[] {
    const all = this.pending.splice(0);
    this.marks.length = 0;
    return all;
  }
}

/**
 * @internal Runs `task(processed)` once every message queued to the local actor behind `target`
 * before now has been handled and no handler is in flight — in mailbox order, without its
 * receive. False (and `task` never runs) when `target` is not a live local actor; a task still
 * waiting when the actor stops is dropped.
 */
export function afterQueued(target: Process, task: LaneTask): boolean {
  const t = target as ProbeTarget;
  return t.deliverProbe !== undefined && t.deliverProbe(task) === 0;
}

/** A process that may have a probe lane: local actor cells. */
interface ProbeTarget extends Process {
  deliverProbe?(request: unknown): DeliveryResult;
}

/**
 * Delivers a probe request: into the lane of a local actor whose definition has probe hooks,
 * else as an ordinary user message (a remote ref sends it as one).
 */
export function deliverProbe(target: Process, request: unknown): DeliveryResult {
  const t = target as ProbeTarget;
  return t.deliverProbe !== undefined ? t.deliverProbe(request) : target.deliverUser(request);
}
