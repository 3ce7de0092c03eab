// The seam where health probes plug into services: wrap an instance's behavior so it answers
// probes, and attach a probe actor that reports the instance's health to its service's actor.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import type { ActorDefinition } from '../../../runtime/behavior.ts';
import type { ActorContext } from '../../../runtime/context.ts';
import { isTroupeError } from '../../../runtime/errors.ts';
import { defineProbeActor } from '../../probes/probe-actor.ts';
import type { ProbeRequest } from '../../probes/probe-request.ts';
import { withProbes } from '../../probes/with-probes.ts';
import type { HealthReport, ServiceProbes } from '../instance-health.ts';

/**
 * What services need from the probes. `wrap` (`withProbes(def)`) runs before the instance is
 * spawned; `attach` runs right after, in the service actor (`ctx` spawns the probe actor as its
 * child); it returns true when a probe actor now reports on the instance — the instance then
 * starts `'starting'` and not ready, and routers wait for its first healthy report. Reports go to
 * `reportTo` as {@link HealthReport}s naming the instance by its address (`String(instance.ref)`):
 * unique per incarnation, so a late report about a drained instance never lands on its replacement
 * (an id such as `'orders-2'` names whichever instance of that ordinal is not draining).
 */
export interface ProbeSeam {
  wrap<M, S>(behavior: ActorDefinition<M, S>, probes: ServiceProbes): ActorDefinition<M, S>;
  attach(ctx: ActorContext<never>, instance: { readonly id: string; readonly name: string; readonly ref: ActorRef<unknown> }, probes: ServiceProbes, reportTo: ActorRef<HealthReport>, service: string): boolean;
}

/** The real seam: every instance answers probes through its own mailbox; a probe actor, a sibling under the service actor, probes it. */
export const probeSeam: ProbeSeam = Object.freeze({
  // the wrapped definition also accepts ProbeRequest; services only ever send it M (and probes)
  wrap: <M, S>(behavior: ActorDefinition<M, S>) => withProbes(behavior) as unknown as ActorDefinition<M, S>,
  attach: (ctx: ActorContext<never>, instance: { readonly id: string; readonly name: string; readonly ref: ActorRef<unknown> }, probes: ServiceProbes, reportTo: ActorRef<HealthReport>, service: string): boolean => {
    const def = defineProbeActor({ target: instance.ref as ActorRef<ProbeRequest>, probes, reportTo, service, instance: String(instance.ref), name: `probe:${service}` });
    try {
      // temporary: it stops itself when its instance stops, and is never restarted in its place
      ctx.spawn(def, `probe-${instance.name}`, { restart: 'temporary' });
      return true;
    } catch (e) {
      if (isTroupeError(e, 'system-terminated') || isTroupeError(e, 'actor-dead')) return false; // shutting down
      throw e;
    }
  },
});
