// The seam where health probes plug into services: wrap an instance's behavior so it answers
// probes, and attach a probe actor that reports the instance's health to its service's actor.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import type { ActorDefinition } from '../../../runtime/behavior.ts';
import type { ActorContext } from '../../../runtime/context.ts';
import type { HealthReport, ServiceProbes } from '../instance-health.ts';

/**
 * What services need from the probes. `wrap` (e.g. `withProbes(def)`) runs before the instance
 * is spawned; `attach` runs right after, in the service actor (`ctx` spawns the probe actor as
 * its child); it returns true when a probe actor now reports on the instance — the instance then
 * starts `'starting'` and not ready, and routers wait for its first healthy report. Reports go to
 * `reportTo` as {@link HealthReport}s naming the instance by its address (`String(instance.ref)`):
 * unique per incarnation, so a late report about a drained instance never lands on its replacement
 * (an id such as `'orders-2'` names whichever instance of that ordinal is not draining).
 */
export interface ProbeSeam {
  wrap<M, S>(behavior: ActorDefinition<M, S>, probes: ServiceProbes): ActorDefinition<M, S>;
  attach(ctx: ActorContext<never>, instance: { readonly id: string; readonly ref: ActorRef<unknown> }, probes: ServiceProbes, reportTo: ActorRef<HealthReport>): boolean;
}

/** Until the probes are merged: no wrapping, no probe actor, so an instance is healthy once started. */
export const probeSeam: ProbeSeam = Object.freeze({
  wrap: <M, S>(behavior: ActorDefinition<M, S>) => behavior,
  attach: () => false,
});
