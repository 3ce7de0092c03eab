// The seed runner: runs a scenario on simulated clusters over many seeds (or for a time budget),
// checks invariants after each run and continuously, and for a failing seed prints the seed and a
// command that replays it, writes its trace, and shrinks its fault schedule.

import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isTroupeError, TroupeError } from '../errors.ts';
import { createSeededRandom, type Random } from '../random.ts';
import { createRealRandom, realClock } from '../real-clock.ts';
import { createSimCluster, type SimCluster, type SimClusterOptions } from './sim-cluster.ts';
import { describeFault, type SimFault } from './sim-faults.ts';
import { parseSimTrace, type SimTrace } from './sim-trace.ts';

/** What a scenario gets for one run. */
export interface SeedRun {
  readonly seed: number;
  /** A random for the scenario's own choices (orders, amounts), seeded from the run's seed. */
  readonly random: Random;
  /** This run's fault schedule (drawn by `faults`, shrunk, or replayed); `cluster()` applies it. */
  readonly faults: readonly SimFault[];
  /** Creates the run's simulated cluster: its seed, exploration, faults, replay and recording come from the run. */
  cluster(options: Omit<SimClusterOptions, 'seed' | 'explore' | 'replay' | 'faults' | 'record'>): Promise<SimCluster>;
  /**
   * An invariant checked while the run goes on, every `checkEvery` steps: `check` returns `true`
   * (or nothing) when it holds, `false` or a reason when not. The run stops at the first violation.
   */
  always(name: string, check: () => boolean | string | void): void;
}

/** An invariant over a finished run: `true` (or nothing) when it holds, `false` or a reason when not. */
export type Invariant<R> = (result: R, sim: SimCluster) => boolean | string | void;

/**
 * Options of {@link runSeeds}. Defaults: `seeds` 100 (unless `budgetMs`), starting from a random
 * seed — or only `TROUPE_SEED` when that environment variable is set, or the trace in the file
 * `TROUPE_TRACE` names; `explore` true; `checkEvery` 10 steps; `shrink` true; `traceDir`
 * `<os tmpdir>/troupe-sim`; `stopAtFirstFailure` true; `log` to stderr; `command` the command
 * that started this process.
 */
export interface RunSeedsOptions<R> {
  /** Names the scenario in messages and trace files. */
  readonly name: string;
  readonly scenario: (run: SeedRun) => Promise<R>;
  /** How many seeds (consecutive from a random one), or exactly which. */
  readonly seeds?: number | readonly number[];
  /** Keep running consecutive seeds until this much wall-clock time has passed (then `seeds` is a cap, default unlimited). */
  readonly budgetMs?: number;
  /** Checked after each run. */
  readonly invariants?: Readonly<Record<string, Invariant<R>>>;
  /** Draws a run's fault schedule from a random seeded from its seed (see `planFaults`). */
  readonly faults?: (random: Random) => readonly SimFault[];
  readonly explore?: boolean;
  readonly checkEvery?: number;
  /** On failure, drop faults one at a time while the run still fails the same way. */
  readonly shrink?: boolean;
  readonly traceDir?: string;
  /** The command a failing seed is replayed with (`TROUPE_SEED=… <command>`). */
  readonly command?: string;
  readonly log?: (line: string) => void;
  readonly stopAtFirstFailure?: boolean;
  readonly escapes?: 'fail' | 'allow';
}

/** One failing seed. */
export interface SeedFailure {
  readonly seed: number;
  /** `invariant '<name>'` for an invariant, else the error's code (or `error`). */
  readonly what: string;
  readonly message: string;
  readonly error: unknown;
  /** The faults of the (shrunk) failing run, and how many there were before shrinking. */
  readonly faults: readonly SimFault[];
  readonly faultsBeforeShrinking: number;
  /** The trace file of the failing run (replay it with `TROUPE_TRACE=<file>`). */
  readonly tracePath: string | undefined;
  /** The one-line command that replays this seed. */
  readonly replay: string;
}

/** What {@link runSeeds} did. */
export interface SeedReport {
  readonly name: string;
  /** Runs completed (shrinking and trace re-runs not counted). */
  readonly runs: number;
  readonly seeds: readonly number[];
  readonly failures: readonly SeedFailure[];
  readonly ok: boolean;
  /** CPU milliseconds the runs took (this process, user + system). */
  readonly cpuMs: number;
  /** A few lines saying what happened (printed too). */
  readonly summary: string;
}

const FAULT_SALT = 0x6d2b79f5;
const SCENARIO_SALT = 0x2545f491;

interface Outcome { readonly failed: false; readonly steps: number }
interface Failed { readonly failed: true; readonly what: string; readonly message: string; readonly error: unknown; readonly trace?: SimTrace }

