// Troupe's public entry: every public name, re-exported by name.

export { createSystem, type ActorSystem, type SystemOptions } from './system.ts';
export { defineActor, IGNORE, type Ignore, type ChildType, type ActorDefinition, type ActorSpec, type Signal, type TerminationReason, type Next } from './behavior.ts';
export { ActorRef, type AnyActorRef } from './actor-ref.ts';
export type { ActorContext, TimerScheduler } from './context.ts';
export type { AskOptions } from './ask.ts';
export type { SpawnOptions, Shutdown } from './spawn-options.ts';
export { formatAddress, parseAddress, type Address } from './address.ts';
export { TroupeError, isTroupeError, assertNever, type TroupeErrorCode } from './errors.ts';
export type { SystemEvent, DeadLetterReason, SystemTerminationReason } from './events.ts';
export { formatTree, type InspectNode } from './inspect.ts';
export type { Clock, Scheduler, TimerId } from './clock.ts';
export { createSeededRandom, type Random } from './random.ts';
export { createIdSource, type IdSource } from './ids.ts';
export { createRealScheduler, realClock, wallClockMs } from './real-clock.ts';

// Observability: metrics and logs
export type { MetricsOptions, SystemMetrics, MetricsResponse, MetricConfig } from './observe/metrics.ts';
export { serveMetrics, type MetricsServer } from './observe/serve-metrics.ts';
export type { LogOptions, LogLevel, LogDestination, LogLine } from './observe/log-options.ts';
export type { Logger } from 'pino';
export type { MailboxOptions, PriorityMailboxOptions, MailboxStats, OverflowPolicy } from '../mailboxes/mailbox.ts';
export type { Strategy, Directive, RestartType, Decider, SupervisionOptions, AutoShutdown } from '../supervisors/strategy.ts';
export type { Intensity } from '../supervisors/restart-window.ts';
export type { Backoff } from '../supervisors/backoff.ts';
export type { Bulkhead } from '../supervisors/bulkhead.ts';
export {
  defineSupervisor, child, type ChildSpec, type SupervisorMsg, type SupervisorSpec,
  type ChildEntry, type ChildCounts, type StartChildResult, type RestartChildResult, type TerminateChildResult, type DeleteChildResult,
} from '../supervisors/define-supervisor.ts';
export { supervisorClient, type SupervisorClient } from '../supervisors/supervisor-client.ts';
export { definePool, poolClient, type PoolSpec, type PoolMsg, type PoolStartResult, type PoolClient } from '../supervisors/define-pool.ts';
export { defineMachineActor, type MachineActorOptions } from '../actors/machine-actor.ts';
export {
  createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions, type BreakerSnapshot, type BreakerStateChange,
  type BreakerStats, type BreakerState, type BreakerTrip, type BreakerChangeReason,
} from '../supervisors/circuit-breaker.ts';

// Tracing (OpenTelemetry)
export type { Tracing, TracingOptions, InSpanOptions } from './observe/tracing.ts';
export {
  sampleAlways, sampleNever, sampleRatio, sampleRateLimited, sampleParentBased, type SamplerSpec,
} from './observe/sampler.ts';
export {
  createSpanCollector, DEFAULT_MAX_SPANS, type SpanCollector, type SpanCollectorOptions, type CollectedSpan, type TraceSummary,
  type SpanKindName, type SpanStatusName, type SpanAttributeValue,
} from './observe/span-collector.ts';
export { renderTrace, criticalPath, type RenderTraceOptions } from './observe/trace-render.ts';
export { traceHttpRequest, type HttpRequestLike, type TraceHttpOptions } from './observe/http-trace.ts';
export {
  decodeTraceContext, formatTraceparent, type TraceIds, type TraceContextRejection, type DecodedTraceContext,
} from './observe/trace-context.ts';

