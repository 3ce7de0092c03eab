// Tell throughput to 1 000 instances: plain, wrapped with withProbes (measuring only), or wrapped
// and probed every second (liveness + readiness + signals per instance, a registry, the node's
// event-loop monitor) — the same producer and receivers in every mode.

import { createSystem, defineActor, type ActorDefinition, type ActorRef, type ActorSystem } from '../../../runtime/index.ts';
import { createEventLoopDelayMonitor, createHealthRegistry, defineProbeActor, withProbes, type EventLoopDelayMonitor, type HealthRegistry } from '../../../actors/probes/index.ts';
import { median } from '../../harness/stats.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { BATCH, secondsSince, yieldToIo, type TellMsg } from '../../local/workload.ts';

type Mode = 'none' | 'wrapped' | 'probed' | 'asked' | 'alternate';

/** Counts deliveries across all instances; keeps the last message of each so none is optimised away. */
class FanInReceiver {
  count = 0;
  readonly last: (TellMsg | undefined)[];
  readonly done: Promise<void>;
  private finish!: () => void;
  constructor(readonly expected: number, instances: number) {
    this.last = new Array(instances).fill(undefined);
    this.done = new Promise<void>((r) => { this.finish = r; });
  }
  receive(i: number, m: TellMsg): void {
    this.last[i] = m;
    if (++this.count === this.expected) this.finish();
  }
  check(instances: number): void {
    const maxV = Math.max(...this.last.map((m) => m?.v ?? -1));
    if (this.count !== this.expected || maxV !== this.expected - 1 || this.last.filter((m) => m !== undefined).length !== Math.min(instances, this.expected)) {
      throw new Error(`receivers got ${this.count}/${this.expected} messages, highest v=${maxV}`);
    }
  }
}

let rx: FanInReceiver | undefined;

/** Messages sent but not yet handled before the producer waits (a reader under backpressure). */
const MAX_IN_FLIGHT = 16 * BATCH;

/**
 * Sends `n` messages in batches of {@link BATCH}, a setImmediate between batches, and waits while
 * more than {@link MAX_IN_FLIGHT} are unhandled: without the bound an open-loop producer that gets
 * ahead once (a burst of timers, a GC) keeps a growing backlog that is promoted to the old
 * generation, and the run flips into a slower, GC-bound regime unrelated to what is measured.
 */
async function produceBounded(n: number, receiver: FanInReceiver, send: (m: TellMsg) => void): Promise<void> {
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + BATCH);
    for (; i < end; i++) send({ type: 'n', v: i });
    await yieldToIo();
    while (i - receiver.count > MAX_IN_FLIGHT) await yieldToIo();
  }
}

const instance = defineActor<TellMsg, { i: number; handled: number }>({
  name: 'instance',
  init: (ctx) => ({ i: Number(ctx.path.slice(ctx.path.lastIndexOf('-') + 1)), handled: 0 }),
  receive: (s, m) => { rx!.receive(s.i, m); return { i: s.i, handled: s.handled + 1 }; },
});
/** Readiness answers the instances gave (their ready check counts them: what a service would declare). */
let readyAnswers = 0;
const probed = withProbes(instance, { ready: () => { readyAnswers++; return true; } });

/** The control of `asked` mode: an actor answering pings, asked by tickers as often as probes would ask. */
type Ping = { type: 'ping'; replyTo: ActorRef<'pong'> };
const echo = defineActor<Ping, undefined>({ name: 'echo', init: () => undefined, receive: (_s, m) => { m.replyTo.tell('pong'); } });
const ticker = (target: ActorRef<Ping>, periodMs: number, phaseMs: number) => defineActor<'tick', undefined>({
  name: 'ticker',
  init: (ctx) => { ctx.timers.startSingle('first', 'tick', phaseMs); return undefined; },
  receive: (_s, _m, ctx) => {
    if (!ctx.timers.isActive('t')) ctx.timers.startPeriodic('t', 'tick', periodMs);
    void ctx.ask<'pong', Ping>(target, (replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 1_000 });
  },
});

function modeOf(o: CaseParams['options']): Mode {
  const m = o.mode ?? 'none';
  if (m !== 'none' && m !== 'wrapped' && m !== 'probed' && m !== 'asked' && m !== 'alternate') throw new Error(`option mode=${m}: use none, wrapped, probed, asked or alternate`);
  return m;
}

