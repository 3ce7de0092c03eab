// Troupe's public entry: every public name, re-exported by name.

export { createSystem, type ActorSystem, type SystemOptions } from './system.ts';
export { defineActor, type ActorDefinition, type ActorSpec, type Signal, type TerminationReason, type Next } from './behavior.ts';
export { ActorRef, type AnyActorRef } from './actor-ref.ts';
export type { ActorContext, TimerScheduler } from './context.ts';
export type { AskOptions } from './ask.ts';
export type { SpawnOptions } from './spawn-options.ts';
export { formatAddress, parseAddress, type Address } from './address.ts';
export { TroupeError, isTroupeError, assertNever, type TroupeErrorCode } from './errors.ts';
export type { SystemEvent, DeadLetterReason, SystemTerminationReason } from './events.ts';
export { formatTree, type InspectNode } from './inspect.ts';
export type { Clock, Scheduler, TimerId } from './clock.ts';
export { createSeededRandom, type Random } from './random.ts';
export { createIdSource, type IdSource } from './ids.ts';
export { createRealScheduler, realClock } from './real-clock.ts';
export type { MailboxOptions, MailboxStats, OverflowPolicy } from '../mailboxes/mailbox.ts';
export type { Strategy, Directive, RestartType, Decider, SupervisionOptions } from '../supervisors/strategy.ts';
export type { Intensity } from '../supervisors/restart-window.ts';
export type { Backoff } from '../supervisors/backoff.ts';
export type { Bulkhead } from '../supervisors/bulkhead.ts';
export { defineSupervisor, child, type ChildSpec, type ChildInfo, type SupervisorMsg, type SupervisorSpec } from '../supervisors/define-supervisor.ts';
export { defineMachineActor, type MachineActorOptions } from '../actors/machine-actor.ts';
export {
  createCircuitBreaker, type CircuitBreaker, type CircuitBreakerOptions, type BreakerSnapshot, type BreakerStateChange,
  type BreakerStats, type BreakerState, type BreakerTrip, type BreakerChangeReason,
} from '../supervisors/circuit-breaker.ts';