/**
 * Runs `scenario` once per seed on fresh simulated clusters, checking `invariants` after each run
 * and the scenario's `always` checks every `checkEvery` steps. A failing seed is printed with the
 * command that replays it (`TROUPE_SEED=<seed> <command>`); it is run again recording its trace
 * (a run that does not fail again is reported as not deterministic), its fault schedule is shrunk,
 * and the trace is written to `traceDir` (replay it with `TROUPE_TRACE=<file> <command>`).
 *
 * @example
 * const report = await runSeeds({
 *   name: 'shop', seeds: 200, scenario: shop, invariants: { 'stock is conserved': (r) => r.onHand + r.reserved === 1_000 },
 *   faults: (random) => planFaults(random, { nodes: ['a', 'b', 'c'], partitions: 1, kills: 1 }),
 * });
 * assert.ok(report.ok, report.summary);
 */
export async function runSeeds<R>(o: RunSeedsOptions<R>): Promise<SeedReport> {
  const log = o.log ?? ((line: string) => { process.stderr.write(`${line}\n`); });
  const explore = o.explore ?? true;
  const checkEvery = o.checkEvery ?? 10;
  if (!(Number.isInteger(checkEvery) && checkEvery >= 1)) throw new TroupeError('invalid-argument', `runSeeds: checkEvery must be an integer ≥ 1, got ${checkEvery}.`);
  const command = o.command ?? guessCommand();
  const traceDir = o.traceDir ?? join(tmpdir(), 'troupe-sim');
  const envSeed = process.env.TROUPE_SEED;
  const envTrace = process.env.TROUPE_TRACE;
  const cpu0 = process.cpuUsage();
  const startedAt = realClock.now();

  const runOnce = async (seed: number, faults: readonly SimFault[] | undefined, replay: SimTrace | undefined, record: boolean): Promise<Outcome | Failed> => {
    const scheduleOf = faults ?? replay?.faults ?? o.faults?.(createSeededRandom((seed ^ FAULT_SALT) >>> 0)) ?? [];
    const always: { name: string; check: () => boolean | string | void }[] = [];
    let sim: SimCluster | undefined;
    const run: SeedRun = {
      seed,
      random: createSeededRandom((seed ^ SCENARIO_SALT) >>> 0),
      faults: scheduleOf,
      cluster: async (options) => {
        if (sim !== undefined) throw new TroupeError('invalid-argument', 'runSeeds: a run makes one simulated cluster (call run.cluster once).');
        sim = await createSimCluster({ escapes: o.escapes, ...options, seed, explore, faults: scheduleOf, replay, record });
        sim.checkContinuously(() => {
          for (const a of always) {
            const verdict = a.check();
            if (verdict !== undefined && verdict !== true) throw new TroupeError('invariant-violated', `invariant '${a.name}' does not hold${typeof verdict === 'string' ? `: ${verdict}` : ''}`, { invariant: a.name });
          }
        }, checkEvery);
        return sim;
      },
      always: (name, check) => { always.push({ name, check }); },
    };
    const traceOf = (notes: Record<string, string | number>): SimTrace | undefined => (record && sim !== undefined ? sim.simTrace(notes) : undefined);
    let result: R;
    try {
      result = await o.scenario(run);
    } catch (e) {
      const what = isTroupeError(e, 'invariant-violated') && typeof e.data.invariant === 'string' ? `invariant '${e.data.invariant}'` : isTroupeError(e) ? e.code : 'error';
      const message = e instanceof Error ? e.message : String(e);
      const failed: Failed = { failed: true, what, message, error: e, trace: traceOf({ scenario: o.name, failure: `${what}: ${message}` }) };
      sim?.discard();
      return failed;
    }
    if (sim === undefined) throw new TroupeError('invalid-argument', 'runSeeds: the scenario must create its cluster with run.cluster(…).');
    try {
      for (const [name, check] of Object.entries(o.invariants ?? {})) {
        let verdict: boolean | string | void;
        try { verdict = check(result, sim); } catch (e) { verdict = e instanceof Error ? e.message : String(e); }
        if (verdict !== undefined && verdict !== true) {
          const message = `invariant '${name}' does not hold${typeof verdict === 'string' ? `: ${verdict}` : ''}`;
          return { failed: true, what: `invariant '${name}'`, message, error: new TroupeError('invariant-violated', message, { invariant: name }), trace: traceOf({ scenario: o.name, failure: message }) };
        }
      }
      return { failed: false, steps: sim.steps };
    } finally {
      sim.discard();
    }
  };

  const failures: SeedFailure[] = [];
  const ran: number[] = [];
  const handle = async (seed: number, first: Failed, replayed: SimTrace | undefined): Promise<void> => {
    const drawn = replayed?.faults ?? o.faults?.(createSeededRandom((seed ^ FAULT_SALT) >>> 0)) ?? [];
    let faults = [...drawn];
    let failing: Failed = first;
    if (replayed === undefined) {
      // shrink: drop each fault in turn while the run still fails the same way
      if (o.shrink ?? true) {
        for (let i = faults.length - 1; i >= 0; i--) {
          const fewer = faults.filter((_, j) => j !== i);
          const r = await runOnce(seed, fewer, undefined, false);
          if (r.failed && r.what === first.what) { faults = fewer; failing = r; }
        }
      }
      const again = await runOnce(seed, faults, undefined, true);
      if (!again.failed || again.what !== failing.what) {
        failing = { ...failing, message: `${failing.message} — and a second run of the same seed ${again.failed ? `failed otherwise (${again.what})` : 'passed'}: the scenario is not deterministic (does it read real time or real randomness, or share state between runs?)` };
      } else failing = again;
    }
    let tracePath: string | undefined;
    if (failing.trace !== undefined) {
      mkdirSync(traceDir, { recursive: true });
      tracePath = join(traceDir, `${o.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}-seed-${seed}.json`);
      writeFileSync(tracePath, JSON.stringify(failing.trace));
    }
    const shrunk = faults.length !== drawn.length;
    const replay = shrunk && tracePath !== undefined ? `TROUPE_TRACE=${tracePath} ${command}` : `TROUPE_SEED=${seed} ${command}`;
    failures.push({ seed, what: failing.what, message: failing.message, error: failing.error, faults, faultsBeforeShrinking: drawn.length, tracePath, replay });
    log(`✘ ${o.name}: seed ${seed} failed: ${failing.message}`);
    log(`  replay: ${replay}`);
    if (tracePath !== undefined) log(`  trace: ${tracePath}`);
    if (drawn.length > 0) log(`  faults${shrunk ? ` (shrunk from ${drawn.length})` : ''}: ${faults.length === 0 ? 'none needed' : faults.map(describeFault).join('; ')}`);
  };

  if (envTrace !== undefined) {
    const trace = parseSimTrace(JSON.parse(readFileSync(envTrace, 'utf8')));
    log(`${o.name}: replaying ${envTrace} (seed ${trace.seed})`);
    const r = await runOnce(trace.seed, trace.faults, trace, true);
    ran.push(trace.seed);
    if (r.failed) await handle(trace.seed, r, trace);
  } else {
    const seeds = envSeed !== undefined ? [parseSeed(envSeed)] : seedList(o.seeds, o.budgetMs);
    log(`${o.name}: ${envSeed !== undefined ? `seed ${seeds[0]} (TROUPE_SEED)` : Array.isArray(o.seeds) ? `seeds ${seeds.join(', ')}` : `seeds from ${seeds[0]}${o.budgetMs !== undefined ? ` for ${o.budgetMs} ms` : ` to ${seeds[seeds.length - 1]}`}`}; one of them again: TROUPE_SEED=<seed> ${command}`);
    for (const seed of seeds) {
      const r = await runOnce(seed, undefined, undefined, false);
      ran.push(seed);
      if (r.failed) {
        await handle(seed, r, undefined);
        if (o.stopAtFirstFailure ?? true) break;
      }
      if (o.budgetMs !== undefined && realClock.now() - startedAt >= o.budgetMs) break; // at least one seed runs
    }
  }
  const used = process.cpuUsage(cpu0);
  const cpuMs = (used.user + used.system) / 1_000;
  const summary = failures.length === 0
    ? `✔ ${o.name}: ${ran.length} seed(s) passed (${ran.length > 0 ? `${ran[0]}…${ran[ran.length - 1]}` : 'none'}), ${Math.round(cpuMs)} ms CPU`
    : `✘ ${o.name}: ${failures.length} of ${ran.length} seed(s) failed — first: seed ${failures[0].seed}, ${failures[0].message}\n  replay: ${failures[0].replay}`;
  log(summary);
  return { name: o.name, runs: ran.length, seeds: ran, failures, ok: failures.length === 0, cpuMs, summary };
}

