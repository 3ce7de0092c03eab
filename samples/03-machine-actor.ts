// Sample 03 — an xstate machine as an actor: a health probe that turns `suspect` when heartbeats
// stop and `down` if they stay away. Teaches: defineMachineActor, messages as events, delayed
// transitions on the system clock, and running it all on virtual time with the test kit.

import { pathToFileURL } from 'node:url';
import { setup } from 'xstate';
import { defineMachineActor } from '../runtime/index.ts';
import { createTestSystem } from '../runtime/testing.ts';

type ProbeEvent = { type: 'heartbeat' };

export const healthMachine = setup({ types: { events: {} as ProbeEvent } }).createMachine({
  id: 'health',
  initial: 'healthy',
  states: {
    healthy: { after: { 3_000: 'suspect' }, on: { heartbeat: { target: 'healthy', reenter: true } } },
    suspect: { after: { 5_000: 'down' }, on: { heartbeat: 'healthy' } },
    down: { on: { heartbeat: 'healthy' } },
  },
});

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const kit = createTestSystem({ name: 'health-sample' });
  const probe = kit.spawn(defineMachineActor(healthMachine, {
    name: 'health-probe',
    onTransition: (snap, ctx) => log(`t=${ctx.now()}ms ${String(snap.value)}`),
  }), 'orders-health');
  for (const at of [1_000, 2_000, 4_500]) {
    await kit.advance(at - kit.now());
    probe.tell({ type: 'heartbeat' });
  }
  await kit.advance(20_000 - kit.now()); // silence: suspect after 3 s, down 5 s later
  probe.tell({ type: 'heartbeat' });
  await kit.runUntilIdle();
  await kit.terminate();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
t=0ms healthy
t=1000ms healthy
t=2000ms healthy
t=4500ms healthy
t=7500ms suspect
t=12500ms down
t=20000ms healthy
*/
