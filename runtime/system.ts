// The actor system: owns the clock, scheduler, random, ids, dispatcher and the guardian under
// which every user actor lives; exposes spawn, lookup, terminate, events$ and inspect.

import { Observable, Subject } from 'rxjs';
import { ActorRef } from './actor-ref.ts';
import { failAsksIn, type AskProcess } from './ask.ts';
import { defineActor, type ActorDefinition } from './behavior.ts';
import type { Clock, Scheduler } from './clock.ts';
import { TroupeError } from './errors.ts';
import { messageTypeOf, type DeadLetterReason, type SystemEvent, type SystemTerminationReason } from './events.ts';
import { createIdSource, type IdSource } from './ids.ts';
import { inspectCell, type InspectNode } from './inspect.ts';
import { ActorCell } from './internal/actor-cell.ts';
import { Dispatcher, type DispatcherLike } from './internal/dispatcher.ts';
import { AskRegistry } from './internal/ask-registry.ts';
import type { Process } from './internal/process.ts';
import type { SimHooks, SystemCore, Tracer } from './internal/system-core.ts';
import { createSeededRandom, type Random } from './random.ts';
import { createRealRandom, createRealScheduler } from './real-clock.ts';
import type { SpawnOptions } from './spawn-options.ts';
import { TraceHost, tracingOptionsOf, type Tracing, type TracingOptions } from './observe/tracing.ts';
import { TracedMessage } from './observe/internal/traced-message.ts';
import type { SupervisionOptions } from '../supervisors/strategy.ts';
import type { Logger } from 'pino';
import { installObservability } from './observe/internal/install.ts';
import type { Observer } from './observe/internal/observer.ts';
import type { SystemLog } from './observe/internal/system-log.ts';
import type { LogOptions } from './observe/log-options.ts';
import type { MetricsHub, MetricsOptions, SystemMetrics } from './observe/metrics.ts';

/**
 * Options of {@link createSystem}. Defaults: name `'troupe'`, node `'local'`, the real clock and
 * scheduler, a random seeded from the OS (or from `seed`), nanoid ids from that random,
 * `throughput` 100 messages per actor turn, `yieldEvery` 10 000 messages and `yieldAfterMs`
 * 5 ms of dispatch before yielding to timers and I/O, `askTimeoutMs` 5 000, and the guardian's
 * supervision of top-level actors (default: one-for-one, restart, 3 restarts within 5 000 ms).
 *
 * Actors run on microtasks; the dispatcher yields a macrotask (the scheduler's `yieldThen`) once it has run
 * `yieldEvery` messages or for `yieldAfterMs` (on the scheduler's clock) since the last
 * macrotask, whichever comes first. Both count across drains, so a loop that awaits local asks
 * yields too. The time is read between actor turns (a turn is at most `throughput` messages), so
 * one long turn can overrun it; on virtual time the clock stands still and only the count applies.
 */
export interface SystemOptions {
  readonly name?: string;
  readonly node?: string;
  readonly scheduler?: Scheduler;
  readonly random?: Random;
  readonly seed?: number;
  readonly ids?: IdSource;
  readonly throughput?: number;
  /** Messages run on microtasks before yielding to timers and I/O (default 10 000; integer ≥ 1). */
  readonly yieldEvery?: number;
  /** Milliseconds of dispatch before yielding to timers and I/O (default 5; > 0, `Infinity` = off). */
  readonly yieldAfterMs?: number;
  readonly askTimeoutMs?: number;
  readonly guardian?: SupervisionOptions;
  /** Metrics on `system.metrics` and /metrics (see {@link MetricsOptions}); default off. */
  readonly metrics?: boolean | MetricsOptions;
  /** The system's JSON logger (see {@link LogOptions}); default level `info` to stdout. */
  readonly log?: LogOptions;
  /** Distributed tracing (OpenTelemetry): off by default; `true` or options turn it on (see {@link TracingOptions}). */
  readonly tracing?: TracingOptions | boolean;
}

/**
 * @internal What a simulation adds: a tracer, its own dispatcher (one scheduler for every node,
 * built for the system's throughput), and hooks that make continuations steps of the simulation.
 */
export interface SystemInternals {
  readonly tracer?: Tracer;
  readonly dispatcher?: (throughput: number) => DispatcherLike;
  readonly sim?: SimHooks;
}