function parseSeed(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new TroupeError('invalid-argument', `TROUPE_SEED must be an integer in [0, 2^32), got ${JSON.stringify(text)}.`);
  return n;
}

function seedList(seeds: number | readonly number[] | undefined, budgetMs: number | undefined): number[] {
  if (Array.isArray(seeds)) return seeds.map((s) => parseSeed(String(s)));
  const count = typeof seeds === 'number' ? seeds : budgetMs !== undefined ? 1_000_000 : 100;
  if (!(Number.isInteger(count) && count >= 1)) throw new TroupeError('invalid-argument', `runSeeds: seeds must be a count ≥ 1 or a list of seeds, got ${String(seeds)}.`);
  const from = createRealRandom().int(0x7fffffff - count);
  return Array.from({ length: Math.min(count, 1_000_000) }, (_, i) => from + i);
}

/** The command that started this process, relative to the working directory, to print in replay lines. */
function guessCommand(): string {
  const argv = process.argv.slice(1).map((a) => (a.startsWith('/') ? relative(process.cwd(), a) || '.' : a));
  const spec = /[\w./-]+\.spec\.ts/.exec(new Error().stack ?? '')?.[0];
  if (argv[0]?.endsWith('uvu/bin.js') && spec !== undefined) {
    const file = relative(process.cwd(), spec.replace(/^file:\/\//, ''));
    const dir = file.split('/').slice(0, -1).join('/') || '.';
    const base = file.split('/').pop()!.replace(/\./g, '\\.');
    return ['node', ...process.execArgv, argv[0], dir, `'${base}$'`].join(' ');
  }
  return ['node', ...process.execArgv, ...argv].map((a) => (/[\s'$\\]/.test(a) ? `'${a}'` : a)).join(' ');
}
