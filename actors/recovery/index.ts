// Recovery's public names: policies, the coordinator actor and its events, re-exported by name.

export {
  resolveRecoveryPolicy, DEFAULT_RECOVERY_POLICY, FAILURE_KINDS, RECOVERY_ACTIONS,
  type RecoveryPolicy, type ResolvedRecoveryPolicy, type FailureKind, type RecoveryAction,
} from './recovery-policy.ts';
export {
  createRecoveryCoordinator, type RecoveryCoordinator, type RecoveryCoordinatorOptions, type RecoveryEvent, type RecoveryMsg, type RecoverCommand,
} from './recovery-coordinator.ts';
export { registerRecoveryMessages, RECOVERY_MESSAGE_TYPES, type PermitMsg } from './recovery-protocol.ts';
export { failureKindOf, decide, mayEject, backoffMs, type Failure, type Verdict, type Ledger, type Permit } from './internal/recovery-decisions.ts';
