// Specs of delivery through a system: overflow to dead letters, the system lane before the user
// lane, fairness between actors, priority overtaking, and per-sender order.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, isTroupeError, type ActorRef, type DeadLetterReason, type MailboxOptions, type SystemEvent } from '../../runtime/index.ts';
import { createTestSystem, type TestSystem } from '../../runtime/testing.ts';

type DeadLetter = Extract<SystemEvent, { type: 'dead-letter' }>;
function deadLetters(kit: TestSystem): DeadLetter[] {
  const out: DeadLetter[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') out.push(e); });
  return out;
}
const reasonsOf = (ds: DeadLetter[]): DeadLetterReason[] => ds.map((d) => d.reason);

type Job = { type: 'job'; n: number } | { type: 'q'; replyTo: ActorRef<string> };
/** An actor that records the `n` of every job it handles and answers `q` with 'ok'. */
function recorder(log: number[], mailbox?: MailboxOptions) {
  return defineActor<Job, undefined>({
    name: 'recorder',
    mailbox,
    init: () => undefined,
    receive: (_s, m, ctx) => {
      if (m.type === 'job') log.push(m.n);
      else ctx.send(m.replyTo, 'ok');
    },
  });
}

const test = suite('delivery');

for (const overflow of ['reject', 'drop-newest'] as const) {
  test(`bounded ${overflow}: messages past capacity go to dead letters with reason mailbox-full`, async () => {
    const kit = createTestSystem();
    const dead = deadLetters(kit);
    const log: number[] = [];
    const r = kit.spawn(recorder(log, { kind: 'bounded', capacity: 3, overflow }), 'r');
    for (let n = 1; n <= 5; n++) r.tell({ type: 'job', n });
    assert.equal(dead.map((d) => [d.reason, d.recipient, d.messageType, (d.message as { n: number }).n]), [
      ['mailbox-full', '/user/r', 'job', 4],
      ['mailbox-full', '/user/r', 'job', 5],
    ]);
    await kit.runUntilIdle();
    assert.equal(log, [1, 2, 3]);
    assert.is(kit.deadLetterCount, 2);
  });
}

test('an ask whose request a full mailbox rejects fails at once with mailbox-full', async () => {
  const kit = createTestSystem();
  const dead = deadLetters(kit);
  const r = kit.spawn(recorder([], { kind: 'bounded', capacity: 2 }), 'r');
  r.tell({ type: 'job', n: 1 });
  r.tell({ type: 'job', n: 2 });
  const t0 = kit.now();
  let error: unknown;
  try { await r.ask<string>((replyTo) => ({ type: 'q', replyTo }), { timeoutMs: 60_000 }); } catch (e) { error = e; }
  assert.ok(isTroupeError(error, 'mailbox-full'), `expected mailbox-full, got ${String(error)}`);
  assert.match((error as Error).message, /\/user\/r/);
  assert.is(kit.now(), t0);
  assert.equal(reasonsOf(dead), ['mailbox-full']);
  // once there is room the same ask succeeds
  await kit.runUntilIdle();
  const reply = r.ask<string>((replyTo) => ({ type: 'q', replyTo }));
  await kit.runUntilIdle();
  assert.is(await reply, 'ok');
});

test('bounded drop-oldest: the evicted message goes to dead letters with reason mailbox-evicted', async () => {
  const kit = createTestSystem();
  const dead = deadLetters(kit);
  const log: number[] = [];
  const r = kit.spawn(recorder(log, { kind: 'bounded', capacity: 3, overflow: 'drop-oldest' }), 'r');
  for (let n = 1; n <= 5; n++) r.tell({ type: 'job', n });
  assert.equal(dead.map((d) => [d.reason, (d.message as { n: number }).n]), [['mailbox-evicted', 1], ['mailbox-evicted', 2]]);
  await kit.runUntilIdle();
  assert.equal(log, [3, 4, 5]);
  assert.equal(kit.inspect().children[0].mailbox, { size: 0, highWater: 3, processed: 3, dropped: 2 });
});

test('an ask whose request is evicted by drop-oldest fails at once instead of timing out', async () => {
  const kit = createTestSystem();
  const r = kit.spawn(recorder([], { kind: 'bounded', capacity: 1, overflow: 'drop-oldest' }), 'r');
  let error: unknown;
  const first = r.ask<string>((replyTo) => ({ type: 'q', replyTo }), { timeoutMs: 60_000 }).catch((e) => { error = e; });
  r.tell({ type: 'job', n: 1 });
  await first;
  assert.ok(isTroupeError(error, 'actor-dead'), `expected actor-dead, got ${String(error)}`);
  assert.match((error as Error).message, /mailbox-evicted/);
  assert.is(kit.now(), 0);
});

test('a stop is handled before queued user messages, which go to dead letters with reason actor-stopped', async () => {
  const kit = createTestSystem();
  const dead = deadLetters(kit);
  const log: number[] = [];
  const r = kit.spawn(recorder(log), 'r');
  for (let n = 1; n <= 10; n++) r.tell({ type: 'job', n });
  kit.stop(r as ActorRef<never>);
  await kit.runUntilIdle();
  assert.equal(log, []);
  assert.is(r.alive, false);
  assert.equal(dead.map((d) => [d.reason, (d.message as { n: number }).n]), Array.from({ length: 10 }, (_, i) => ['actor-stopped', i + 1]));
});

test('a stop that arrives mid-backlog overtakes the rest of it (throughput 5)', async () => {
  const kit = createTestSystem({ throughput: 5 });
  const dead = deadLetters(kit);
  const log: number[] = [];
  type P = { type: 'stop-child' };
  const parent = kit.spawn(defineActor<P, ActorRef<Job>>({
    init: (ctx) => ctx.spawn(recorder(log), 'worker'),
    receive: (worker, _m, ctx) => { ctx.stop(worker as ActorRef<never>); },
  }), 'parent');
  await kit.runUntilIdle();
  const worker = kit.lookup<Job>('/user/parent/worker')!;
  for (let n = 1; n <= 20; n++) worker.tell({ type: 'job', n });
  parent.tell({ type: 'stop-child' });
  // the worker runs one turn of 5, then the parent stops it; the stop comes before the other 15
  await kit.runUntilIdle();
  assert.equal(log, [1, 2, 3, 4, 5]);
  assert.equal(reasonsOf(dead), Array(15).fill('actor-stopped'));
});

test('an ask whose request is still queued when the actor stops fails with actor-dead, not a timeout', async () => {
  const kit = createTestSystem();
  const r = kit.spawn(recorder([]), 'r');
  let error: unknown;
  const p = r.ask<string>((replyTo) => ({ type: 'q', replyTo }), { timeoutMs: 60_000 }).catch((e) => { error = e; });
  kit.stop(r as ActorRef<never>);
  await kit.runUntilIdle();
  await p;
  assert.ok(isTroupeError(error, 'actor-dead'), `expected actor-dead, got ${String(error)}`);
  assert.is(kit.now(), 0);
});

test("a watched actor's terminated signal is handled before the watcher's queued user messages", async () => {
  const kit = createTestSystem({ throughput: 5 });
  const log: string[] = [];
  const target = kit.spawn(recorder([]), 'target');
  type W = { type: 'tick'; n: number };
  const watcher = kit.spawn(defineActor<W, undefined>({
    init: (ctx) => { ctx.watch(target as ActorRef<never>); return undefined; },
    receive: (_s, m) => { log.push(`tick ${m.n}`); },
    signal: (_s, sig) => { if (sig.type === 'terminated') log.push(`terminated ${sig.ref.path}`); },
  }), 'watcher');
  await kit.runUntilIdle();
  for (let n = 1; n <= 12; n++) watcher.tell({ type: 'tick', n });
  kit.stop(target as ActorRef<never>);
  await kit.runUntilIdle();
  // turn 1: ticks 1-5; then the target stops; turn 2 begins with the system lane
  assert.equal(log, ['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'terminated /user/target',
    'tick 6', 'tick 7', 'tick 8', 'tick 9', 'tick 10', 'tick 11', 'tick 12']);
});

test('fairness: with throughput 5 a hot actor with 1000 queued messages does not starve another', async () => {
  const kit = createTestSystem({ throughput: 5 });
  const hot = kit.spawn(recorder([]), 'hot');
  const cold = kit.spawn(recorder([]), 'cold');
  for (let n = 0; n < 1000; n++) hot.tell({ type: 'job', n });
  for (let n = 0; n < 12; n++) cold.tell({ type: 'job', n });
  await kit.runUntilIdle();
  const delivered = kit.trace.filter((e) => e.kind === 'deliver').map((e) => e.actor);
  assert.is(delivered.length, 1012);
  const lastCold = delivered.lastIndexOf('/user/cold');
  // never more than 5 hot deliveries in a row while the cold actor still has work
  let run = 0, longest = 0;
  for (let i = 0; i < lastCold; i++) {
    run = delivered[i] === '/user/hot' ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  assert.ok(longest <= 5, `the hot actor ran ${longest} messages in a row`);
  // its 12 messages take 3 turns, each after at most 5 hot messages
  assert.ok(lastCold < 12 + 3 * 5, `the cold actor finished at delivery ${lastCold}`);
  assert.is(delivered.indexOf('/user/cold'), 5);
});

type Busy = { type: 'slow' } | { type: 'work'; n: number } | { type: 'urgent' };
const ordering: [string, MailboxOptions<Busy>, string[]][] = [
  ['a FIFO mailbox keeps arrival order', { kind: 'unbounded' }, ['slow', 'work 1', 'work 2', 'work 3', 'work 4', 'urgent']],
  // priorityOf gets the actor's message type: no cast
  ['a priority mailbox lets an operational message overtake the backlog', { kind: 'priority', priorityOf: (m) => (m.type === 'urgent' ? 0 : 1) }, ['slow', 'urgent', 'work 1', 'work 2', 'work 3', 'work 4']],
];
for (const [kind, mailbox, expected] of ordering) {
  test(`${kind} (message sent while the actor is busy)`, async () => {
    const kit = createTestSystem();
    const log: string[] = [];
    let release: (() => void) | undefined;
    const a = kit.spawn(defineActor<Busy, undefined>({
      mailbox,
      init: () => undefined,
      receive: async (_s, m) => {
        log.push(m.type === 'work' ? `work ${m.n}` : m.type);
        if (m.type === 'slow') await new Promise<void>((r) => { release = r; });
      },
    }), 'a');
    a.tell({ type: 'slow' });
    await kit.runUntilIdle();
    for (let n = 1; n <= 4; n++) a.tell({ type: 'work', n });
    a.tell({ type: 'urgent' });
    await kit.runUntilIdle();
    assert.equal(log, ['slow']);
    release!();
    await kit.runUntilIdle();
    assert.equal(log, expected);
  });
}

/** Two senders, each sending one numbered message per turn to a sink (so their sends interleave). */
async function interleave(options: { seed: number; explore: boolean }): Promise<string[]> {
  const kit = createTestSystem(options);
  const received: string[] = [];
  type Sink = { type: 'm'; from: string; n: number };
  const sink = kit.spawn(defineActor<Sink, undefined>({ init: () => undefined, receive: (_s, m) => { received.push(`${m.from}${m.n}`); } }), 'sink');
  type S = { type: 'next' };
  const sender = (from: string) => defineActor<S, number>({
    init: () => 0,
    receive: (n, _m, ctx) => {
      ctx.send(sink, { type: 'm', from, n });
      if (n + 1 < 30) ctx.send(ctx.self, { type: 'next' });
      return n + 1;
    },
  });
  kit.spawn(sender('a'), 'a').tell({ type: 'next' });
  kit.spawn(sender('b'), 'b').tell({ type: 'next' });
  await kit.runUntilIdle();
  return received;
}

test('messages from one sender are processed in send order, whatever the interleaving of senders', async () => {
  const orders = new Set<string>();
  for (const options of [{ seed: 1, explore: false }, ...[1, 2, 3, 4, 5, 6].map((seed) => ({ seed, explore: true }))]) {
    const received = await interleave(options);
    assert.is(received.length, 60);
    for (const from of ['a', 'b']) {
      assert.equal(received.filter((r) => r.startsWith(from)), Array.from({ length: 30 }, (_, i) => `${from}${i}`), `sender ${from}, ${JSON.stringify(options)}`);
    }
    orders.add(received.join(','));
  }
  // the exploration really produced different interleavings, so the order check meant something
  assert.ok(orders.size >= 3, `only ${orders.size} distinct interleavings`);
});

test.run();