/** A running actor system. */
export interface ActorSystem {
  readonly name: string;
  readonly node: string;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly ids: IdSource;
  /** Spawns a top-level actor under `/user` (default restart `'transient'`). */
  spawn<M, S>(def: ActorDefinition<M, S>, name?: string, options?: SpawnOptions): ActorRef<M>;
  /** Stops a top-level actor (its subtree first). */
  stop(ref: ActorRef<never>): void;
  /** Finds a live local actor by path, e.g. `/user/shop/orders`. */
  lookup<M = unknown>(path: string): ActorRef<M> | undefined;
  /** Lifecycle, supervision and dead-letter events, as they happen. Completes at termination. */
  readonly events$: Observable<SystemEvent>;
  /** The supervision tree with each actor's mailbox counters. */
  inspect(): InspectNode;
  /** Number of dead letters so far. */
  readonly deadLetterCount: number;
  /** Tracing (spans, sampling, collector) when the `tracing` option turned it on, else undefined. */
  readonly tracing: Tracing | undefined;
  /** Stops every actor depth-first, rejects pending asks, resolves when done. */
  terminate(): Promise<SystemTerminationReason>;
  readonly whenTerminated: Promise<SystemTerminationReason>;
  readonly isTerminated: boolean;
  /** The system's metrics registry and /metrics renderer; undefined unless created with `metrics`. */
  readonly metrics: SystemMetrics | undefined;
  /** The system's pino logger (JSON lines with `system`, `node`, `time` on the system clock). */
  readonly log: Logger;
}

class System implements ActorSystem, SystemCore {
  readonly name: string;
  readonly node: string;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: Random;
  readonly ids: IdSource;
  readonly askTimeoutMs: number;
  readonly dispatcher: DispatcherLike;
  readonly tracer: Tracer | null;
  readonly observer: Observer | null;
  readonly logs: SystemLog;
  readonly metrics: MetricsHub | undefined;
  readonly traceHost: TraceHost | null;
  readonly sim: SimHooks | null;
  readonly asks = new AskRegistry<AskProcess>();
  askCounter = 0;
  terminated = false;
  deadLetterCount = 0;
  private readonly subject = new Subject<SystemEvent>();
  readonly events$: Observable<SystemEvent> = this.subject.asObservable();
  readonly whenTerminated: Promise<SystemTerminationReason>;
  private resolveTerminated!: (r: SystemTerminationReason) => void;
  private terminationReason: SystemTerminationReason | null = null;
  private readonly guardian: ActorCell;

  constructor(o: SystemOptions, internals: SystemInternals) {
    this.name = o.name ?? 'troupe';
    this.node = o.node ?? 'local';
    for (const [k, v] of [['name', this.name], ['node', this.node]] as const) {
      if (!/^[A-Za-z0-9_.:\-]{1,64}$/.test(v)) throw new TroupeError('invalid-argument', `createSystem: ${k} "${v}" must be 1–64 characters of letters, digits, _ . : -.`);
    }
    this.scheduler = o.scheduler ?? createRealScheduler();
    this.clock = this.scheduler.clock;
    this.random = o.random ?? (o.seed !== undefined ? createSeededRandom(o.seed) : createRealRandom());
    this.ids = o.ids ?? createIdSource(this.random);
    this.askTimeoutMs = o.askTimeoutMs ?? 5_000;
    const throughput = o.throughput ?? 100;
    const yieldEvery = o.yieldEvery ?? 10_000;
    const yieldAfterMs = o.yieldAfterMs ?? 5;
    if (!(Number.isInteger(throughput) && throughput >= 1) || !(Number.isInteger(yieldEvery) && yieldEvery >= 1) || !(this.askTimeoutMs > 0) || !(yieldAfterMs > 0)) {
      throw new TroupeError('invalid-argument', 'createSystem: throughput and yieldEvery must be integers ≥ 1, askTimeoutMs and yieldAfterMs > 0.');
    }
    this.tracer = internals.tracer ?? null;
    const tracing = tracingOptionsOf(o.tracing);
    this.traceHost = tracing === undefined ? null : new TraceHost(this, tracing);
    this.sim = internals.sim ?? null;
    this.dispatcher = internals.dispatcher?.(throughput) ??
      new Dispatcher(this.scheduler, throughput, yieldEvery, yieldAfterMs, internals.tracer ? (a) => internals.tracer!.turn(a) : null, this.traceHost?.drainScope ?? null);
    this.whenTerminated = new Promise((r) => { this.resolveTerminated = r; });
    const guardianDef = defineActor<never, undefined>({ name: 'guardian', init: () => undefined, receive: () => undefined, supervision: o.guardian });
    const obs = installObservability(o, this, () => this.guardian, 'createSystem');
    this.logs = obs.logs;
    this.metrics = obs.metrics;
    this.observer = obs.observer;
    this.guardian = new ActorCell(this, null, 'user', guardianDef as ActorDefinition<unknown, unknown>, { restart: 'permanent', shutdownMs: Infinity, significant: false, keep: false, mailbox: undefined }, 0);
  }

  get log(): Logger { return this.logs.root; }

  get api(): ActorSystem { return this; }
  get observed(): boolean { return this.subject.observed || (this.observer !== null && this.observer.wantsLifecycle); }
  get tracing(): Tracing | undefined { return this.traceHost ?? undefined; }
  get isTerminated(): boolean { return this.terminated; }

  emit(event: SystemEvent): void {
    if (this.observer !== null) this.observer.event(event);
    this.subject.next(event);
  }

