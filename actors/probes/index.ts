// Health probes' public names (liveness, readiness, startup and degraded signals; registry; endpoints), re-exported by name.

export { askProbe, isProbeRequest, PROBE_KINDS, type AskProbeOptions, type ProbeKind, type ProbeRequest, type ProbeAnswer, type CheckResult, type CheckStatus, type InstanceSignals } from './probe-request.ts';
export {
  resolveProbeConfig, DEFAULT_PROBE, DEFAULT_SIGNALS, MAX_PROBE_TIMEOUT_MS,
  type ProbeConfig, type ProbeSettings, type SignalSettings, type ResolvedProbeConfig, type ResolvedProbe, type ResolvedSignals,
} from './probe-config.ts';
export { dependsOn, type CheckOutcome, type CheckFn, type HealthCheck, type DependsOnOptions } from './health-check.ts';
export { withProbes, type WithProbesOptions } from './with-probes.ts';
export type { HealthState, InstanceHealth, HealthReport } from './instance-health.ts';
export { defineProbeActor, type ProbeActorOptions, type ProbeActorMsg, type ProbeActorState } from './probe-actor.ts';
export { aggregateHealth, worstOf, type AggregateHealth, type InstanceHealthStatus, type ServiceHealthState } from './aggregate-health.ts';
export { buildSnapshot, serviceStatus, type HealthSnapshot, type ServiceHealthStatus } from './health-snapshot.ts';
export { evaluateListing, listChecks, renderListing, type CheckListing, type ListingKind } from './health-listing.ts';
export {
  createHealthRegistry, type HealthRegistry, type HealthRegistryOptions, type HealthRegistryMsg, type HealthEvent, type ListingOptions,
} from './health-registry.ts';
export { publishHealthEvents, type PublishHealthOptions } from './health-bus.ts';
export { serveHealth, type ServeHealthOptions } from './serve-health.ts';
export type { EventLoopDelaySource, EventLoopDelayMonitor } from '../../runtime/event-loop-delay.ts';
export { createEventLoopDelayMonitor } from '../../runtime/real-clock.ts';
export { mailboxStatsOf } from '../../runtime/mailbox-stats.ts';
export {
  createHttpEndpoint, type HttpEndpoint, type HttpEndpointOptions, type HttpReply, type HttpRequestInfo, type HttpRouteHandler,
} from '../../runtime/http/http-endpoint.ts';
