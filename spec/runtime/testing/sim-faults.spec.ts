// The fault vocabulary as data: schedules drawn from a seed, checked, and applied to a simulated
// cluster at their times (each undone after its duration); malformed schedules and traces are refused.

import * as assert from 'uvu/assert';
import { suite } from '../../helpers/uvu.ts';
import { createMessageRegistry, createSeededRandom, defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { checkFaults, createSimCluster, describeFault, parseSimTrace, planFaults, type SimFault } from '../../../runtime/testing.ts';

const test = suite('simulation faults', undefined, { limitMs: 60_000 });

test('planFaults draws the same schedule from the same random, sorted by time, sparing the spare nodes', () => {
  const plan = { nodes: ['a', 'b', 'c'], partitions: 2, kills: 2, pauses: 1, diskFull: 1, lossyLinks: 1, spare: ['a'], withinMs: 500 };
  const one = planFaults(createSeededRandom(4), plan);
  assert.equal(planFaults(createSeededRandom(4), plan), one);
  assert.not.equal(planFaults(createSeededRandom(5), plan), one);
  assert.is(one.length, 7);
  assert.ok(one.every((f, i) => f.atMs < 500 && (i === 0 || f.atMs >= one[i - 1].atMs)));
  assert.ok(one.every((f) => !('node' in f) || f.node !== 'a'), 'a is never crashed, paused or filled');
  for (const f of one) if (f.kind === 'partition') assert.equal(f.groups.flat().sort(), ['a', 'b', 'c']);
  checkFaults(one);
  assert.match(describeFault({ atMs: 400, kind: 'kill', node: 'b', restartAfterMs: 300 }), /^kill b @400ms \(restart after 300ms\)$/);
  assert.is(describeFault({ atMs: 5, kind: 'partition', groups: [['a'], ['b'], ['c']] }), 'partition [a]|[b]|[c] @5ms');
});

test('a malformed schedule is refused naming the fault; so is a malformed trace', () => {
  const bad: [unknown, RegExp][] = [
    [[{ atMs: 1, kind: 'explode' }], /Fault 0 .*unknown kind/],
    [[{ atMs: -1, kind: 'heal' }], /Fault 0 .*atMs/],
    [[{ atMs: 1, kind: 'heal' }, { atMs: 2, kind: 'kill' }], /Fault 1 .*needs node/],
    [[{ atMs: 1, kind: 'partition', groups: [['a']] }], /Fault 0 .*two or more/],
    [[{ atMs: 1, kind: 'pause', node: 'b' }], /Fault 0 .*needs node and forMs/],
    [[{ atMs: 1, kind: 'clock-skew', node: 'b', driftRatio: -1 }], /Fault 0 .*driftRatio a finite number > −1/],
    [[{ atMs: 1, kind: 'clock-skew', node: 'b', offsetMs: Infinity }], /Fault 0 .*offsetMs a finite number/],
    [[{ atMs: 1, kind: 'link', from: 'a', to: 'b', faults: { loss: 2 } }], /Fault 0 .*bad faults/],
    [[{ atMs: 1, kind: 'link', from: 'a', to: 'b', faults: { bandwidthBytesPerSec: 1_000 } }], /Fault 0 .*createSimClusterTarget/],
  ];
  for (const [faults, message] of bad) assert.throws(() => checkFaults(faults as SimFault[]), (e: unknown) => isTroupeError(e, 'invalid-argument') && message.test((e as Error).message));
  for (const trace of [null, { format: 'x' }, { format: 'troupe-sim-trace/1', seed: 1, explore: false, labels: ['a'], steps: [0, 0], faults: [] }, { format: 'troupe-sim-trace/1', seed: 1, explore: false, labels: [], steps: [0, 0, 0], faults: [] }]) {
    assert.throws(() => parseSimTrace(trace), (e: unknown) => isTroupeError(e, 'invalid-argument') && /Not a simulation trace/.test((e as Error).message));
  }
});

test('a schedule is applied at its times: partition then heal, lossy link then restored, pause then resume, full disk then free, kill then restart', async () => {
  type Ping = { type: 'ping'; replyTo: ActorRef<string> };
  const registry = () => createMessageRegistry().define('ping', { version: 1 });
  const faults: SimFault[] = [
    { atMs: 100, kind: 'partition', groups: [['a'], ['b', 'c']], forMs: 200 },
    { atMs: 7_400, kind: 'link', from: 'a', to: 'c', faults: { loss: 1 }, forMs: 100 },
    { atMs: 7_600, kind: 'pause', node: 'c', forMs: 100 },
    { atMs: 7_800, kind: 'disk-full', node: 'b', forMs: 100 },
    { atMs: 8_000, kind: 'kill', node: 'c', restartAfterMs: 100 },
  ];
  let starts = 0;
  const sim = await createSimCluster({
    nodes: ['a', 'b', 'c'], seed: 6, registry, faults,
    boot: ({ name, node }) => { if (name === 'c') { starts++; node.system.spawn(defineActor<Ping, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, 'pong'); } }), 'pong'); } },
  });
  const t0 = sim.now();
  /** Whether a's ping to c is answered within 50 ms, at `at` ms after the start. */
  const pingAt = async (at: number): Promise<boolean> => {
    await sim.advanceTo(t0 + at);
    let answered = false;
    void sim.node('a').cluster.identify<Ping>('c', '/user/pong', 50).then((ref) => ref?.ask<string>((replyTo) => ({ type: 'ping', replyTo }), { timeoutMs: 50 })).then((r) => { answered = r === 'pong'; }, () => undefined);
    await sim.runUntil(() => answered, 50);
    return answered;
  };
  assert.ok(await pingAt(50), 'before any fault');
  assert.not.ok(await pingAt(150), 'partitioned');
  // healed at 300; a link that tried to connect while cut comes back after the transport's handshake timeout (5 s)
  assert.ok(await pingAt(7_000), 'healed');
  assert.not.ok(await pingAt(7_420), 'a → c loses everything');
  assert.ok(await pingAt(7_520), 'the link is back to its conditions');
  assert.not.ok(await pingAt(7_620), 'c is paused');
  assert.ok(await pingAt(7_720), 'c resumed');
  await sim.advanceTo(t0 + 7_820);
  assert.ok(sim.disk('b').full, 'b\'s disk is full');
  await sim.advanceTo(t0 + 7_920);
  assert.not.ok(sim.disk('b').full);
  await sim.advanceTo(t0 + 8_020);
  assert.not.ok(sim.nodes.has('c'), 'c was killed');
  await sim.runUntil(() => sim.nodes.get('c')?.cluster.self.status === 'up', 5_000);
  assert.is(starts, 2, 'c was started again, and booted');
  assert.equal(sim.faultLog, faults.map(describeFault));
  assert.equal(sim.simTrace().faults, faults);
  await sim.shutdown();
});

