// Simulated code that awaits something outside the simulation (a real timer, real file I/O) is
// reported as simulation-escape naming where it happened, instead of silently making runs of one
// seed differ; the test's own real I/O between steps is not simulated code and is fine.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { suite } from '../../helpers/uvu.ts';
import { defineActor, isTroupeError, type ActorRef } from '../../../runtime/index.ts';
import { createSimCluster, createTestSystem } from '../../../runtime/testing.ts';
import { createFileJournal } from '../../../actors/journal/file-journal.ts';

type Go = { type: 'go'; replyTo: ActorRef<string> };
const sleeper = defineActor<Go, undefined>({
  init: () => undefined,
  receive: async (_s, m, ctx) => {
    await new Promise((resolve) => setTimeout(resolve, 5)); // a real timer inside a handler
    ctx.send(m.replyTo, 'slept');
  },
});

const test = suite('escapes from the simulation');

test('a handler awaiting a real timer halts the test system with simulation-escape naming the actor and the timer', async () => {
  const kit = createTestSystem();
  const probe = kit.createProbe<string>();
  kit.spawn(sleeper, 'sleeper').tell({ type: 'go', replyTo: probe.ref });
  const err = await probe.expectMessage('slept').then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(err, 'simulation-escape'), String(err));
  assert.match((err as Error).message, /started a real timer \(setTimeout\/setInterval\) in step \d+ \(local\/user\/sleeper\)/);
  assert.match((err as Error).message, /escapes\.spec\.ts/, 'it shows where the timer was started');
  assert.is((err as { data: Record<string, unknown> }).data.type, 'Timeout');
  await kit.terminate().then(() => assert.unreachable('the halted system rejects'), (e: unknown) => assert.ok(isTroupeError(e, 'simulation-escape')));
});

test('an event-sourced style handler on the file journal is reported as real file I/O', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-escape-'));
  try {
    const kit = createTestSystem();
    const journal = await createFileJournal({ dir, clock: kit.clock, ids: kit.ids, log: () => undefined }); // opening it, outside any step, is fine
    const writer = kit.spawn(defineActor<{ type: 'write' }, number>({
      init: () => 0,
      receive: async (n) => { await journal.append('s', [{ type: 'e', data: n }], { expectedVersion: 'any' }); return n + 1; },
    }), 'writer');
    writer.tell({ type: 'write' });
    const err = await kit.runUntilIdle().then(() => kit.advance(10)).then(() => undefined, (e: unknown) => e);
    assert.ok(isTroupeError(err, 'simulation-escape'), String(err));
    assert.match((err as Error).message, /real file I\/O .*local\/user\/writer/);
    assert.match((err as Error).message, /sim\.journal\(node\)/, 'it says what to use instead');
    await journal.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("escapes: 'allow' accepts real I/O (runs may then differ)", async () => {
  const kit = createTestSystem({ escapes: 'allow' });
  const probe = kit.createProbe<string>();
  kit.spawn(sleeper, 'sleeper').tell({ type: 'go', replyTo: probe.ref });
  for (let i = 0; i < 200 && probe.pending.length === 0; i++) { await kit.runUntilIdle(); await new Promise((r) => setTimeout(r, 2)); }
  assert.equal(probe.pending, ['slept']);
  await kit.terminate();
});

test("the test's own real I/O between simulation steps is not an escape", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-escape-'));
  try {
    const kit = createTestSystem();
    const echo = kit.spawn(defineActor<Go, undefined>({ init: () => undefined, receive: (_s, m, ctx) => { ctx.send(m.replyTo, 'ok'); } }), 'echo');
    for (let i = 0; i < 3; i++) {
      assert.is(await echo.ask<string>((replyTo) => ({ type: 'go', replyTo })), 'ok');
      await writeFile(join(dir, 'f'), String(i)); // after awaiting the simulation, real I/O of the test itself
      await new Promise((r) => setTimeout(r, 1));
      assert.is(await readFile(join(dir, 'f'), 'utf8'), String(i));
    }
    await kit.advance(100);
    await kit.terminate();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('in a simulated cluster the escape names the node', async () => {
  const sim = await createSimCluster({ nodes: ['a', 'b'], seed: 2 });
  const ref = sim.node('b').system.spawn(sleeper, 'sleeper');
  let reply: string | undefined;
  void ref.ask<string>((replyTo) => ({ type: 'go', replyTo })).then((r) => { reply = r; }, () => undefined);
  const err = await sim.runUntil(() => reply !== undefined, 1_000).then(() => undefined, (e: unknown) => e);
  assert.ok(isTroupeError(err, 'simulation-escape'), String(err));
  assert.match((err as Error).message, /\(b\/user\/sleeper\)/);
  sim.discard();
});

test.run();
