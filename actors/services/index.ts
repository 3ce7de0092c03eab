// The public names of services: definition, placement rules, hosts and handles, messages,
// status and health, re-exported by name.

export { defineService, MAX_INSTANCES, type ServiceSpec, type ServiceDefinition, type ServiceRecovery, type DrainSettings } from './define-service.ts';
export type { PlacementSpec, ResolvedPlacement } from './placement.ts';
export {
  createServiceHost, type ServiceHost, type ServiceHostOptions, type Service, type ServiceRouterOptions, type DrainOptions, type StatusOptions,
} from './service-host.ts';
export { registerServiceMessages, SERVICE_MESSAGE_TYPES, type ServiceCommand, type ServiceMsg, type ScaleResult, type DrainResult } from './service-protocol.ts';
export type { ServiceStatus, InstanceStatus, InstancePhase, NodePlacement, ServiceHealthState } from './service-status.ts';
export type { InstanceHealth, HealthReport, ServiceProbes } from './instance-health.ts';
