// One trace for a whole simulated cluster: the same seed gives the same steps and states,
// exploration varies delivery order across nodes and when awaited continuations resume, a recorded
// trace replays to the same states, and a tampered one fails at the step it differs, as a rejection.

import * as assert from 'uvu/assert';
import { suite } from '../../helpers/uvu.ts';
import { createMessageRegistry, defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createSimCluster, createTestSystem, parseSimTrace, stepLabel, traceLength, type SimTrace } from '../../../runtime/testing.ts';

// Node a's teller sends transfers to the banks on b and c; each bank applies them (drawing a fee
// from its seeded random), journals them on its disk, and answers; the teller awaits each answer.
type Transfer = { type: 'transfer'; amount: number; replyTo: ActorRef<number> };
type TellerMsg = { type: 'go'; rounds: number };
const registry = () => createMessageRegistry().define('transfer', { version: 1 });

interface Outcome { readonly states: Record<string, number>; readonly log: string[]; readonly trace: SimTrace }

async function run(options: { seed?: number; explore?: boolean; replay?: SimTrace; rounds?: number; jitterMs?: number }): Promise<Outcome> {
  const states: Record<string, number> = {};
  const log: string[] = [];
  const sim = await createSimCluster({
    nodes: ['a', 'b', 'c'], registry, network: { latencyMs: 2, jitterMs: options.jitterMs ?? 2 },
    seed: options.seed, explore: options.explore, replay: options.replay,
    boot: ({ name, node, journal }) => {
      if (name === 'a') return;
      node.system.spawn(defineActor<Transfer, number>({
        init: () => 0,
        receive: async (balance, m, ctx) => {
          const fee = ctx.random.int(3);
          await journal.append(`bank-${name}`, [{ type: 'applied', data: { amount: m.amount, fee } }], { expectedVersion: 'any' });
          states[name] = balance + m.amount - fee;
          log.push(`${name}+${m.amount}`);
          ctx.send(m.replyTo, states[name]);
          return states[name];
        },
      }), 'bank');
    },
  });
  const banks = ['b', 'c'].map((n) => sim.node('a').cluster.identify<Transfer>(n, '/user/bank'));
  let refs: (ActorRef<Transfer> | undefined)[] = [];
  void Promise.all(banks).then((r) => { refs = r; });
  await sim.runUntil(() => refs.length === 2, 5_000);
  const teller = (id: string) => defineActor<TellerMsg, number>({
    init: () => 0,
    receive: async (s, m, ctx) => {
      for (let i = 0; i < m.rounds; i++) {
        await ctx.ask<number, Transfer>(refs[i % 2]!, (replyTo) => ({ type: 'transfer', amount: i + 1, replyTo }));
        log.push(`${id} got ${i}`); // a continuation: where it lands among the other steps is explored
      }
      return s;
    },
  });
  for (const id of ['t1', 't2']) sim.node('a').system.spawn(teller(id), id).tell({ type: 'go', rounds: options.rounds ?? 4 });
  await sim.advance(500);
  await sim.shutdown();
  return { states, log, trace: sim.simTrace() };
}

const test = suite('simulation trace and replay', undefined, { limitMs: 60_000 });

test('the same seed gives the same trace and the same final states; the trace holds the seed', async () => {
  const one = await run({ seed: 21, explore: true });
  const two = await run({ seed: 21, explore: true });
  assert.ok(traceLength(one.trace) > 100);
  assert.is(one.trace.seed, 21);
  assert.equal(two.trace, one.trace);
  assert.equal([two.states, two.log], [one.states, one.log]);
  assert.ok(one.trace.end !== undefined, 'taken after shutdown: the trace says where the run ended');
});

test('exploration varies the delivery order across nodes and where awaited continuations resume', async () => {
  // no jitter: the network takes the same time for every packet, the scheduler's choices vary the rest
  const orders = new Set<string>();
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) orders.add((await run({ seed, explore: true, rounds: 2, jitterMs: 0 })).log.join(' '));
  assert.ok(orders.size > 2, `${orders.size} distinct orders of transfers and resumed tellers over 8 seeds`);
  const trace = (await run({ seed: 3, explore: true })).trace;
  assert.ok(trace.labels.some((l) => /^a\/temp\/ask-\d+$/.test(l)), 'settled asks are steps of their own');
  assert.ok(trace.labels.some((l) => l.endsWith(' done')), 'so are ended async handlers');
});