  spawn<M, S>(def: ActorDefinition<M, S>, name?: string, options?: SpawnOptions): ActorRef<M> {
    return this.guardian.spawnChild(def as ActorDefinition<unknown, unknown>, name, options, 'transient').ref as ActorRef<M>;
  }

  stop(ref: ActorRef<never>): void {
    this.guardian.stop(ref);
  }

  lookup<M>(path: string): ActorRef<M> | undefined {
    const parts = path.split('/').filter((p) => p.length > 0);
    if (parts[0] !== 'user') return undefined;
    let cell: ActorCell | undefined = this.guardian;
    for (let i = 1; i < parts.length && cell; i++) cell = cell.kids?.get(parts[i]);
    return cell && cell.alive ? (cell.ref as ActorRef<M>) : undefined;
  }

  resolveLocal(path: string, uid: number): Process | undefined {
    if (path.startsWith('/temp/ask-')) {
      const p = this.asks.get(uid);
      return p !== undefined && p.address.path === path ? p : undefined;
    }
    const parts = path.split('/');
    if (parts[1] !== 'user') return undefined;
    let cell: ActorCell | undefined = this.guardian;
    for (let i = 2; i < parts.length && cell; i++) cell = cell.kids?.get(parts[i]);
    return cell !== undefined && cell.alive && cell.uid === uid && cell !== this.guardian ? cell : undefined;
  }

  inspect(): InspectNode {
    return inspectCell(this.guardian);
  }

  deadLetter(recipient: Process, msg: unknown, reason: DeadLetterReason): void {
    if (this.terminated) {
      throw new TroupeError('system-terminated', `Cannot send to ${recipient.address.path}: system "${this.name}" has terminated. Create a new system to send again.`);
    }
    if (msg instanceof TracedMessage) {
      this.traceHost?.deadLettered(msg, recipient.address.path, reason);
      msg = msg.msg;
    }
    this.deadLetterCount++;
    if (this.observer !== null) this.observer.deadLetter(recipient, msg, reason);
    failAsksIn(msg, () => askFailure(recipient.address.path, reason), recipient);
    if (this.subject.observed) {
      this.subject.next({ type: 'dead-letter', recipient: recipient.address.path, messageType: messageTypeOf(msg), message: msg, reason, atMs: this.clock.now() });
    }
  }

  terminate(): Promise<SystemTerminationReason> {
    this.beginTermination({ kind: 'requested' });
    return this.whenTerminated;
  }

  guardianFailed(error: unknown): void {
    this.beginTermination({ kind: 'escalated', error });
  }

  private beginTermination(reason: SystemTerminationReason): void {
    if (this.terminationReason !== null) return;
    this.terminationReason = reason;
    this.guardian.deliverSystem({ type: 'stop', reason: { kind: 'normal' }, byItself: false });
  }

  guardianStopped(): void {
    const reason = this.terminationReason ?? { kind: 'requested' as const };
    for (const p of this.asks.all()) {
      p.fail(new TroupeError('system-terminated', `System "${this.name}" terminated before a reply arrived.`));
    }
    this.emit({ type: 'system-terminated', reason, atMs: this.clock.now() });
    this.metrics?.close();
    this.terminated = true;
    this.subject.complete();
    this.resolveTerminated(reason);
  }
}

/** The error an ask gets when its request becomes a dead letter. */
function askFailure(target: string, reason: DeadLetterReason): TroupeError {
  const data = { target, reason };
  switch (reason) {
    case 'mailbox-full':
    case 'link-overflow':
      return new TroupeError('mailbox-full', `${target} rejected the request: its ${reason === 'mailbox-full' ? 'mailbox' : 'outbound link'} is full. Back off and retry, or raise its capacity.`, data);
    case 'unknown-message-type':
      return new TroupeError('unknown-message-type', `The request to ${target} has a message type no registry declares; define it in the MessageRegistry of both nodes.`, data);
    case 'unsupported-version':
      return new TroupeError('unsupported-version', `${target} cannot read this version of the request; upgrade the older node or add an upcaster.`, data);
    case 'schema-invalid':
      return new TroupeError('schema-invalid', `${target} rejected the request: its payload failed validation.`, data);
    case 'unknown-recipient':
      return new TroupeError('unknown-recipient', `${target} does not exist there (any more): the actor stopped or this is an old incarnation. Look the service up again.`, data);
    default:
      return new TroupeError('actor-dead', `${target} did not take the request (${reason}).`, data);
  }
}

/**
 * Creates an actor system.
 * @example
 * const system = createSystem({ name: 'shop' });
 * const ref = system.spawn(counter, 'counter');
 * ref.tell({ type: 'add', by: 1 });
 * await system.terminate();
 */
export function createSystem(options: SystemOptions = {}): ActorSystem {
  return new System(options, {});
}

/** @internal Used by the test kit. */
export function createSystemWith(options: SystemOptions, internals: SystemInternals): ActorSystem {
  return new System(options, internals);
}
