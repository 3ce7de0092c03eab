import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { assign, setup } from 'xstate';
import { defineMachineActor, type ActorRef } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

type LightEvent = { type: 'EMERGENCY' } | { type: 'RESUME' } | { type: 'BREAK' } | { type: 'DONE' };
const light = setup({
  types: { events: {} as LightEvent, context: {} as { cycles: number }, input: {} as { startCycles: number } },
  actions: { explode: () => { throw new Error('bulb exploded'); } },
}).createMachine({
  id: 'light',
  context: ({ input }) => ({ cycles: input.startCycles }),
  initial: 'green',
  states: {
    green: { after: { 1000: 'yellow' }, on: { EMERGENCY: 'flashing', BREAK: { actions: 'explode' }, DONE: 'off' } },
    yellow: { after: { 200: 'red' }, on: { EMERGENCY: 'flashing' } },
    red: { after: { 800: { target: 'green', actions: assign({ cycles: ({ context }) => context.cycles + 1 }) } } },
    flashing: { on: { RESUME: 'red' } },
    off: { type: 'final' },
  },
});

function spawnLight(seen: string[], startCycles = 0) {
  const kit = createTestSystem();
  const def = defineMachineActor(light, {
    name: 'light',
    input: () => ({ startCycles }),
    onTransition: (snap) => { seen.push(`${String(snap.value)}:${snap.context.cycles}`); },
  });
  const ref = kit.spawn(def, 'light');
  return { kit, ref };
}

const test = suite('machine actor');

test('delayed transitions run on the system clock (virtual time)', async () => {
  const seen: string[] = [];
  const { kit } = spawnLight(seen);
  await kit.advance(999);
  assert.equal(seen, ['green:0']);
  await kit.advance(1);
  assert.equal(seen, ['green:0', 'yellow:0']);
  await kit.advance(1_000);
  assert.equal(seen, ['green:0', 'yellow:0', 'red:0', 'green:1']);
});

test('messages become events; a cancelled delay never fires', async () => {
  const seen: string[] = [];
  const { kit, ref } = spawnLight(seen);
  await kit.advance(500);
  ref.tell({ type: 'EMERGENCY' });
  await kit.advance(5_000);
  assert.equal(seen, ['green:0', 'flashing:0']);
  ref.tell({ type: 'RESUME' });
  await kit.advance(800);
  assert.equal(seen.slice(-2), ['red:0', 'green:1']);
});

test('input is built from the context, and a machine error goes to the supervisor, which restarts a fresh machine', async () => {
  const seen: string[] = [];
  const { kit, ref } = spawnLight(seen, 7);
  const failures: unknown[] = [];
  kit.events$.subscribe((e) => { if (e.type === 'failed') failures.push(e.error); });
  await kit.advance(2_000);
  assert.equal(seen.at(-1), 'green:8');
  ref.tell({ type: 'BREAK' });
  await kit.runUntilIdle();
  assert.is(failures.length, 1);
  assert.match(String((failures[0] as Error).message), /bulb exploded/);
  assert.equal(seen.at(-1), 'green:7', 'restarted from the initial state with the same input');
  assert.ok(ref.alive);
});

test('a machine that reaches a final state stops its actor', async () => {
  const seen: string[] = [];
  const { kit, ref } = spawnLight(seen);
  const probe = kit.createProbe<never>();
  ref.tell({ type: 'DONE' });
  const t = await probe.expectTerminated(ref as ActorRef<never>);
  assert.is(t.reason.kind, 'normal');
  assert.equal(seen.at(-1), 'off:0');
  await kit.advance(5_000);
  assert.is(seen.length, 2, 'no timer of the stopped machine fires');
});

test.run();
