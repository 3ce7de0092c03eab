// How many shop scenarios the seed runner gets through per CPU-minute: 3 nodes, 50 orders through
// sagas, event-sourced inventory and payments, the bus, one partition, one lossy link, one crash.
// Usage: node --import tsx bench/sim/shop-seeds.ts [seeds=40] [explore=1]

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
