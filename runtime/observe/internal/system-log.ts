// A system's one pino logger: created on first use, JSON lines stamped with the system clock,
// `system`/`node` on every line, and the ids of the message being handled (trace, span,
// correlation, causation) added to each line by a mixin. Actors get cached child loggers.

import { destination, pino, transport, type DestinationStream, type Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { realClock, wallClockMs } from '../../real-clock.ts';
import { checkLogOptions, LOG_LEVEL_VALUES, type LogLevel, type LogOptions, type LogLine } from '../log-options.ts';
import type { TraceIds } from '../trace-context.ts';
import { correlationOf } from './message-context.ts';

/** An actor as the logger sees it. */
export interface LoggedActor {
  readonly path: string;
  readonly def: { readonly name: string };
}

/** Where the logger learns what is being handled right now (the observer). */
export interface HandlingContext {
  /** The actor whose handler runs now (synchronously), if any. */
  readonly cell: LoggedActor | null;
  /** The message `cell` is handling (also across the awaits of an async handler), if known. */
  messageOf(cell: LoggedActor): unknown;
  /** The trace of the message `cell` handles (its `process` span; tracing on, sampled), if any. */
  traceOf(cell: LoggedActor | null, msg: unknown): TraceIds | undefined;
}

/** What one rate-limited report key remembers. */
interface Limit { at: number; suppressed: number }

/** The logger of one system. */
export class SystemLog {
  private rootLogger: Logger | null = null;
  private readonly byCell = new WeakMap<LoggedActor, Logger>();
  private readonly cellOf = new WeakMap<Logger, LoggedActor>();
  private readonly limits = new Map<string, Limit>();
  /** Set by the observer when one is installed. */
  context: HandlingContext | null = null;
  readonly level: LogLevel;

  constructor(
    private readonly options: LogOptions,
    private readonly system: string,
    private readonly node: string,
    private readonly clock: Clock,
    where: string,
  ) {
    checkLogOptions(options, where);
    this.level = options.level ?? 'info';
  }

  /** True when nothing is ever logged (no logger is created at all). */
  get silent(): boolean { return this.level === 'silent'; }

  /** The system's root logger (created on first use). */
  get root(): Logger {
    return this.rootLogger ??= this.create();
  }

  /** Whether `level` lines are written now (false without creating the logger when silent). */
  enabled(level: Exclude<LogLevel, 'silent'>): boolean {
    if (this.silent) return false;
    return this.root.levelVal <= LOG_LEVEL_VALUES[level];
  }

  /** The child logger of an actor: `actor` (path) and `actor_class` on every line; cached per actor. */
  forCell(cell: LoggedActor): Logger {
    let l = this.byCell.get(cell);
    if (l === undefined) {
      l = this.root.child({ actor: cell.path, actor_class: cell.def.name });
      this.byCell.set(cell, l);
      this.cellOf.set(l, cell);
    }
    return l;
  }

  /**
   * Rate limit for repeated reports: true at most once per `windowMs` of the system clock per
   * `key`; `suppressed()` then tells how many were dropped since the last one let through.
   */
  allow(key: string, windowMs: number): number | false {
    const now = this.clock.now();
    const l = this.limits.get(key);
    if (l !== undefined && now - l.at < windowMs) { l.suppressed++; return false; }
    if (this.limits.size >= 1_000 && l === undefined) this.limits.clear();
    const suppressed = l?.suppressed ?? 0;
    this.limits.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }

  private create(): Logger {
    const clock = this.clock;
    // Epoch milliseconds on the real clock; the clock's own (virtual) milliseconds otherwise.
    const offset = clock === realClock ? wallClockMs() - realClock.now() : 0;
    return pino({
      level: this.level,
      base: { system: this.system, node: this.node },
      timestamp: () => `,"time":${Math.round(offset + clock.now())}`,
      mixin: (_merge, _level, logger) => this.contextFields(logger as Logger),
    }, destinationOf(this.options));
  }

  /** trace/span and correlation/causation ids of what the logging actor (or the running one) handles. */
  private contextFields(logger: Logger): Record<string, string> {
    const ctx = this.context;
    if (ctx === null) return {};
    const cell = this.cellOf.get(logger) ?? ctx.cell;
    if (cell === null) return {};
    const msg = ctx.messageOf(cell);
    const out: Record<string, string> = {};
    const t = ctx.traceOf(cell, msg);
    if (t !== undefined) { out.traceId = t.traceId; out.spanId = t.spanId; }
    const c = correlationOf(msg);
    if (c.correlationId !== undefined) out.correlationId = c.correlationId;
    if (c.causationId !== undefined) out.causationId = c.causationId;
    return out;
  }
}

/** pino destination for the options (stdout by default, written synchronously). */
function destinationOf(o: LogOptions): DestinationStream {
  const d = o.destination ?? 'stdout';
  if (d === 'stdout') return destination({ dest: 1, sync: true });
  if (d === 'stderr') return destination({ dest: 2, sync: true });
  if (typeof d === 'function') {
    return { write: (line: string) => { try { d(JSON.parse(line) as LogLine); } catch { /* a failing sink must not break the system */ } } };
  }
  if ('file' in d && typeof d.file === 'string') return destination({ dest: d.file, mkdir: true, sync: true });
  if ('transport' in d && typeof d.transport === 'object') return transport(d.transport) as DestinationStream;
  return d as DestinationStream;
}
