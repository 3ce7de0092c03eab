// Specs of the order a parent stops its children in (newest first, one at a time, the parent
// last), on stop and on restart, including children that left or came back first; and that a
// parent with 50k children stops within the virtual driver's bounded settle rounds.

import { suite } from '../helpers/uvu.ts';
import * as assert from 'uvu/assert';
import { defineActor, type ActorContext, type ActorRef } from '../../runtime/index.ts';
import { createTestSystem } from '../../runtime/testing.ts';

type Any = ActorRef<never>;
const any = <M>(ref: ActorRef<M>): Any => ref as unknown as Any;

/** What the parent is told to do before it is stopped (or made to fail). */
type Step =
  | { type: 'spawn'; name: string; permanent?: boolean }
  | { type: 'stop-child'; name: string }
  | { type: 'exit-child'; name: string }
  | { type: 'boom' };
type ChildMsg = { type: 'exit' };

interface Case {
  name: string;
  steps: Step[];
  /** How the parent ends: stopped, or failing (restarted by its default supervisor). */
  end: 'stop' | 'restart';
  /** With `end: 'restart'`: children the parent's pre-restart hook spawns. */
  spawnInPreRestart?: string[];
  /** The `stopped` signals logged after the end began, in order. */
  expected: string[];
}

const spawn = (name: string, permanent = false): Step => ({ type: 'spawn', name, permanent });

const cases: Case[] = [
  { name: 'stop: newest first, the parent last', end: 'stop',
    steps: [spawn('c1'), spawn('c2'), spawn('c3')],
    expected: ['c3', 'c2', 'c1', 'p'] },
  { name: 'stop: a child stopped earlier is not stopped again', end: 'stop',
    steps: [spawn('c1'), spawn('c2'), spawn('c3'), { type: 'stop-child', name: 'c2' }],
    expected: ['c3', 'c1', 'p'] },
  { name: 'stop: a child stopped and spawned again under its name is the newest', end: 'stop',
    steps: [spawn('c1'), spawn('c2'), spawn('c3'), { type: 'stop-child', name: 'c1' }, spawn('c1')],
    expected: ['c1', 'c3', 'c2', 'p'] },
  { name: 'stop: a permanent child that exited comes back in its place in the start order (OTP)', end: 'stop',
    steps: [spawn('c1', true), spawn('c2'), spawn('c3'), { type: 'exit-child', name: 'c1' }],
    expected: ['c3', 'c2', 'c1', 'p'] },
  { name: 'stop: the newest child gone first, the rest still in order', end: 'stop',
    steps: [spawn('c1'), spawn('c2'), spawn('c3'), { type: 'stop-child', name: 'c3' }],
    expected: ['c2', 'c1', 'p'] },
  { name: 'stop: no children', end: 'stop', steps: [], expected: ['p'] },
  { name: 'restart: newest first, before the new instance starts', end: 'restart',
    steps: [spawn('c1'), spawn('c2'), spawn('c3')],
    expected: ['c3', 'c2', 'c1', 'restarted p'] },
  { name: 'restart: a child the pre-restart hook spawns is the newest, stopped first', end: 'restart',
    steps: [spawn('c1'), spawn('c2')], spawnInPreRestart: ['late'],
    expected: ['late', 'c2', 'c1', 'restarted p'] },
];

const order = suite('stop order of children');

for (const c of cases) {
  order(c.name, async () => {
    const kit = createTestSystem();
    const log: string[] = [];
    let recording = false;
    const child = defineActor<ChildMsg, undefined>({
      init: () => undefined,
      receive: (_s, _m, ctx) => { ctx.stop(ctx.self as Any); },
      signal: (_s, sig, ctx) => { if (recording && sig.type === 'stopped') log.push(ctx.self.path.split('/').pop()!); },
    });
    const parent = defineActor<Step, undefined>({
      init: () => undefined,
      receive: (_s, m, ctx) => {
        switch (m.type) {
          case 'spawn': ctx.spawn(child, m.name, m.permanent ? { restart: 'permanent' } : undefined); return;
          case 'stop-child': ctx.stop(ctx.child(m.name) as Any); return;
          case 'exit-child': ctx.send(ctx.child(m.name) as ActorRef<ChildMsg>, { type: 'exit' }); return;
          case 'boom': throw new Error('boom');
        }
      },
      signal: (_s, sig, ctx: ActorContext<Step>) => {
        if (sig.type === 'pre-restart') for (const n of c.spawnInPreRestart ?? []) ctx.spawn(child, n);
        if (sig.type === 'stopped' || sig.type === 'restarted') log.push(sig.type === 'stopped' ? 'p' : 'restarted p');
      },
    });
    const p = kit.spawn(parent, 'p');
    for (const s of c.steps) { p.tell(s); await kit.runUntilIdle(); }
    recording = true;
    if (c.end === 'stop') kit.stop(any(p));
    else p.tell({ type: 'boom' });
    await kit.runUntilIdle();
    assert.equal(log, c.expected);
    await kit.terminate();
  });
}

order('a parent with 50k children stops them all, newest first, within the bounded settle rounds', async () => {
  const n = 50_000;
  const kit = createTestSystem();
  const stopped: number[] = [];
  const leaf = defineActor<never, number>({
    init: (ctx) => Number(ctx.self.path.slice(ctx.self.path.lastIndexOf('c') + 1)),
    receive: (s) => s,
    signal: (s, sig) => { if (sig.type === 'stopped') stopped.push(s); },
  });
  const p = kit.spawn(defineActor<never, undefined>({
    init: (ctx) => { for (let i = 0; i < n; i++) ctx.spawn(leaf, `c${i}`); return undefined; },
    receive: () => undefined,
  }), 'p');
  await kit.runUntilIdle();
  kit.stop(any(p));
  await kit.runUntilIdle(); // throws if still busy after its bounded number of settle rounds
  assert.is(p.alive, false);
  assert.is(stopped.length, n);
  assert.ok(stopped.every((v, i) => v === n - 1 - i), 'children stopped newest first');
  await kit.terminate();
});

order.run();
