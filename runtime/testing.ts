// Troupe's test kit entry (`troupe/testing`): virtual time, probes, traces, exploration, replay.

export { createTestSystem, type TestSystem, type TestSystemOptions } from './testing/test-system.ts';
export type { VirtualDriver } from './testing/virtual-driver.ts';
export { parseSimTrace, stepLabel, traceLength, SIM_TRACE_FORMAT, type SimTrace } from './testing/sim-trace.ts';
export { checkFaults, describeFault, planFaults, type FaultPlan, type SimFault, type SimFaultKind } from './testing/sim-faults.ts';
export { createSimDisk, DEFAULT_SIM_DISK, type SimDisk, type SimDiskOptions, type SimDiskStats } from '../actors/journal/sim-disk.ts';
export { createSimJournal, type SimJournal, type SimJournalOptions } from '../actors/journal/sim-journal.ts';
export { deepEqual, type TestProbe, type Terminated } from './testing/probe.ts';
export { formatTrace, type TraceEntry, type TraceKind } from './testing/trace.ts';
export { createVirtualScheduler, type VirtualScheduler } from './virtual-clock.ts';
export { createSimCluster, type SimCluster, type SimClusterOptions, type SimNodeStart } from './testing/sim-cluster.ts';
export { createSimNetwork, type SimNetwork, type LinkConditions } from './cluster/sim-network.ts';
export { createSimClusterTarget, type SimClusterTarget, type SimClusterTargetOptions } from '../actors/chaos/sim-cluster-target.ts';
export { runSeeds, type Invariant, type RunSeedsOptions, type SeedFailure, type SeedReport, type SeedRun } from './testing/seed-runner.ts';
