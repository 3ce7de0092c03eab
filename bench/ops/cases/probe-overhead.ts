// Tell throughput to 1 000 instances: plain, wrapped with withProbes (measuring only), or wrapped
// and probed every second (liveness + readiness + signals per instance, a registry, the node's
// event-loop monitor) — the same producer and receivers in every mode.

import { createSystem, defineActor, type ActorDefinition, type ActorRef } from '../../../runtime/index.ts';
import { createEventLoopDelayMonitor, createHealthRegistry, defineProbeActor, withProbes } from '../../../actors/probes/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { produce, secondsSince, type TellMsg } from '../../local/workload.ts';

type Mode = 'none' | 'wrapped' | 'probed';

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

const instance = defineActor<TellMsg, { i: number }>({
  name: 'instance',
  init: (ctx) => ({ i: Number(ctx.path.slice(ctx.path.lastIndexOf('-') + 1)) }),
  receive: (s, m) => { rx!.receive(s.i, m); return s; },
});
const probed = withProbes(instance);

function modeOf(o: CaseParams['options']): Mode {
  const m = o.mode ?? 'none';
  if (m !== 'none' && m !== 'wrapped' && m !== 'probed') throw new Error(`option mode=${m}: use none, wrapped or probed`);
  return m;
}

/**
 * Tells `size` messages round-robin to `options.instances` (default 1 000) instances, batches of
 * 1024 with a setImmediate between batches (so timers — the probes — run during the load). In
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
  const def = (mode === 'none' ? instance : probed) as ActorDefinition<TellMsg, { i: number }>;
  const refs: ActorRef<TellMsg>[] = [];
  for (let i = 0; i < n; i++) refs.push(system.spawn(def, `i-${i}`));
  const monitor = mode === 'probed' ? createEventLoopDelayMonitor() : undefined;
  let answers = 0;
  if (mode === 'probed') {
    const registry = createHealthRegistry(system);
    for (let i = 0; i < n; i++) {
      const probes = { liveness: { periodMs, timeoutMs: 1_000 }, readiness: { periodMs, timeoutMs: 1_000 } };
      system.spawn(defineProbeActor({ target: refs[i] as never, reportTo: registry.ref, service: 'bench', probes, eventLoop: monitor }), `p-${i}`);
    }
    // wait until every instance has been probed ready once, so the timed pass runs in steady state
    await new Promise<void>((resolve) => {
      const sub = registry.events$.subscribe((e) => { if (e.type === 'service-health' && e.to === 'healthy') { sub.unsubscribe(); resolve(); } });
    });
  }
  const seenBefore = (): number => system.inspect().children.filter((c) => c.name.startsWith('p-')).reduce((a, c) => a + c.mailbox.processed, 0);
  const before = mode === 'probed' ? seenBefore() : 0;
  rx = new FanInReceiver(size, n);
  const receiver = rx;
  let k = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await produce(size, 'io', (m) => { refs[k].tell(m); if (++k === n) k = 0; });
  await receiver.done;
  const secs = secondsSince(t0);
  const cpu = process.cpuUsage(c0);
  receiver.check(n);
  // each probe run is a tick and a result in the probe actor's mailbox
  if (mode === 'probed') answers = (seenBefore() - before) / 2;
  monitor?.close();
  await system.terminate();
  return { msgPerSec: size / secs, cpuNsPerMsg: ((cpu.user + cpu.system) * 1_000) / size, probesPerSec: answers / secs, seconds: secs };
}
