// The observer: the one object the runtime's hooks call when metrics or logging are on. It knows
// which actor is handling which message (for log lines), times sampled handlers and asks, counts
// dead letters, keeps what dead actors leave behind, and logs supervision and delivery failures.

import type { TerminationReason } from '../../behavior.ts';
import type { Clock } from '../../clock.ts';
import type { DeadLetterReason, SystemEvent } from '../../events.ts';
import type { Process } from '../../internal/process.ts';
import type { ActorMetrics, WalkedCell } from './actor-metrics.ts';
import { LOG_LEVEL_VALUES } from '../log-options.ts';
import type { HandlingContext, LoggedActor, SystemLog } from './system-log.ts';
import type { TraceIds } from '../trace-context.ts';
import type { TraceHost } from '../tracing.ts';

/** An actor cell as the observer uses it. */
export interface ObservedCell extends WalkedCell, LoggedActor, Process {
  /** Incarnation: an async result of an older one is ignored. */
  readonly epoch: number;
}

/** An ask's reply address as the observer uses it. */
export interface ObservedAsk {
  readonly targetProcess: Process;
  readonly timer: { readonly at: number } | null;
  /** When it was sent, if it is timed; -1 if not. */
  startedAt: number;
  weight: number;
}

/** An async handler in flight: its message (for log lines after an await) and, if timed, its start and weight. */
interface InFlight { readonly msg: unknown; readonly epoch: number; t0: number; weight: number }

/** Reasons that mean a real problem (capacity, protocol); the others mean the recipient is gone. */
const WARN_REASONS: ReadonlySet<DeadLetterReason> = new Set<DeadLetterReason>([
  'mailbox-full', 'mailbox-evicted', 'backoff-overflow', 'link-overflow', 'unknown-message-type', 'unsupported-version', 'schema-invalid', 'malformed-payload',
]);

/** Dead-letter lines per reason: at most one per this many ms of the system clock (the line says how many were not logged). */
export const DEAD_LETTER_LOG_WINDOW_MS = 10_000;

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Hooks of one system (see system-core.ts for where they are called). */
export class Observer implements HandlingContext {
  /** The actor whose turn runs now. */
  cell: ObservedCell | null = null;
  /** The message that actor handles now (the cell sets it before each message of a turn). */
  private now: { msg: unknown } = { msg: undefined };
  /** When the current turn started, if it is timed; -1 if not. */
  private t0 = -1;
  /** Whether log lines may be written (then the cell tells which message it handles). */
  private readonly logsContext: boolean;
  private inFlight: Map<ObservedCell, InFlight> | null = null;
  /** The async handler that began in the current turn, if any. */
  private asyncNow: InFlight | null = null;
  /** Lifecycle events (`spawned`, `stopped`) are wanted only for debug logs. */
  readonly wantsLifecycle: boolean;

  constructor(
    private readonly clock: Clock,
    readonly metrics: ActorMetrics | null,
    readonly log: SystemLog,
    /** The system's tracing (null when off): log lines carry the trace of the message being handled. */
    private readonly tracing: TraceHost | null = null,
  ) {
    log.context = this;
    this.logsContext = !log.silent;
    this.wantsLifecycle = !log.silent && LOG_LEVEL_VALUES[log.level as 'debug'] <= LOG_LEVEL_VALUES.debug;
  }

  // ---- the message being handled -------------------------------------------------------------

  /**
   * A turn of `cell` begins. Returns the holder the cell puts each message of the turn in (a fresh,
   * young object: storing young messages in it skips the GC's old-to-young write barrier, which
   * storing into the long-lived observer cost ~1 ns a message), or null when nothing logs.
   */
  turnStarted(cell: ObservedCell): { msg: unknown } | null {
    this.cell = cell;
    const m = this.metrics;
    if (m !== null) {
      this.asyncNow = null;
      this.t0 = m.handlers.tick() ? this.clock.now() : -1;
    }
    return this.logsContext ? (this.now = { msg: undefined }) : null;
  }

  /** `cell`'s handler of `msg` returned a promise: the actor is busy until {@link settled}. */
  wentAsync(cell: ObservedCell, msg: unknown): void {
    const f: InFlight = { msg, epoch: cell.epoch, t0: -1, weight: 0 };
    (this.inFlight ??= new Map()).set(cell, f);
    if (this.metrics !== null) this.asyncNow = f;
  }

  /**
   * The turn ran `n` messages. A timed turn records its time divided by its messages, once per
   * message it stands for; a message still in flight (async) is timed to its settlement.
   */
  turnEnded(cell: ObservedCell, n: number): void {
    this.cell = null;
    if (this.metrics === null) return; // the rest times the turn
    const t0 = this.t0;
    if (t0 < 0 || n === 0) return;
    const m = this.metrics!;
    const w = m.handlers.weight;
    const dt = this.clock.now() - t0;
    m.handlers.observed(dt);
    const pending = this.asyncNow;
    if (pending === null) { m.handled(cell.def.name, dt / n, n * w); return; }
    // the last message went async: the others share the turn's time, it is timed to its settlement
    if (n > 1) m.handled(cell.def.name, dt / n, (n - 1) * w);
    pending.t0 = t0 + (dt * (n - 1)) / n;
    pending.weight = w;
  }