// Remoting and clusters
export { createNode, type NodeOptions, type Cluster, type ClusterNode } from './cluster/node.ts';
export type { Member, MemberStatus, ClusterEvent, MembershipOptions, JoinProblem, WhenUpOptions } from './cluster/membership.ts';
export type { Transport, TransportKind, TransportContext, TransportEvents, LinkCloseReason } from './cluster/transport.ts';
export { createTcpTransport, type TcpTransportOptions, type TcpTlsOptions, type TcpListenerLimits } from './cluster/tcp-transport.ts';
export { createNatsTransport, type NatsTransportOptions } from './cluster/nats-transport.ts';
export type { DowningOptions, DowningStrategyName, DowningAction } from './cluster/downing/resolver.ts';
export type { Lease } from './cluster/downing/lease.ts';
export { createPgLease, type PgLeaseOptions } from './cluster/downing/pg-lease.ts';
export { spawnLocalCluster, type LocalCluster, type LocalClusterOptions, type LocalNodeHandle } from './cluster/local-cluster.ts';
export type { LocalNodeEntry } from './cluster/local-node-main.ts';
export { createMessageRegistry, type MessageRegistry, type MessageTypeSpec, type PayloadValidator, type Upcaster, type UpcasterInput } from './wire/message-registry.ts';
export { compareManifests, type Manifest, type ManifestIncompatibility } from './wire/manifest.ts';

// Service discovery and routing
export {
  createReceptionist, defineServiceKey, registerReceptionistMessages,
  type Receptionist, type ReceptionistOptions, type ReceptionistCommand, type ServiceKey, type ServiceInstance,
  type ServiceMetadata, type InstanceMetadata, type ServiceHealth, type Listing,
} from '../actors/receptionist.ts';
export { createRouter, type Router, type RouterOptions, type RouterStats, type RouteeStats, type RoutingStrategy, type RouterBreakerOptions } from '../actors/router.ts';

// Services: definitions, placement, hosts, scale / drain / status, health
export {
  defineService, createServiceHost, registerServiceMessages,
  type ServiceSpec, type ServiceDefinition, type ServiceRecovery, type DrainSettings, type PlacementSpec, type ServiceHost, type ServiceHostOptions,
  type Service, type ServiceRouterOptions, type DrainOptions, type StatusOptions, type ServiceCommand, type ServiceMsg, type ScaleResult, type DrainResult,
  type ServiceStatus, type InstanceStatus, type InstancePhase, type NodePlacement, type ServiceProbes,
} from '../actors/services/index.ts';
export {
  createRecoveryCoordinator, resolveRecoveryPolicy, DEFAULT_RECOVERY_POLICY, registerRecoveryMessages,
  type RecoveryCoordinator, type RecoveryCoordinatorOptions, type RecoveryEvent, type RecoveryPolicy, type FailureKind, type RecoveryAction,
} from '../actors/recovery/index.ts';

// Persistence: journal, event sourcing, projections, sagas
export type { Journal, JournalDeps, NewEvent, StoredEvent, EventMeta, ExpectedVersion, AppendResult, Snapshot } from '../actors/journal/journal.ts';
export { createMemoryJournal } from '../actors/journal/memory-journal.ts';
export { createFileJournal, type FileJournal, type FileJournalOptions } from '../actors/journal/file-journal.ts';
export { createPgJournal, type PgJournal, type PgJournalOptions } from '../actors/journal/pg-journal.ts';
export { readAllPages } from '../actors/journal/read-all-pages.ts';
export { observeJournal } from '../actors/journal/observe-journal.ts';
export {
  defineEventSourced, reject, type EventSourcedSpec, type EventSourcedCommand, type EventSourcedState,
  type CommandResult, type CommandError, type Decision,
} from '../actors/event-sourced.ts';
export { createProjection, withAppendHints, type Projection, type ProjectionOptions, type ProjectionStatus } from '../actors/projection.ts';
export {
  createMemoryProjectionStore, createAtLeastOnceStore, createMemoryCheckpoints, createFileCheckpoints, createPgProjectionStore,
  type ProjectionStore, type CheckpointStore,
} from '../actors/projection-stores.ts';
export {
  defineSaga, startSaga, resumeSagas, sagaStreamName,
  type SagaSpec, type SagaStep, type SagaStepContext, type SagaDefinition, type SagaHandle, type SagaOutcome, type SagaStatus,
  type SagaFailureReason, type CompensateFailed,
} from '../actors/saga.ts';