test('on one system, where an awaiting handler resumes among other actors\' turns is explored; FIFO keeps one order', async () => {
  type Ask = { type: 'ask'; replyTo: ActorRef<string> };
  const order = async (seed: number, explore: boolean): Promise<string> => {
    const kit = createTestSystem({ seed, explore });
    const log: string[] = [];
    const answerer = kit.spawn(defineActor<Ask, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, 'yes'); } }), 'answerer');
    const waiter = kit.spawn(defineActor<{ type: 'go' }, undefined>({
      init: () => undefined,
      receive: async (_s, _m, ctx) => { await ctx.ask<string, Ask>(answerer, (replyTo) => ({ type: 'ask', replyTo })); log.push('resumed'); },
    }), 'waiter');
    const others = [1, 2, 3].map((i) => kit.spawn(defineActor<{ type: 'go' }, undefined>({ init: () => undefined, receive: () => { log.push(`other${i}`); } }), `other${i}`));
    waiter.tell({ type: 'go' });
    for (const o of others) o.tell({ type: 'go' });
    await kit.runUntilIdle();
    await kit.terminate();
    return log.join(' ');
  };
  const explored = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) explored.add(await order(seed, true));
  const positions = new Set([...explored].map((o) => o.split(' ').indexOf('resumed')));
  assert.ok(positions.size >= 2, `the continuation ran at different places among the other turns: ${[...explored].join(' | ')}`);
  assert.ok([...explored].every((o) => o.split(' ').length === 4), 'every message was handled');
  const fifo = new Set<string>();
  for (let seed = 1; seed <= 4; seed++) fifo.add(await order(seed, false));
  assert.is(fifo.size, 1);
});

test('a recorded trace (through JSON) replays to the same final states, step for step', async () => {
  const recorded = await run({ seed: 8, explore: true });
  const trace = parseSimTrace(JSON.parse(JSON.stringify(recorded.trace)));
  const replayed = await run({ replay: trace });
  assert.equal([replayed.states, replayed.log], [recorded.states, recorded.log]);
  assert.equal(replayed.trace.steps, recorded.trace.steps);
});

test('a tampered trace fails with "diverged at step N: expected …, got …" as a rejection, never an uncaught exception', async () => {
  const recorded = await run({ seed: 8, explore: true });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown): void => { uncaught.push(e); };
  process.on('uncaughtException', onUncaught);
  try {
    // another choice among the ready steps at the first step where there was one
    let k = 0;
    while (recorded.trace.steps[3 * k + 1] === 0) k++;
    const steps = [...recorded.trace.steps];
    steps[3 * k + 1] = 0;
    const err = await run({ replay: { ...recorded.trace, steps } }).then(() => undefined, (e: unknown) => e);
    assert.ok(isTroupeError(err, 'replay-diverged'), String(err));
    assert.match((err as Error).message, new RegExp(`^Replay diverged at step ${k}: expected ${escape(stepLabel(recorded.trace, k)!)}, got `));
    assert.is((err as { data: Record<string, unknown> }).data.step, k);

    // the same step, but the recorded run had drawn other random numbers before it
    const drawn = [...recorded.trace.steps];
    const m = Math.floor(traceLength(recorded.trace) / 2);
    drawn[3 * m + 2] += 1;
    const err2 = await run({ replay: { ...recorded.trace, steps: drawn } }).then(() => undefined, (e: unknown) => e);
    assert.ok(isTroupeError(err2, 'replay-diverged'));
    assert.match((err2 as Error).message, new RegExp(`^Replay diverged at step ${m}: .*random draws`));

    // a scenario that does less than the recorded one ends early
    const err3 = await run({ replay: recorded.trace, rounds: 1 }).then(() => undefined, (e: unknown) => e);
    assert.ok(isTroupeError(err3, 'replay-diverged'), String(err3));
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  assert.equal(uncaught, []);
});

test('a test system replays from its trace too: seed and exploration come from it, a legacy step log is refused', async () => {
  const scenario = async (kit: ReturnType<typeof createTestSystem>): Promise<number[]> => {
    const seen: number[] = [];
    const echo = kit.spawn(defineActor<{ type: 'n'; n: number; replyTo: ActorRef<number> }, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, m.n + ctx.random.int(100)); } }), 'echo');
    await Promise.all([1, 2, 3, 4].map((n) => echo.ask<number>((replyTo) => ({ type: 'n', n, replyTo })).then((r) => { seen.push(r); })));
    await kit.terminate();
    return seen;
  };
  const kit = createTestSystem({ seed: 77, explore: true });
  const recorded = await scenario(kit);
  const again = createTestSystem({ replay: kit.simTrace() });
  assert.equal(await scenario(again), recorded);
  assert.throws(() => createTestSystem({ replay: kit.simTrace(), seed: 1 }), /runs with its trace's seed \(77\)/);
  assert.throws(() => createTestSystem({ replay: kit.trace as unknown as SimTrace }), (e: unknown) => isTroupeError(e, 'invalid-argument') && /Not a simulation trace/.test((e as Error).message));
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

test.run();
