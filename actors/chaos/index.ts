// Chaos engineering, re-exported by name: scenarios (hypothesis, method, rollbacks) and their
// resilience report, targets (local cluster, simulation), the node agent and the injectors.

export { defineScenario, type ScenarioSpec, type Scenario, type Hypothesis, type Check, type Tolerance, type TolerancePredicate, type Load, type RequestOutcome, type Rollback, type RollbackStrategy } from './scenario.ts';
export { checkSteps, planMethod, type StepSpec, type PlannedOccurrence } from './schedule.ts';
export { checkFault, describeFault, INSTANT_FAULTS, type Fault, type FaultKind, type PlannedFault, type NodePick, type ActorSelector } from './fault.ts';
export { runScenario, type RunScenarioOptions } from './run-scenario.ts';
export {
  formatReport, measureRecovery, type ResilienceReport, type RunStatus, type FaultRecord, type HypothesisResult, type CheckResult,
  type DuringSummary, type RequestCounts, type RollbackResult,
} from './report.ts';
export type { ChaosTarget, TargetKind } from './target.ts';
export { localClusterTarget } from './local-cluster-target.ts';
export { spawnChaosAgent, commandAgent, type ChaosAgentOptions, type ChaosAgentMsg, type AgentCommand, type AgentReply, type NodeFault } from './chaos-agent.ts';
export { prepareNodeChaos, type NodeChaos, type NodeChaosTargets } from './node-chaos.ts';
export { setActorFault, removeActorFault, crashActor, floodMailbox, checkActorFault, type ActorFault, type ActorFaultOptions } from './actor-faults.ts';
export { withJournalFaults, checkJournalFault, type FaultyJournal, type JournalFaults, type JournalFault, type JournalFaultMode, type JournalOp, type JournalFaultOptions } from './journal-faults.ts';
export { allocateBallast, MAX_BALLAST_BYTES, type Ballast } from './memory-pressure.ts';
export { withLinkChaos, type ChaosTransport, type LinkChaos, type LinkChaosRule, type LinkChaosStats, type LinkChaosOptions } from '../../runtime/cluster/chaos-transport.ts';
export { resolveLinkFaults, NO_LINK_FAULTS, type LinkFaults, type LinkDirection, type ResolvedLinkFaults } from '../../runtime/cluster/link-faults.ts';
export { createClockSkew, type ClockSkew, type Skew } from '../../runtime/clock-skew.ts';