// Event bus: durable streams
export {
  createEventBus, registerEventBusMessages, idempotent, transactional, ack, nack, DedupWindow, createMemoryIdempotencyStore, createJournalIdempotencyStore,
  createMemoryLogBackend, createFileLogBackend, createJournalLog, createPgLogBackend, createJetStreamLogBackend, DEFAULT_DELIVERY,
  type EventBus, type EventBusOptions, type Topic, type TopicOptions, type Subscription, type SubscribeOptions, type DeliveryOptions,
  type BusEvent, type Delivery, type EventHandler, type PublishReceipt, type PublishOptions, type DeadLetter, type StartAt,
  type ConsumerLag, type ConsumerStatus, type IdempotencyStore, type LogBackend, type LogSource, type LogRecord, type Retention,
  type DerivedTopic, type MemoryLogOptions, type FileLogOptions, type DeliveryGuarantee, type PgLogOptions, type JetStreamLogOptions,
} from '../actors/streams/index.ts';

// Health probes and the node's HTTP endpoint
export {
  withProbes, defineProbeActor, dependsOn, createHealthRegistry, serveHealth, publishHealthEvents, aggregateHealth, isProbeRequest, askProbe,
  createEventLoopDelayMonitor, mailboxStatsOf, createHttpEndpoint, DEFAULT_PROBE, DEFAULT_SIGNALS,
  type ProbeRequest, type AskProbeOptions, type ProbeAnswer, type ProbeKind, type CheckResult, type CheckStatus, type InstanceSignals, type ProbeConfig,
  type ProbeSettings, type SignalSettings, type WithProbesOptions, type HealthCheck, type CheckOutcome, type InstanceHealth, type HealthState,
  type HealthReport, type ProbeActorOptions, type ProbeActorMsg, type HealthRegistry, type HealthRegistryOptions, type HealthEvent,
  type HealthSnapshot, type ServiceHealthStatus, type InstanceHealthStatus, type ServiceHealthState, type AggregateHealth, type CheckListing,
  type ServeHealthOptions, type EventLoopDelaySource, type HttpEndpoint, type HttpEndpointOptions, type HttpReply, type HttpRequestInfo,
  type HttpRouteHandler,
} from '../actors/probes/index.ts';

// Chaos: scenarios, their resilience report, targets, the node agent and the injectors
export {
  defineScenario, runScenario, formatReport, localClusterTarget, spawnChaosAgent, commandAgent, prepareNodeChaos, checkFault, planMethod,
  setActorFault, removeActorFault, crashActor, floodMailbox, withJournalFaults, allocateBallast, withLinkChaos, createClockSkew,
  type ScenarioSpec, type Scenario, type Hypothesis, type Check, type Tolerance, type Load, type RequestOutcome, type Rollback, type RollbackStrategy,
  type StepSpec, type PlannedOccurrence, type Fault, type FaultKind, type PlannedFault, type NodePick, type ActorSelector, type RunScenarioOptions,
  type ResilienceReport, type RunStatus, type FaultRecord, type HypothesisResult, type CheckResult as ScenarioCheckResult, type RequestCounts, type RollbackResult,
  type ChaosTarget, type TargetKind, type ChaosAgentOptions, type AgentCommand, type AgentReply, type NodeFault, type NodeChaosTargets,
  type ActorFault, type FaultyJournal, type JournalFault, type JournalFaultMode, type Ballast, type ChaosTransport, type LinkChaos,
  type LinkChaosRule, type LinkChaosStats, type LinkFaults, type LinkDirection, type ClockSkew, type Skew,
} from '../actors/chaos/index.ts';