/**
 * Tells `size` messages round-robin to `options.instances` (default 1 000) instances, batches of
 * 1024 with a setImmediate between batches (so timers — the probes — run during the load), at most
 * 16 384 in flight; each instance counts what it handled in its state (a new state per message,
 * as a user's handler returns). The `asked` control makes as many asks as the probes would (two
 * per instance per period) to an actor that only answers, without probes: what any ask traffic
 * costs the tell path. In `probed` mode each instance has a probe actor (liveness and readiness
 * every `options.periodMs`, default 1 000, timeout 1 000, alignment `options.alignMs`, default a
 * tenth of the period) reporting to a registry. Reports `msgPerSec`, `cpuNsPerMsg`
 * (process CPU per message: steadier than the rate on a busy machine), and `probesPerSec`: the
 * probe answers the instances gave during the timed load (0 unless probed).
 */
/**
 * The knobs every mode reads: instances (1 000), probe period (1 000 ms) and the probes'
 * alignment grid (undefined: the default, a tenth of the period — batches of ~100 probes; 0: each
 * on its own phase).
 */
function settingsOf(options: CaseParams['options']): { n: number; periodMs: number; alignMs: number | undefined } {
  return {
    n: Number(options.instances ?? 1_000),
    periodMs: Number(options.periodMs ?? 1_000),
    alignMs: options.alignMs === undefined ? undefined : Number(options.alignMs),
  };
}

export async function run({ size, options, warmup }: CaseParams): Promise<Metrics> {
  const mode = modeOf(options);
  if (mode === 'alternate') return alternate(size, options, warmup);
  const { n, periodMs, alignMs } = settingsOf(options);
  const system = createSystem({ name: 'bench' });
  const def = (mode === 'none' || mode === 'asked' ? instance : probed) as ActorDefinition<TellMsg, { i: number; handled: number }>;
  const refs: ActorRef<TellMsg>[] = [];
  for (let i = 0; i < n; i++) refs.push(system.spawn(def, `i-${i}`));
  const monitor = mode === 'probed' ? createEventLoopDelayMonitor() : undefined;
  let answers = 0;
  if (mode === 'probed') {
    await startProbers(system, createHealthRegistry(system), refs, 'bench', periodMs, alignMs, monitor!);
  }
  if (mode === 'asked') {
    // as many asks, as often, as the probes make (2 per instance per period), to an actor that only answers
    const target = system.spawn(echo, 'echo');
    for (let i = 0; i < n; i++) system.spawn(ticker(target, periodMs / 2, Math.floor((i * periodMs) / n)), `t-${i}`);
  }
  const before = readyAnswers;
  const { secs, cpuNsPerMsg } = await timedPass(size, refs);
  // one liveness answer per readiness answer (readiness runs on liveness's ticks)
  if (mode === 'probed') answers = 2 * (readyAnswers - before);
  monitor?.close();
  await system.terminate();
  return { msgPerSec: size / secs, cpuNsPerMsg, probesPerSec: answers / secs, seconds: secs };
}

/** One bounded pass of `size` tells round-robin to `refs`: its wall time and process CPU per message; every message checked. */
async function timedPass(size: number, refs: readonly ActorRef<TellMsg>[]): Promise<{ secs: number; cpuNsPerMsg: number }> {
  const receiver = rx = new FanInReceiver(size, refs.length);
  const n = refs.length;
  let k = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await produceBounded(size, receiver, (m) => { refs[k].tell(m); if (++k === n) k = 0; });
  await receiver.done;
  const secs = secondsSince(t0);
  const cpu = process.cpuUsage(c0);
  receiver.check(n);
  return { secs, cpuNsPerMsg: ((cpu.user + cpu.system) * 1_000) / size };
}

/**
 * Spawns a probe actor per instance (liveness + readiness every `periodMs`, timeout 1 000) and
 * waits until every instance has been probed ready once, so a timed pass runs in steady state.
 * Instances started together are probed out of step (as kubelet spreads its workers' first probes).
 */
