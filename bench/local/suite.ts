// The local (in-process) suite: Troupe's tell, ask, spawn and restart against hand-written limits
// and against EventEmitter, xstate v5 and Moleculer 0.14 measured in the same run.

import type { BenchCase, MetricSpec, Suite } from '../harness/suite.ts';

const caseUrl = (file: string): string => new URL(`./cases/${file}`, import.meta.url).href;

const msgPerSec: MetricSpec = { name: 'msgPerSec', unit: 'msg/s', better: 'higher' };
const asksPerSec: MetricSpec = { name: 'asksPerSec', unit: 'ask/s', better: 'higher' };
const askP50Us: MetricSpec = { name: 'askP50Us', unit: 'µs', better: 'lower' };
const askP99Us: MetricSpec = { name: 'askP99Us', unit: 'µs', better: 'lower' };
const pipelinedAsksPerSec: MetricSpec = { name: 'pipelinedAsksPerSec', unit: 'ask/s', better: 'higher' };
/** CPU per sequential ask: compare versions with it when the machine is busy (preemption inflates wall time, not this). */
const seqCpuNsPerAsk: MetricSpec = { name: 'seqCpuNsPerAsk', unit: 'ns', better: 'lower' };
const bytesPerActor: MetricSpec = { name: 'bytesPerActor', unit: 'B', better: 'lower' };
const spawnPerSec: MetricSpec = { name: 'spawnPerSec', unit: 'actor/s', better: 'higher' };
const terminateMs: MetricSpec = { name: 'terminateMs', unit: 'ms', better: 'lower' };
const terminatePerSec: MetricSpec = { name: 'terminatePerSec', unit: 'actor/s', better: 'higher' };
const restartP50Us: MetricSpec = { name: 'restartP50Us', unit: 'µs', better: 'lower' };
const restartP99Us: MetricSpec = { name: 'restartP99Us', unit: 'µs', better: 'lower' };
const restartsPerSec: MetricSpec = { name: 'restartsPerSec', unit: 'round/s', better: 'higher' };

/** Asks kept outstanding in the pipelined phase of every ask case. */
const IN_FLIGHT = { inFlight: 1000 };

const troupeTell: BenchCase = { id: 'troupe-tell', label: 'Troupe ref.tell', role: 'subject', module: caseUrl('troupe-tell.ts'), size: 5_000_000 };
const ringTell: BenchCase = { id: 'ring-tell', label: 'ring queue, microtask drain', role: 'baseline', module: caseUrl('ring-tell.ts'), size: 5_000_000 };
const emitterTell: BenchCase = { id: 'emitter-tell', label: 'EventEmitter emit', role: 'baseline', module: caseUrl('emitter-tell.ts'), size: 5_000_000 };
// The slow baselines send fewer messages so the suite stays within ~5 minutes: once warm their
// rates do not depend on the count (nothing but the last message is retained).
const xstateTell: BenchCase = { id: 'xstate-tell', label: 'xstate v5 actor.send', role: 'baseline', module: caseUrl('xstate-tell.ts'), size: 1_000_000 };
const moleculerEmit: BenchCase = { id: 'moleculer-emit', label: 'Moleculer local emit', role: 'baseline', module: caseUrl('moleculer-emit.ts'), size: 1_000_000 };

/**
 * Producer yields a microtask between batches: the raw-limit setting the ring target is anchored
 * on. Moleculer is left out here: its emit pipeline needs macrotask turns, so under microtask
 * yields it ran at half its rate — comparing against that would flatter Troupe.
 */
const tellCases: BenchCase[] = [troupeTell, ringTell, emitterTell, xstateTell];

/** Producer yields on setImmediate between batches (as between socket reads); Moleculer's better setting. */
const io = (c: BenchCase): BenchCase => ({ ...c, id: `${c.id}-io`, options: { yield: 'io' } });
const tellIoCases: BenchCase[] = [io(troupeTell), io(ringTell), io(emitterTell), io(moleculerEmit)];

const askCases: BenchCase[] = [
  { id: 'troupe-ask', label: 'Troupe ref.ask', role: 'subject', module: caseUrl('troupe-ask.ts'), size: 200_000, options: IN_FLIGHT },
  { id: 'queue-ask', label: 'promise on a ring queue', role: 'baseline', module: caseUrl('queue-ask.ts'), size: 200_000, options: IN_FLIGHT },
  { id: 'moleculer-call', label: 'Moleculer local call', role: 'baseline', module: caseUrl('moleculer-call.ts'), size: 200_000, options: IN_FLIGHT },
];

