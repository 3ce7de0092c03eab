// Troupe's test kit entry (`troupe/testing`): virtual time, probes, traces, exploration, replay.

export { createTestSystem, type TestSystem, type TestSystemOptions } from './testing/test-system.ts';
export { deepEqual, type TestProbe, type Terminated } from './testing/probe.ts';
export { formatTrace, type TraceEntry, type TraceKind } from './testing/trace.ts';
export { createVirtualScheduler, type VirtualScheduler } from './virtual-clock.ts';
export { createSimCluster, type SimCluster, type SimClusterOptions } from './testing/sim-cluster.ts';
export { createSimNetwork, type SimNetwork, type LinkConditions } from './cluster/sim-network.ts';
export { createSimClusterTarget, type SimClusterTarget, type SimClusterTargetOptions } from '../actors/chaos/sim-cluster-target.ts';
