// How many shop scenarios the seed runner gets through per CPU-minute: 3 nodes, 50 orders through
// sagas, event-sourced inventory and payments, the bus, one partition, one lossy link, one kill.
// Usage: node --import tsx bench/sim/shop-seeds.ts [seeds=40] [explore=1]
//
// Measured (2 shared cores, CPU time of this process, 40 seeds): 420–580/CPU-minute exploring,
// 425–635 without (load 0.6–2.7, runs minutes apart); 300–420 at load 4–7. The old simulated cluster ran a lighter shop (memory journals,
// no disk latency, no remote consumer) at 150–240 (load 5–7). Where the time goes (CPU profile,
// steady state, exploring): GC 18 %; the simulated journal 8 % (encoding and validating events as
// the file journal does, async appends); the wire codec 6 % and remoting 4 % (every message
// between nodes is encoded, framed and decoded as on TCP); the world's own scheduling 5 %; saga
// hosts 5 % (an xstate actor per saga took 20 % before it was replaced); escape detection 4 %
// (async_hooks; `escapes: 'allow'` saves it); the bus consumer 3 %; membership heartbeats 2 %.

import { runSeeds } from '../../runtime/testing.ts';
import { shopFaults, shopInvariants, shopScenario } from '../../spec/helpers/sim-shop.ts';

const seeds = Number(process.argv[2] ?? 40);
const explore = (process.argv[3] ?? '1') !== '0';
const warm = await runSeeds({ name: 'shop-warmup', seeds: 5, scenario: shopScenario(), faults: shopFaults, invariants: shopInvariants, explore, log: () => {} });
const report = await runSeeds({
  name: 'shop', seeds, scenario: shopScenario(), faults: shopFaults, invariants: shopInvariants, explore, stopAtFirstFailure: false, shrink: false,
  log: (l) => { if (!l.startsWith('shop: seeds')) console.log(l); },
});
const perMinute = (report.runs / report.cpuMs) * 60_000;
console.log(`${report.runs} shop runs (explore ${explore}), ${Math.round(report.cpuMs)} ms CPU: ${Math.round(perMinute)} scenarios per CPU-minute; ${report.failures.length} failed (warm-up: ${warm.failures.length})`);
