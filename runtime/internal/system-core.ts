// What the runtime's machinery needs from its system (the internal face of ActorSystem).

import type { Clock, Scheduler } from '../clock.ts';
import type { DeadLetterReason, SystemEvent } from '../events.ts';
import type { IdSource } from '../ids.ts';
import type { Random } from '../random.ts';
import type { ActorSystem } from '../system.ts';
import type { AskProcess } from '../ask.ts';
import type { DispatcherLike } from './dispatcher.ts';
import type { Process } from './process.ts';
import type { AskRegistry } from './ask-registry.ts';
import type { Observer } from '../observe/internal/observer.ts';
import type { SystemLog } from '../observe/internal/system-log.ts';
import type { TraceHost } from '../observe/tracing.ts';

/** Hooks a test kit installs to record every turn, delivery and timer firing. */
export interface Tracer {
  turn(actor: string): void;
  deliver(actor: string, msg: unknown): void;
  timer(actor: string, key: string): void;
}

/**
 * Hooks a simulation installs: `resume` runs `fn` (the settlement of an ask, or the end of an
 * async handler of `owner`) as a step the simulation schedules, so it controls when awaiting code
 * resumes (and a crashed node's never does).
 */
export interface SimHooks {
  resume(owner: Process, fn: () => void): void;
}

export interface SystemCore {
  readonly name: string;
  readonly node: string;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly ids: IdSource;
  readonly askTimeoutMs: number;
  readonly dispatcher: DispatcherLike;
  readonly tracer: Tracer | null;
  /** Metrics and log hooks; null when metrics are off and the log is silent (the hot path then pays one null check). */
  readonly observer: Observer | null;
  /** The system's logger (created on first use). */
  readonly logs: SystemLog;
  /** OpenTelemetry tracing of this system; null when off (the hot paths check only this). */
  readonly traceHost: TraceHost | null;
  /** Set in a simulation only. */
  readonly sim: SimHooks | null;
  readonly api: ActorSystem;
  askCounter: number;
  readonly asks: AskRegistry<AskProcess>;
  readonly terminated: boolean;
  /** True when someone listens to events$ (so events are only built when observed). */
  readonly observed: boolean;
  emit(event: SystemEvent): void;
  /** The live local process at `path` with incarnation `uid` (actors and pending asks), if any. */
  resolveLocal(path: string, uid: number): Process | undefined;
  deadLetter(recipient: Process, msg: unknown, reason: DeadLetterReason): void;
  guardianFailed(error: unknown): void;
  guardianStopped(): void;
}
