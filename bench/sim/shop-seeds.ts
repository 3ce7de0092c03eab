// How many shop scenarios the seed runner gets through per CPU-minute: 3 nodes, 50 orders through
// sagas, event-sourced inventory and payments, the bus, one partition, one lossy link, one kill.
// Usage: node --import tsx bench/sim/shop-seeds.ts [seeds=40] [explore=1]
//
// Measured (2 shared cores, CPU time of this process, V8's GC and compiler threads included), in
// the same minutes as the code before this round: 40 seeds 560–700/CPU-minute exploring, 740–790
// without (before: 390–490 exploring), load 6–9; 300 seeds 1 110–1 140 (before: 480), load 6–8; a
// whole CPU-minute (1 000 seeds) 1 045, load 5–6. The first ~30 seeds cost 2–3× the steady rate
// (JIT warm-up), so 40 seeds understate it; the steady cost is ~55 ms per seed (~5 600 steps,
// ~10 µs each). Traces are identical to before (same steps, same order, same end states).
// Not reached: the target of 2 000. Where the time goes (steady state, main-thread profile,
// exploring): the wire codec 17 % (JSON.stringify/parse of every frame, as on TCP); GC 13 %, plus
// V8's helper threads (parallel scavenge, concurrent marking) adding ~¼ to the process's CPU (17 MB
// allocated per seed); async hooks and microtask plumbing 12 % (escape detection puts every
// promise through init/before/after hooks: ~10 %, `escapes: 'allow'` saves it); the world's own
// scheduling 8 %; the journal 6 %; actor cells, asks and spawns 6 %; saga hosts 6 %; the bus 5 %;
// errors 4 % (~200 TroupeErrors a seed from asks and polls during the outages, each capturing a
// stack); remoting 4 %; membership heartbeats 4 % (the production defaults, 250 ms); the shop 3 %.
// What made it faster: the barrier between instants is the end of the microtask queue instead of
// a macrotask (2 800 setImmediate a seed); escape detection carries its context itself with one
// hook instead of an AsyncLocalStorage plus a hook; hot `{ ...o, newKey }` spreads written out
// (on Node 20 each added key costs ~1.5 µs); the bus's partition assignment computed once per
// membership view; no per-instant reallocation of the world's ready queue.

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