  /** `cell`'s async handler of incarnation `epoch` settled. */
  settled(cell: ObservedCell, epoch: number): void {
    const f = this.inFlight?.get(cell);
    if (f === undefined || f.epoch !== epoch) return;
    this.inFlight!.delete(cell);
    if (f.t0 >= 0 && this.metrics !== null) this.metrics.handled(cell.def.name, this.clock.now() - f.t0, f.weight);
  }

  messageOf(cell: LoggedActor): unknown {
    if (cell === this.cell) return this.now.msg;
    return this.inFlight?.get(cell as ObservedCell)?.msg;
  }

  /**
   * The trace of what `cell` handles: while its turn runs, the active context (its message's
   * `process` span, or a span it opened); after an await in its async handler, that handler's
   * message span. While another actor's turn runs (`cell` logs through a logger it handed out),
   * only the latter. Undefined when tracing is off or the message is in no sampled trace.
   */
  traceOf(cell: LoggedActor | null, _msg: unknown): TraceIds | undefined {
    const t = this.tracing;
    if (t === null || cell === null) return undefined;
    if (this.cell !== null && this.cell !== cell) return t.pendingContext(cell);
    return t.contextFor(cell) ?? undefined;
  }

  // ---- lifecycle and supervision --------------------------------------------------------------

  /** An actor died with `reason` (its counters are kept for its class). */
  retire(cell: ObservedCell, reason: TerminationReason): void {
    this.metrics?.retired(cell);
    this.inFlight?.delete(cell);
    if (reason.kind === 'failure' && this.log.enabled('error')) {
      this.log.root.error({ actor: cell.path, actor_class: cell.def.name, err: reason.error }, `${cell.path} stopped by a failure: ${describe(reason.error)}`);
    } else if (this.wantsLifecycle) {
      this.log.root.debug({ actor: cell.path, actor_class: cell.def.name, reason: reason.kind }, `${cell.path} stopped (${reason.kind})`);
    }
  }

  /** The system's events, as emitted (restarts and escalations always; the rest when lifecycle is wanted). */
  event(e: SystemEvent): void {
    const log = this.log;
    switch (e.type) {
      case 'restarted':
        if (log.enabled('warn')) log.root.warn({ actor: e.path, err: e.cause, restarts: e.restarts }, `${e.path} restarted after a failure: ${describe(e.cause)}`);
        return;
      case 'escalated':
        if (log.enabled('error')) {
          const what = e.why === 'intensity' ? `gave up: ${describe(e.error)}` : `escalated the failure of ${e.child}: ${describe(e.error)}`;
          log.root.error({ actor: e.path, child: e.child, why: e.why, err: e.error }, `${e.path} ${what}`);
        }
        return;
      case 'hook-failed':
        if (log.enabled('warn')) log.root.warn({ actor: e.path, signal: e.signal, err: e.error }, `${e.path}: its ${e.signal} hook threw: ${describe(e.error)}`);
        return;
      case 'spawned':
        if (this.wantsLifecycle) log.root.debug({ actor: e.path }, `${e.path} spawned`);
        return;
      case 'system-terminated':
        if (this.wantsLifecycle) log.root.debug({ reason: e.reason.kind }, `system terminated (${e.reason.kind})`);
        return;
      default:
        return;
    }
  }

  // ---- delivery failures and asks ---------------------------------------------------------------

  deadLetter(recipient: Process, msg: unknown, reason: DeadLetterReason): void {
    this.metrics?.deadLetter(recipient, reason);
    const log = this.log;
    const level = WARN_REASONS.has(reason) ? 'warn' : 'debug';
    if (!log.enabled(level)) return;
    const suppressed = log.allow(`dead-letter|${reason}`, DEAD_LETTER_LOG_WINDOW_MS);
    if (suppressed === false) return;
    const messageType = typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' ? (msg as { type: string }).type : undefined;
    log.root[level]({ recipient: recipient.address.path, reason, messageType, suppressed },
      `dead letter to ${recipient.address.path} (${reason})${suppressed > 0 ? `; ${suppressed} more with this reason were not logged` : ''}`);
  }

  askStarted(ask: ObservedAsk, timeoutMs: number): void {
    const m = this.metrics;
    if (m === null) return;
    m.askStarted(ask.targetProcess);
    if (m.asks.tick() && ask.timer !== null) {
      ask.startedAt = ask.timer.at - timeoutMs; // the timer read the clock already
      ask.weight = m.asks.weight;
    }
  }

  askReplied(ask: ObservedAsk): void {
    if (ask.startedAt < 0 || this.metrics === null) return;
    this.metrics.askReplied(ask.targetProcess, this.clock.now() - ask.startedAt, ask.weight);
  }

  askTimedOut(ask: ObservedAsk): void {
    this.metrics?.askTimedOut(ask.targetProcess);
  }
}
