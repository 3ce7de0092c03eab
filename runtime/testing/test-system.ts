// A system on virtual time for tests: advance(ms), runUntilIdle(), probes, a trace of every
// step, seeded exploration of delivery orders, and replay of a recorded trace.

import { createSystemWith, type ActorSystem, type SystemOptions } from '../system.ts';
import { TroupeError } from '../errors.ts';
import { createRealScheduler } from '../real-clock.ts';
import { createVirtualDriver } from './virtual-driver.ts';
import { createSeededRandom } from '../random.ts';
import { createVirtualScheduler } from '../virtual-clock.ts';
import type { Picker } from '../internal/dispatcher.ts';
import { createProbe, type TestProbe } from './probe.ts';
import { TraceRecorder, type TraceEntry } from './trace.ts';
import { tracingOptionsOf, type TracingOptions } from '../observe/tracing.ts';

/**
 * Options of {@link createTestSystem}: all of {@link SystemOptions} but the scheduler, plus
 * `seed` (default 1) for random and ids, `explore` to let the seeded scheduler pick which ready
 * actor runs next (one message per turn), `replay` to follow the turns of a recorded trace,
 * and `startMs` (default 0) for the virtual clock. Its `log` defaults to `{ level: 'silent' }`: pass
 * `{ level: 'debug', destination: (record) => records.push(record) }` to assert on log lines.
 */
export interface TestSystemOptions extends Omit<SystemOptions, 'scheduler' | 'random'> {
  readonly seed?: number;
  readonly explore?: boolean;
  readonly replay?: readonly TraceEntry[];
  readonly startMs?: number;
}

/** An actor system on virtual time, with test controls. */
export interface TestSystem extends ActorSystem {
  /** Moves virtual time forward by `ms`, firing due timers in order and letting actors run after each. */
  advance(ms: number): Promise<void>;
  /** Lets every ready actor run until nothing is left to do at the current virtual time. */
  runUntilIdle(): Promise<void>;
  /** Runs (advancing time timer by timer) until `ready()` or `timeoutMs` passed; returns whether ready. */
  runUntil(ready: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Virtual milliseconds. */
  now(): number;
  /** A probe actor named `name` (default `probe-N`). */
  createProbe<T>(name?: string): TestProbe<T>;
  /** Every step so far. */
  readonly trace: readonly TraceEntry[];
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
  const real = createRealScheduler();
  const scheduler = createVirtualScheduler(options.startMs ?? 0, { soon: real.soon, yieldThen: real.yieldThen });
  const seed = options.seed ?? 1;
  const recorder = new TraceRecorder();
  recorder.clock = scheduler.clock;
  let picker: Picker | undefined;
  if (options.replay) picker = replayPicker(options.replay);
  else if (options.explore) {
    const choice = createSeededRandom(seed ^ 0x5bd1e995);
    picker = (ready, head) => head + choice.int(ready.length - head);
  }
  const system = createSystemWith(
    {
      ...options, scheduler, random: createSeededRandom(seed), throughput: picker ? 1 : options.throughput,
      log: options.log ?? { level: 'silent' }, tracing: onVirtualTime(options.tracing),
    },
    { picker, tracer: recorder },
  );
  recorder.follow(system.events$);
  let probes = 0;

  const driver = createVirtualDriver(scheduler, () => (system as unknown as { dispatcher: { queued: number } }).dispatcher.queued > 0);
  const { runUntilIdle, runUntil } = driver;

  const kit = system as TestSystem;
  Object.defineProperties(kit, {
    advance: { value: driver.advance },
    runUntilIdle: { value: runUntilIdle },
    runUntil: { value: runUntil },
    now: { value: () => scheduler.clock.now() },
    trace: { get: () => recorder.entries },
    createProbe: {
      value: <T>(name?: string): TestProbe<T> =>
        createProbe<T>((def, n) => system.spawn(def, n) as never, { runUntil, advance: driver.advance }, name ?? `probe-${++probes}`),
    },
  });
  return kit;
}

/** Follows the `turn` entries of a recorded trace; a divergence is reported at once. */
function replayPicker(trace: readonly TraceEntry[]): Picker {
  const turns = trace.filter((e) => e.kind === 'turn').map((e) => e.actor);
  let i = 0;
  return (ready, head) => {
    const want = turns[i++];
    for (let j = head; j < ready.length; j++) if (ready[j].path === want) return j;
    const actors = ready.slice(head).map((r) => r.path).join(', ');
    if (want === undefined) {
      throw new TroupeError('invalid-argument', `replay ran past the end of the recorded trace (${turns.length} turns) with ${actors} ready: replay the trace of a finished run (create the replaying system after \`await recorded.terminate()\`) and run the same scenario.`);
    }
    throw new TroupeError('invalid-argument', `replay diverged at turn ${i - 1}: the trace ran ${want} but the ready actors are ${actors}.`);
  };
}

/** Tracing on virtual time stamps spans from epoch 0 (the same spans on every run), unless told otherwise. */
export function onVirtualTime(tracing: TracingOptions | boolean | undefined): TracingOptions | undefined {
  const o = tracingOptionsOf(tracing);
  return o === undefined || o.epochMs !== undefined ? o : { ...o, epochMs: 0 };
}
