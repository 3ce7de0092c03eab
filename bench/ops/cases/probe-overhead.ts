// Tell throughput to 1 000 instances: plain, wrapped with withProbes (measuring only), or wrapped
// and probed every second (liveness + readiness + signals per instance, a registry, the node's
// event-loop monitor) — the same producer and receivers in every mode.

import { createSystem, defineActor, type ActorDefinition, type ActorRef } from '../../../runtime/index.ts';
import { createEventLoopDelayMonitor, createHealthRegistry, defineProbeActor, withProbes } from '../../../actors/probes/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { BATCH, secondsSince, yieldToIo, type TellMsg } from '../../local/workload.ts';

type Mode = 'none' | 'wrapped' | 'probed' | 'asked';

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

const instance = defineActor<TellMsg, { i: number }>({
  name: 'instance',
  init: (ctx) => ({ i: Number(ctx.path.slice(ctx.path.lastIndexOf('-') + 1)) }),
  receive: (s, m) => { rx!.receive(s.i, m); return s; },
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
  if (m !== 'none' && m !== 'wrapped' && m !== 'probed' && m !== 'asked') throw new Error(`option mode=${m}: use none, wrapped, probed or asked`);
  return m;
}

/**
 * Tells `size` messages round-robin to `options.instances` (default 1 000) instances, batches of
 * 1024 with a setImmediate between batches (so timers — the probes — run during the load), at most
 * 16 384 in flight. The
 * `asked` control makes as many asks as the probes would (two per instance per period) to an
 * actor that only answers, without probes: what any ask traffic costs the tell path. In
 * `probed` mode each instance has a probe actor (liveness and readiness every `options.periodMs`,
 * default 1 000, timeout 1 000) reporting to a registry. Reports `msgPerSec`, `cpuNsPerMsg`
 * (process CPU per message: steadier than the rate on a busy machine), and `probesPerSec`: the
 * probe answers the instances gave during the timed load (0 unless probed).
 */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const mode = modeOf(options);
  const n = Number(options.instances ?? 1_000);
  const periodMs = Number(options.periodMs ?? 1_000);
  const system = createSystem({ name: 'bench' });
  const def = (mode === 'none' || mode === 'asked' ? instance : probed) as ActorDefinition<TellMsg, { i: number }>;
  const refs: ActorRef<TellMsg>[] = [];
  for (let i = 0; i < n; i++) refs.push(system.spawn(def, `i-${i}`));
  const monitor = mode === 'probed' ? createEventLoopDelayMonitor() : undefined;
  let answers = 0;
  if (mode === 'probed') {
    const registry = createHealthRegistry(system);
    for (let i = 0; i < n; i++) {
      // instances started together are probed out of step (as kubelet spreads its workers' first probes)
      const phase = Math.floor((i * periodMs) / n);
      const probes = { liveness: { periodMs, timeoutMs: 1_000, initialDelayMs: phase }, readiness: { periodMs, timeoutMs: 1_000, initialDelayMs: phase } };
      system.spawn(defineProbeActor({ target: refs[i] as never, reportTo: registry.ref, service: 'bench', probes, eventLoop: monitor }), `p-${i}`);
    }
    // wait until every instance has been probed ready once, so the timed pass runs in steady state
    await new Promise<void>((resolve) => {
      const sub = registry.events$.subscribe((e) => { if (e.type === 'service-health' && e.to === 'healthy') { sub.unsubscribe(); resolve(); } });
    });
  }
  if (mode === 'asked') {
    // as many asks, as often, as the probes make (2 per instance per period), to an actor that only answers
    const target = system.spawn(echo, 'echo');
    for (let i = 0; i < n; i++) system.spawn(ticker(target, periodMs / 2, Math.floor((i * periodMs) / n)), `t-${i}`);
  }
  const before = readyAnswers;
  rx = new FanInReceiver(size, n);
  const receiver = rx;
  let k = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await produceBounded(size, receiver, (m) => { refs[k].tell(m); if (++k === n) k = 0; });
  await receiver.done;
  const secs = secondsSince(t0);
  const cpu = process.cpuUsage(c0);
  receiver.check(n);
  // one liveness answer per readiness answer (readiness runs on liveness's ticks)
  if (mode === 'probed') answers = 2 * (readyAnswers - before);
  monitor?.close();
  await system.terminate();
  return { msgPerSec: size / secs, cpuNsPerMsg: ((cpu.user + cpu.system) * 1_000) / size, probesPerSec: answers / secs, seconds: secs };
}
