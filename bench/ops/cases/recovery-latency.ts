// Detection → recovery-started latency on virtual time: `size` episodes, each a fresh system
// whose services' instances hang at a varied phase of the probe period; `options.failing`
// services fail at once under a recovery budget of `options.budget`.

import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem } from '../../../runtime/testing/test-system.ts';
import { createReceptionist } from '../../../actors/receptionist.ts';
import { createServiceHost, defineService } from '../../../actors/services/index.ts';
import { createRecoveryCoordinator, type RecoveryEvent } from '../../../actors/recovery/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';

type Work = { type: 'hang' };
const stuck = defineActor<Work, undefined>({ init: () => undefined, receive: async () => { await new Promise(() => {}); } });

const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0; };

/** Runs the episodes; figures in virtual ms (p50/p99/max of detection → start, and of hang → start). */
export async function run({ size, options }: CaseParams): Promise<Metrics> {
  const failing = Number(options.failing ?? 1);
  const budget = Number(options.budget ?? 2);
  const toStart: number[] = [];
  const hangToStart: number[] = [];
  for (let ep = 0; ep < size; ep++) {
    const kit = createTestSystem({ seed: ep + 1 });
    const recovery = createRecoveryCoordinator(kit, { budget });
    const events: RecoveryEvent[] = [];
    recovery.events$.subscribe((e) => events.push(e));
    const host = createServiceHost(kit, { receptionist: createReceptionist(kit), recovery });
    const services = [];
    for (let i = 0; i < failing; i++) {
      services.push(await host.start(defineService({ name: `s${i}`, behavior: stuck, instances: 2, probes: { liveness: { periodMs: 1_000, failureThreshold: 2 }, readiness: { periodMs: 1_000 } } })));
    }
    await kit.runUntilIdle();
    await kit.advance(100 + ((ep * 137) % 1_000)); // hang at a different phase of the probe period each episode
    const hungAt = kit.now();
    for (const s of services) ((await s.status()).instances[0].ref as ActorRef<Work>).tell({ type: 'hang' });
    await kit.runUntil(() => events.filter((e) => e.verdict === 'start').length >= failing, 120_000);
    for (const e of events) if (e.verdict === 'start') { toStart.push(e.atMs - e.detectedAtMs); hangToStart.push(e.atMs - hungAt); }
    const stopping = kit.terminate();
    await kit.advance(30_000);
    await stopping;
  }
  return {
    detectToStartP50Ms: pct(toStart, 0.5), detectToStartP99Ms: pct(toStart, 0.99), detectToStartMaxMs: Math.max(...toStart),
    hangToStartP50Ms: pct(hangToStart, 0.5), hangToStartMaxMs: Math.max(...hangToStart), recoveries: toStart.length,
  };
}