test('clock skew: the node reads its skewed clock, a drift runs its timers fast, the skew ends after forMs and outlives a restart; a link fault on \'*\' both ways cuts a node off', async () => {
  type Tick = { type: 'tick' };
  const ticks: number[] = [];
  const stamps: number[] = [];
  const ticker = defineActor<Tick, undefined>({
    init: (ctx) => { ctx.timers.startPeriodic('t', { type: 'tick' }, 100); return undefined; },
    receive: (_s, _m, ctx) => { ticks.push(ctx.now()); stamps.push(ctx.system.clock.now()); },
  });
  const faults: SimFault[] = [
    { atMs: 1_000, kind: 'clock-skew', node: 'b', offsetMs: 60_000, driftRatio: 0.25, forMs: 1_000 },
    { atMs: 3_000, kind: 'link', from: '*', to: 'c', faults: { loss: 1 }, both: true, forMs: 200 },
  ];
  const sim = await createSimCluster({ nodes: ['a', 'b', 'c'], seed: 3, faults, boot: ({ name, node }) => { if (name === 'b') node.system.spawn(ticker, 'ticker'); } });
  const t0 = sim.now();
  const a = sim.node('a').system.clock, b = () => sim.node('b').system.clock.now();
  await sim.advanceTo(t0 + 900);
  assert.ok(Math.abs(b() - a.now()) < 1, 'no skew before the fault');
  ticks.length = 0;
  await sim.advanceTo(t0 + 1_000);
  assert.ok(b() - a.now() >= 60_000, 'b jumped a minute ahead');
  const before = ticks.length;
  await sim.advanceTo(t0 + 1_900);
  // 900 ms of true time at 1.25: 100 ms timers of b fire every 80 ms — more ticks than 9
  assert.ok(ticks.length - before >= 10, `drift runs b's timers fast (${ticks.length - before} ticks in 900 ms)`);
  await sim.advanceTo(t0 + 2_100);
  assert.ok(Math.abs(b() - a.now()) < 1, 'the skew ended after forMs');
  sim.clockSkew('b').set({ offsetMs: -5_000 });
  await sim.crash('b');
  await sim.start('b');
  assert.ok(a.now() - b() >= 4_999, 'a restarted node keeps its machine\'s clock skew');
  sim.clockSkew('b').clear();
  const reach = async (from: string, to: string): Promise<boolean> => {
    let ok = false;
    void sim.node(from).cluster.identify(to, '/user', 50).then((r) => { ok = r !== undefined; }, () => undefined);
    await sim.runUntil(() => ok, 60);
    return ok;
  };
  await sim.advanceTo(t0 + 3_050);
  assert.not.ok(await reach('a', 'c'), 'a → c cut');
  assert.not.ok(await reach('c', 'b'), 'c → b cut (both ways)');
  assert.ok(await reach('a', 'b'), 'a → b untouched');
  assert.ok(sim.faultLog.includes('link *<->c {"loss":1} @3000ms (for 200ms)'), sim.faultLog.join(' | '));
  await sim.shutdown();
});

test.run();
