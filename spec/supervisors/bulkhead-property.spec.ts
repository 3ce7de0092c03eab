// Property: under any load a bulkhead holds both caps — never more than `maxConcurrent` handlers
// of its subtree in flight at once, each mailbox holding at most `maxMailbox` — and every accepted
// message is handled (no lost wake-up, no deadlock). Random shapes, on virtual time.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { child, defineActor, defineSupervisor, type SystemEvent } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

/** Fixed so a failure replays; fast-check prints it (and the shrunk counterexample) on failure. */
const SEED = 0x0b07_4ead;
const NUM_RUNS = 100;

type Job = { type: 'job'; actor: number; seq: number; delayMs: number | null };

/** Per actor, one entry per message: `null` is a synchronous handler, a number an async one that waits that long on virtual time. */
const shape = fc.record({
  maxConcurrent: fc.integer({ min: 1, max: 3 }),
  maxMailbox: fc.integer({ min: 1, max: 6 }),
  actors: fc.array(fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }), { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 8 }),
  explore: fc.boolean(),
  kitSeed: fc.integer({ min: 1, max: 1_000_000 }),
});

const test = suite('bulkhead property');

test('in-flight handlers never exceed maxConcurrent, mailboxes never exceed maxMailbox, and every accepted message is handled', async () => {
  await fc.assert(
    fc.asyncProperty(shape, async ({ maxConcurrent, maxMailbox, actors, explore, kitSeed }) => {
      const kit = createTestSystem({ seed: kitSeed, explore });
      try {
        let inFlight = 0;
        let peak = 0;
        const handled: string[][] = actors.map(() => []);
        const sleep = (ms: number) => new Promise<void>((r) => { kit.scheduler.startTimer(ms, r); });
        const worker = defineActor<Job, undefined>({
          name: 'worker',
          init: () => undefined,
          receive: (_s, m) => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            if (m.delayMs === null) {
              handled[m.actor].push(`${m.seq}`);
              inFlight--;
              return undefined;
            }
            return sleep(m.delayMs).then(() => {
              handled[m.actor].push(`${m.seq}`);
              inFlight--;
              return undefined;
            });
          },
        });
        kit.spawn(defineSupervisor({
          name: 'pool',
          bulkhead: { maxMailbox, maxConcurrent },
          children: actors.map((_, i) => child(`w${i}`, worker)),
        }), 'pool');
        await kit.runUntilIdle();
        const rejected: string[][] = actors.map(() => []);
        kit.events$.subscribe((e: SystemEvent) => {
          if (e.type !== 'dead-letter') return;
          assert.is(e.reason, 'mailbox-full', `unexpected dead letter ${e.reason}`);
          const m = e.message as Job;
          rejected[m.actor].push(`${m.seq}`);
        });

        // every message is sent before any turn runs, so each mailbox takes exactly its first maxMailbox
        actors.forEach((delays, i) => {
          const ref = kit.lookup<Job>(`/user/pool/w${i}`)!;
          delays.forEach((delayMs, seq) => ref.tell({ type: 'job', actor: i, seq, delayMs }));
        });
        const expected = actors.map((d) => d.slice(0, maxMailbox).map((_, seq) => `${seq}`));
        const total = expected.reduce((n, e) => n + e.length, 0);
        const done = await kit.runUntil(() => handled.reduce((n, h) => n + h.length, 0) === total, 10_000);
        await kit.advance(100); // nothing more arrives late
        assert.ok(done, `only ${handled.reduce((n, h) => n + h.length, 0)} of ${total} accepted messages were handled: a lost wake-up`);
        assert.ok(peak <= maxConcurrent, `${peak} handlers in flight at once under maxConcurrent ${maxConcurrent}`);
        assert.is(inFlight, 0);
        assert.equal(handled, expected, 'each actor handles exactly its accepted messages, in order');
        assert.equal(rejected, actors.map((d) => d.slice(maxMailbox).map((_, k) => `${maxMailbox + k}`)), 'the overflow goes to dead letters as mailbox-full');
        // the gate is back to idle: a late message is handled at once
        kit.lookup<Job>('/user/pool/w0')!.tell({ type: 'job', actor: 0, seq: 99, delayMs: null });
        await kit.runUntilIdle();
        assert.is(handled[0][handled[0].length - 1], '99', 'the gate leaked a permit');
      } finally {
        await kit.terminate();
      }
    }),
    { seed: SEED, numRuns: NUM_RUNS },
  );
});

test.run();