const spawnCases: BenchCase[] = [
  { id: 'troupe-spawn', label: 'Troupe system.spawn', role: 'subject', module: caseUrl('troupe-spawn.ts'), size: 100_000, exposeGc: true },
  { id: 'xstate-spawn', label: 'xstate v5 createActor().start()', role: 'baseline', module: caseUrl('xstate-spawn.ts'), size: 100_000, exposeGc: true },
  { id: 'record-spawn', label: 'floor: ring(8)+state+closure record', role: 'baseline', module: caseUrl('record-spawn.ts'), size: 100_000, exposeGc: true },
];

/** Stopping idle actors must be linear in their number: 1M under one parent is the headline size. */
const terminateCases: BenchCase[] = [
  { id: 'troupe-terminate-1m', label: 'Troupe system.terminate, 1M children', role: 'subject', module: caseUrl('troupe-terminate.ts'), size: 1_000_000 },
  { id: 'troupe-terminate', label: 'Troupe system.terminate, 100k children', role: 'subject', module: caseUrl('troupe-terminate.ts'), size: 100_000 },
  { id: 'xstate-terminate', label: 'xstate v5 actor.stop() ×100k', role: 'baseline', module: caseUrl('xstate-terminate.ts'), size: 100_000 },
];

const restartCases: BenchCase[] = [
  { id: 'troupe-restart', label: 'Troupe default supervision', role: 'subject', module: caseUrl('troupe-restart.ts'), size: 1_000 },
  { id: 'queue-restart', label: 'ring queue, catch + re-init', role: 'baseline', module: caseUrl('queue-restart.ts'), size: 1_000 },
];

/** The `local` suite: `npm run bench -- local`, results in `bench/results/local.json`. */
export const localSuite: Suite = {
  name: 'local',
  description: 'in-process messaging: tell, ask, spawn, crash→restart',
  comparisons: [
    {
      id: 'tell',
      title: 'One-way tell 1→1 (batches of 1024, producer yields a microtask between batches)',
      metrics: [msgPerSec],
      cases: tellCases,
      baseline: 'ring-tell',
      targets: [
        { case: 'troupe-tell', metric: 'msgPerSec', baseline: 'ring-tell', op: '>=', value: 0.25, aim: 0.5, text: 'tell >= 0.25x ring queue (aim 0.5x)' },
      ],
    },
    {
      id: 'tell-io',
      title: 'One-way tell 1→1 (batches of 1024, producer yields on setImmediate between batches)',
      metrics: [msgPerSec],
      cases: tellIoCases,
      baseline: 'ring-tell-io',
      targets: [
        { case: 'troupe-tell-io', metric: 'msgPerSec', baseline: 'ring-tell-io', op: '>=', value: 0.25, aim: 0.5, text: 'tell >= 0.25x ring queue (aim 0.5x), I/O yields' },
        { case: 'troupe-tell-io', metric: 'msgPerSec', baseline: 'moleculer-emit-io', op: '>=', value: 10, text: 'tell >= 10x Moleculer local emit' },
      ],
    },
    {
      id: 'ask',
      title: 'Ask from outside: sequential (rate, p50/p99) and 1000 in flight',
      metrics: [asksPerSec, askP50Us, askP99Us, pipelinedAsksPerSec, seqCpuNsPerAsk],
      cases: askCases,
      baseline: 'queue-ask',
      targets: [
        { case: 'troupe-ask', metric: 'askP50Us', baseline: 'queue-ask', op: '<=', value: 3, text: 'ask p50 within 3x promise-on-queue' },
      ],
    },
    {
      id: 'spawn',
      title: 'Spawn 100k idle actors: heap per actor and spawn rate',
      metrics: [bytesPerActor, spawnPerSec],
      cases: spawnCases,
      baseline: 'xstate-spawn',
      targets: [
        { case: 'troupe-spawn', metric: 'bytesPerActor', op: '<=', value: 500, aim: 400, text: '<= 500 bytes per idle actor (aim 400)' },
      ],
    },
    {
      id: 'terminate',
      title: 'Terminate N idle children of one parent (newest first, one at a time) until the last is gone',
      metrics: [terminateMs, terminatePerSec],
      cases: terminateCases,
      baseline: 'xstate-terminate',
      targets: [
        { case: 'troupe-terminate-1m', metric: 'terminateMs', op: '<=', value: 2000, text: 'terminate 1M idle actors in <= 2 s' },
      ],
    },
    {
      id: 'restart',
      title: 'Crash → restart → serving: tell(crash) to the reply of the next ask',
      metrics: [restartP50Us, restartP99Us, restartsPerSec],
      cases: restartCases,
      baseline: 'queue-restart',
    },
  ],
};
