// A system on virtual time for tests: one node of a simulated world. advance(ms), runUntilIdle(),
// probes, a readable log of every step, seeded exploration, a replayable trace, and escape detection.

import { createSystemWith, type ActorSystem, type SystemOptions } from '../system.ts';
import { TroupeError } from '../errors.ts';
import type { SystemTerminationReason } from '../events.ts';
import { createProbe, type TestProbe } from './probe.ts';
import { TraceRecorder, type TraceEntry } from './trace.ts';
import { tracingOptionsOf, type TracingOptions } from '../observe/tracing.ts';
import type { SimTrace } from './sim-trace.ts';
import { worldFor } from './internal/world.ts';
import { driverOf } from './virtual-driver.ts';

/** How long `terminate()` lets virtual time run for the actors to stop (shutdown timeouts included). */
const TERMINATE_WITHIN_MS = 24 * 3_600_000;

/**
 * Options of {@link createTestSystem}: all of {@link SystemOptions} but the scheduler and random,
 * plus: `seed` (default 1) for random, ids and exploration; `explore` (default false) to let the
 * seeded scheduler choose which ready step runs next — an actor's turn (one message each), an
 * ask's reply reaching the code awaiting it, an async handler's end — instead of the oldest;
 * `replay` to follow a recorded {@link SimTrace} step by step (its seed and exploration are used);
 * `startMs` (default 0) for the virtual clock; `escapes` (default `'fail'`): simulated code that
 * starts real asynchronous work (a real timer, file or socket I/O — e.g. a file or pg journal) halts
 * the system with `simulation-escape` naming it, `'allow'` accepts it (runs may then differ);
 * `record` (default true) to keep the steps for `simTrace()`.
 */
export interface TestSystemOptions extends Omit<SystemOptions, 'scheduler' | 'random'> {
  readonly seed?: number;
  readonly explore?: boolean;
  readonly replay?: SimTrace;
  readonly startMs?: number;
  readonly escapes?: 'fail' | 'allow';
  readonly record?: boolean;
}

/** An actor system on virtual time, with test controls. */
export interface TestSystem extends ActorSystem {
  /** Moves virtual time forward by `ms`, firing due timers in order and letting actors run after each. */
  advance(ms: number): Promise<void>;
  /** Lets every ready step run until nothing is left to do at the current virtual time. */
  runUntilIdle(): Promise<void>;
  /** Runs (advancing time timer by timer) until `ready()` or `timeoutMs` passed; returns whether ready. */
  runUntil(ready: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Virtual milliseconds. */
  now(): number;
  /** A probe actor named `name` (default `probe-N`). */
  createProbe<T>(name?: string): TestProbe<T>;
  /** A readable log of the run: every turn, delivery, timer firing, failure and lifecycle event. */
  readonly trace: readonly TraceEntry[];
  /** The replayable trace: seed and every step (with its `end` once terminated). */
  simTrace(): SimTrace;
  /** Steps run so far. */
  readonly steps: number;
  /**
   * Stops every actor, letting virtual time run for their shutdowns (so it never waits for someone
   * else to advance time); rejects with `simulation-stuck` if they are still not stopped after 24 h
   * of virtual time, with `replay-diverged` if a replay ended early.
   */
  terminate(): Promise<SystemTerminationReason>;
}

/**
 * Creates a test system on virtual time.
 * @example
 * const kit = createTestSystem({ seed: 7 });
 * const probe = kit.createProbe<number>();
 * counter.tell({ type: 'get', replyTo: probe.ref });
 * await probe.expectMessage(0);
 */
export function createTestSystem(options: TestSystemOptions = {}): TestSystem {
  const world = worldFor({ ...options, faults: [] });
  const slot = world.slot(options.node ?? 'local');
  const recorder = new TraceRecorder();
  recorder.clock = world.clock;
  slot.tracer = recorder;
  const system = createSystemWith(
    {
      ...options, scheduler: slot.scheduler, random: world.random(0), throughput: world.explore ? 1 : options.throughput,
      log: options.log ?? { level: 'silent' }, tracing: onVirtualTime(options.tracing),
    },
    { tracer: recorder, dispatcher: (throughput) => slot.dispatcher(throughput), sim: slot.hooks },
  );
  recorder.follow(system.events$);
  const driver = driverOf(world);
  const terminate = system.terminate.bind(system);
  let probes = 0;

  const kit = system as TestSystem;
  Object.defineProperties(kit, {
    advance: { value: driver.advance },
    runUntilIdle: { value: driver.runUntilIdle },
    runUntil: { value: driver.runUntil },
    now: { value: () => world.now },
    trace: { get: () => recorder.entries },
    steps: { get: () => world.steps },
    simTrace: { value: () => world.trace() },
    createProbe: {
      value: <T>(name?: string): TestProbe<T> =>
        createProbe<T>((def, n) => system.spawn(def, n) as never, driver, name ?? `probe-${++probes}`),
    },
    terminate: {
      value: async (): Promise<SystemTerminationReason> => {
        const reason = terminate();
        if (!(await world.drive(world.now + TERMINATE_WITHIN_MS, () => system.isTerminated))) {
          throw new TroupeError('simulation-stuck', `terminate: the actors did not stop within 24 h of virtual time; still running: ${unstopped(system)}. An actor awaits something that never settles (its shutdown is 'infinity').`);
        }
        world.dispose();
        world.checkReplayComplete();
        return reason;
      },
    },
  });
  return kit;
}

function unstopped(system: ActorSystem): string {
  const out: string[] = [];
  const walk = (n: ReturnType<ActorSystem['inspect']>): void => {
    if (n.status !== 'stopped' && n.path !== '/user') out.push(`${n.path} (${n.status})`);
    n.children.forEach(walk);
  };
  walk(system.inspect());
  return out.length === 0 ? 'the guardian' : out.slice(0, 8).join(', ');
}

/** Tracing on virtual time stamps spans from epoch 0 (the same spans on every run), unless told otherwise. */
export function onVirtualTime(tracing: TracingOptions | boolean | undefined): TracingOptions | undefined {
  const o = tracingOptionsOf(tracing);
  return o === undefined || o.epochMs !== undefined ? o : { ...o, epochMs: 0 };
}