async function startProbers(system: ActorSystem, registry: HealthRegistry, refs: readonly ActorRef<TellMsg>[], service: string, periodMs: number, alignMs: number | undefined, monitor: EventLoopDelayMonitor): Promise<ActorRef<never>[]> {
  const healthy = new Promise<void>((resolve) => {
    const sub = registry.events$.subscribe((e) => { if (e.type === 'service-health' && e.service === service && e.to === 'healthy') { sub.unsubscribe(); resolve(); } });
  });
  const n = refs.length;
  const probers: ActorRef<never>[] = [];
  for (let i = 0; i < n; i++) {
    const phase = Math.floor((i * periodMs) / n);
    const probes = { liveness: { periodMs, timeoutMs: 1_000, initialDelayMs: phase, alignMs }, readiness: { periodMs, timeoutMs: 1_000, initialDelayMs: phase, alignMs } };
    probers.push(system.spawn(defineProbeActor({ target: refs[i] as never, reportTo: registry.ref, service, probes, eventLoop: monitor }), `${service}-p-${i}`) as ActorRef<never>);
  }
  await healthy;
  return probers;
}

/** Process CPU per message of one {@link timedPass} (a full GC first when the child has `--expose-gc`). */
async function cpuPass(size: number, refs: readonly ActorRef<TellMsg>[]): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  return (await timedPass(size, refs)).cpuNsPerMsg;
}

/**
 * `alternate`: the same run with and without probes — one process, one system, 1 000 `withProbes`
 * instances; `options.pairs` (default 6) pairs of passes of `size / (2 × pairs)` tells, the first
 * of each pair without probe actors, the second with them (spawned and probed ready before it,
 * stopped after it), after `options.warmPairs` (default 1) pairs not counted: the steady state a
 * long-running node is in, not the JIT's first minute (the tell path and the probes' code settle
 * over the first few pairs: the first probed pass cost 1.13–1.28× the unprobed one in four runs,
 * later pairs scatter ±5 % around 1.0×). A full GC starts
 * each pass when the child has `--expose-gc` (spawning and stopping 1 000 probe actors leaves
 * garbage no pass should pay for). The JIT sees the same code in both halves, and drift of a
 * shared machine hits both alike. Reports `pairedRatio`
 * (median over pairs of unprobed ÷ probed CPU per message: 1 = free), `bestRatio` (the best
 * unprobed pass ÷ the best probed pass: this machine has slow spells — the GC and the tell path
 * both ~1.6× slower for a pass or two — and one landing on a probed pass moves its pair, not the
 * best passes) and both medians. A warm-up run makes only the unprobed passes.
 */
async function alternate(size: number, options: CaseParams['options'], warmup: boolean): Promise<Metrics> {
  const { n, periodMs, alignMs } = settingsOf(options);
  const pairs = Number(options.pairs ?? 6);
  const warmPairs = Number(options.warmPairs ?? 1);
  const pass = Math.max(1, Math.floor(size / (2 * pairs)));
  const system = createSystem({ name: 'bench' });
  const refs: ActorRef<TellMsg>[] = [];
  for (let i = 0; i < n; i++) refs.push(system.spawn(probed as ActorDefinition<TellMsg, { i: number; handled: number }>, `i-${i}`));
  const monitor = createEventLoopDelayMonitor();
  const registry = createHealthRegistry(system);
  const off: number[] = [];
  const on: number[] = [];
  for (let p = warmup ? pairs : -warmPairs; p < pairs; p++) {
    const a = await cpuPass(pass, refs);
    const probers = await startProbers(system, registry, refs, `bench-${p + 1}`, periodMs, alignMs, monitor);
    const b = await cpuPass(pass, refs);
    for (const r of probers) system.stop(r);
    if (p >= 0) { off.push(a); on.push(b); }
  }
  if (warmup) for (let p = 0; p < pairs; p++) off.push(await cpuPass(pass, refs));
  monitor.close();
  await system.terminate();
  if (warmup) return { pairedRatio: 0, bestRatio: 0, unprobedCpuNsPerMsg: median(off), probedCpuNsPerMsg: 0 };
  return {
    pairedRatio: median(off.map((x, i) => x / on[i])),
    bestRatio: Math.min(...off) / Math.min(...on),
    unprobedCpuNsPerMsg: median(off),
    probedCpuNsPerMsg: median(on),
  };
}
