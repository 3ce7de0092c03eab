// Saga metrics on a system's registry: sagas running per saga name (a gauge read at scrape), and
// the ones that ended by outcome with their duration from start (or resume on this system) to end.

import type { ActorSystem } from '../../runtime/system.ts';
import { runtimeMetricsOf, type MetricsHub } from '../../runtime/observe/metrics.ts';
import type { SagaEnd } from '../saga.ts';

/** Running sagas of one system: saga name → saga id → when this system started (or resumed) it. */
type Running = Map<string, Map<string, number>>;

function runningOf(hub: MetricsHub): Running {
  return hub.part('sagas', () => {
    const running: Running = new Map();
    hub.families.sagasActive.collect((add) => { for (const [saga, ids] of running) add({ saga }, ids.size); });
    return running;
  });
}

/** Saga `sagaId` of `saga` runs (again) on `system`; counted once however often its actor restarts. */
export function sagaStarted(system: ActorSystem, saga: string, sagaId: string): void {
  const hub = runtimeMetricsOf(system.metrics);
  if (hub === undefined) return;
  const running = runningOf(hub);
  let ids = running.get(saga);
  if (ids === undefined) { ids = new Map(); running.set(saga, ids); }
  if (!ids.has(sagaId)) ids.set(sagaId, system.clock.now());
}

/** It ended with `outcome` (live: not just found ended in the journal), or its actor stopped for good (`outcome` undefined). */
export function sagaEnded(system: ActorSystem, saga: string, sagaId: string, outcome: SagaEnd | undefined): void {
  const hub = runtimeMetricsOf(system.metrics);
  if (hub === undefined) return;
  const ids = runningOf(hub).get(saga);
  const startedAt = ids?.get(sagaId);
  ids?.delete(sagaId);
  if (outcome === undefined || startedAt === undefined) return;
  const f = hub.families;
  const counter = outcome === 'completed' ? f.sagasCompleted : outcome === 'failed' ? f.sagasCompensated : f.sagasCompensationFailed;
  counter.child({ saga }).value++;
  f.sagaDuration.child({ saga, outcome }).observe((system.clock.now() - startedAt) / 1000);
}
