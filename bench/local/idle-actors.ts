// The idle actor each side spawns in the spawn and terminate cases: a counter that is never sent
// anything — as a Troupe actor and as an xstate v5 machine, the same shape on both sides.

import { createMachine } from 'xstate';
import { defineActor } from '../../runtime/index.ts';

type Msg = { type: 'n'; v: number };

/** The Troupe side. */
export const idleCounter = defineActor<Msg, { n: number }>({
  init: () => ({ n: 0 }),
  receive: (s, m) => { s.n += m.v; return s; },
});

/** The xstate side. */
export const idleMachine = createMachine({
  types: {} as { context: { n: number }; events: Msg },
  context: { n: 0 },
  on: { n: { actions: ({ context, event }) => { context.n += event.v; } } },
});
