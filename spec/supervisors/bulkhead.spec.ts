import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { child, defineActor, defineSupervisor, isTroupeError, type ActorRef, type SystemEvent } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

type JobMsg = { type: 'job'; id: number } | { type: 'ping'; replyTo: ActorRef<string> };

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}

const test = suite('bulkhead');

test('a flood into a bulkheaded subtree is rejected there while the rest of the system keeps serving', async () => {
  const kit = createTestSystem();
  const started: number[] = [];
  const gates = new Map<number, ReturnType<typeof deferred>>();
  const slow = defineActor<JobMsg, undefined>({
    name: 'slow',
    init: () => undefined,
    receive: async (_s, m) => {
      if (m.type === 'ping') { m.replyTo.tell('pong'); return; }
      started.push(m.id);
      const g = deferred();
      gates.set(m.id, g);
      await g.promise;
    },
  });
  const fast = defineActor<JobMsg, undefined>({ name: 'fast', init: () => undefined, receive: (_s, m) => { if (m.type === 'ping') m.replyTo.tell('pong'); } });
  kit.spawn(defineSupervisor({ name: 'risky', bulkhead: { maxMailbox: 10, maxConcurrent: 2 }, children: [child('w', slow)] }), 'risky');
  const safe = kit.spawn(fast, 'safe');
  await kit.runUntilIdle();
  const dead: SystemEvent[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'dead-letter') dead.push(e); });

  const w = kit.lookup<JobMsg>('/user/risky/w')!;
  for (let i = 0; i < 100; i++) w.tell({ type: 'job', id: i });
  await kit.runUntilIdle();
  // the burst filled the 10 places before the first turn: 90 rejected to dead letters with a
  // reason; then job 0 started and 9 wait
  assert.equal(started, [0]);
  assert.is(dead.length, 90);
  assert.ok(dead.every((e) => e.type === 'dead-letter' && e.reason === 'mailbox-full' && e.recipient === '/user/risky/w'));
  w.tell({ type: 'job', id: 100 }); // takes the place job 0 left
  const t0 = kit.now();
  const askError = await w.ask<string>((replyTo) => ({ type: 'ping', replyTo })).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(askError, 'mailbox-full'), 'an ask into the full bulkhead fails at once');
  assert.is(kit.now(), t0);

  // the rest of the system is unaffected
  const pong = safe.ask<string>((replyTo) => ({ type: 'ping', replyTo }));
  await kit.runUntilIdle();
  assert.is(await pong, 'pong');
  const stats = kit.inspect().children.find((c) => c.name === 'risky')!.children[0].mailbox;
  assert.equal({ size: stats.size, dropped: stats.dropped }, { size: 10, dropped: 91 });
});

test('at most maxConcurrent actors of the subtree run async work at once; the others wait their turn', async () => {
  const kit = createTestSystem();
  const running = new Set<string>();
  let peak = 0;
  const gates: (() => void)[] = [];
  const worker = defineActor<JobMsg, undefined>({
    name: 'worker',
    init: () => undefined,
    receive: async (_s, _m, ctx) => {
      running.add(ctx.path);
      peak = Math.max(peak, running.size);
      await new Promise<void>((r) => gates.push(r));
      running.delete(ctx.path);
    },
  });
  kit.spawn(defineSupervisor({ bulkhead: { maxMailbox: 100, maxConcurrent: 2 }, children: ['a', 'b', 'c', 'd'].map((n) => child(n, worker)) }), 'pool');
  await kit.runUntilIdle();
  for (const n of ['a', 'b', 'c', 'd']) kit.lookup<JobMsg>(`/user/pool/${n}`)!.tell({ type: 'job', id: 1 });
  await kit.runUntilIdle();
  assert.is(running.size, 2);
  let finished = 0;
  while (gates.length > 0) {
    gates.shift()!();
    finished++;
    await kit.runUntilIdle();
    assert.ok(running.size <= 2);
  }
  assert.is(finished, 4, 'every queued job ran eventually');
  assert.is(peak, 2);
});

test('an actor stopped while it waits for a permit does not keep it: the next one in line runs', async () => {
  const kit = createTestSystem();
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const worker = defineActor<JobMsg, undefined>({
    name: 'worker',
    init: () => undefined,
    receive: async (_s, _m, ctx) => {
      started.push(ctx.path.slice(ctx.path.lastIndexOf('/') + 1));
      await new Promise<void>((r) => gates.push(r));
    },
  });
  // a parent that declares the bulkhead is not under it, so it can stop a child that waits for a permit
  const host = defineActor<{ type: 'stop'; name: string }, undefined>({
    name: 'host',
    supervision: { bulkhead: { maxMailbox: 10, maxConcurrent: 1 } },
    init: (ctx) => { for (const n of ['a', 'b', 'c']) ctx.spawn(worker, n); return undefined; },
    receive: (_s, m, ctx) => { ctx.stop(ctx.child(m.name)!); },
  });
  const pool = kit.spawn(host, 'pool');
  await kit.runUntilIdle();
  const ref = (n: string) => kit.lookup<JobMsg>(`/user/pool/${n}`)!;
  ref('a').tell({ type: 'job', id: 1 });
  await kit.runUntilIdle();
  ref('b').tell({ type: 'job', id: 2 }); // waits behind a
  await kit.runUntilIdle();
  pool.tell({ type: 'stop', name: 'b' });
  await kit.runUntilIdle();
  assert.is(kit.lookup('/user/pool/b'), undefined);
  ref('c').tell({ type: 'job', id: 3 }); // waits behind a (and the stopped b)
  await kit.runUntilIdle();
  assert.equal(started, ['a']);
  gates.shift()!(); // a's permit passes to b, which is dead and hands it on to c
  await kit.runUntilIdle();
  assert.equal(started, ['a', 'c']);
  gates.shift()!();
  await kit.runUntilIdle();
  ref('a').tell({ type: 'job', id: 4 }); // the permit is free again
  await kit.runUntilIdle();
  assert.equal(started, ['a', 'c', 'a']);
  gates.shift()!();
  await kit.runUntilIdle();
});

test.run();
