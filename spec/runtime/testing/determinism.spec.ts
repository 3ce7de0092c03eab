import { suite } from '../../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorRef } from '../../../runtime/index.ts';
import { createTestSystem, formatTrace, type SimTrace, type TestSystemOptions, type TraceEntry } from '../../../runtime/testing.ts';

// A small bank: three tellers move money between two accounts concurrently, with timers and a
// crash. Balances depend on the order in which the tellers' messages interleave.
type AccountMsg = { type: 'apply'; op: 'add' | 'double'; amount: number } | { type: 'get'; replyTo: ActorRef<number> };
const account = defineActor<AccountMsg, number>({
  name: 'account',
  init: () => 10,
  receive: (balance, m, ctx) => {
    switch (m.type) {
      case 'apply': return m.op === 'add' ? balance + m.amount : balance * 2;
      case 'get': ctx.send(m.replyTo, balance); return balance;
    }
  },
});
type TellerMsg = { type: 'go' } | { type: 'tick' };
const teller = (target: ActorRef<AccountMsg>, op: 'add' | 'double', amount: number) => defineActor<TellerMsg, number>({
  name: 'teller',
  init: () => 0,
  receive: (n, m, ctx) => {
    if (m.type === 'go') { ctx.timers.startPeriodic('tick', { type: 'tick' }, 10); return n; }
    target.tell({ type: 'apply', op, amount });
    if (n === 2) { ctx.timers.cancel('tick'); throw new Error(`teller ${op} ${amount} tripped`); }
    return n + 1;
  },
});

async function run(options: TestSystemOptions): Promise<{ trace: TraceEntry[]; recording: SimTrace; balances: number[] }> {
  const kit = createTestSystem({ ...options, guardian: { intensity: { maxRestarts: 100, withinMs: 1_000 } } });
  const a = kit.spawn(account, 'a');
  const b = kit.spawn(account, 'b');
  const tellers = [kit.spawn(teller(a, 'add', 5), 't1'), kit.spawn(teller(a, 'double', 0), 't2'), kit.spawn(teller(b, 'add', 3), 't3'), kit.spawn(teller(b, 'double', 0), 't4')];
  for (const t of tellers) t.tell({ type: 'go' });
  await kit.advance(100);
  const probe = kit.createProbe<number>();
  a.tell({ type: 'get', replyTo: probe.ref });
  b.tell({ type: 'get', replyTo: probe.ref });
  const balances = await probe.receiveMessages(2);
  await kit.terminate();
  return { trace: [...kit.trace], recording: kit.simTrace(), balances };
}

const test = suite('determinism');

test('the same seed gives an identical trace and the same final states', async () => {
  const one = await run({ seed: 42, explore: true });
  const two = await run({ seed: 42, explore: true });
  assert.ok(one.trace.length > 50);
  assert.equal(formatTrace(two.trace), formatTrace(one.trace));
  assert.equal(two.balances, one.balances);
  for (const kind of ['turn', 'deliver', 'timer', 'failed', 'restarted', 'spawned', 'stopped'] as const) {
    assert.ok(one.trace.some((e) => e.kind === kind), `trace records ${kind}`);
  }
});

test('another seed changes the interleaving (and here the outcome)', async () => {
  const base = await run({ seed: 42, explore: true });
  const others = await Promise.all([1, 2, 3, 4, 5].map((seed) => run({ seed, explore: true })));
  assert.ok(others.some((o) => formatTrace(o.trace) !== formatTrace(base.trace)), 'some seed gives a different trace');
  const outcomes = new Set([base, ...others].map((o) => o.balances.join(',')));
  assert.ok(outcomes.size > 1, `different interleavings reach different balances: ${[...outcomes].join(' | ')}`);
});

test('a recorded trace replays to the same final states', async () => {
  const runs = await Promise.all([7, 8, 9].map((seed) => run({ seed, explore: true })));
  for (const recorded of runs) {
    const replayed = await run({ replay: recorded.recording });
    assert.equal(replayed.balances, recorded.balances);
    assert.equal(replayed.trace.filter((e) => e.kind === 'deliver'), recorded.trace.filter((e) => e.kind === 'deliver').map((e) => e));
  }
});

test('without exploration the run is deterministic too (FIFO dispatch)', async () => {
  const one = await run({ seed: 5 });
  const two = await run({ seed: 5 });
  assert.equal(formatTrace(two.trace), formatTrace(one.trace));
});

test.run();
