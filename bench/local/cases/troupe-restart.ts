// Troupe: crash→restart→serve — an actor throws on 'crash', its supervisor (default decider:
// restart, one-for-one, no backoff) restarts it, and the round ends when the next ask is answered.

import { createSystem, defineActor, type ActorRef } from '../../../runtime/index.ts';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { measureRestarts } from '../restart-workload.ts';

type Msg = { type: 'crash' } | { type: 'get'; replyTo: ActorRef<number> };

const fragile = defineActor<Msg, { served: number }>({
  name: 'fragile',
  init: () => ({ served: 0 }),
  receive: (s, m, ctx) => {
    if (m.type === 'crash') throw new Error('bench crash');
    s.served++;
    ctx.send(m.replyTo, s.served);
    return s;
  },
});

type ParentMsg = { type: 'child'; replyTo: ActorRef<ActorRef<Msg>> };

/**
 * The default intensity (3 restarts in 5 s) would rightly give up after the 4th crash, so the
 * parent raises only that: every other supervision setting is the default.
 */
const parent = defineActor<ParentMsg, { child: ActorRef<Msg> }>({
  name: 'bench-parent',
  supervision: { intensity: { maxRestarts: 1_000_000, withinMs: 1 } },
  init: (ctx) => ({ child: ctx.spawn(fragile, 'fragile') }),
  receive: (s, m, ctx) => { ctx.send(m.replyTo, s.child); return s; },
});

/** `size` rounds of tell(crash), then ask (timeoutMs 5000); reports `restartP50Us`, `restartP99Us`, `restartsPerSec`. */
export async function run({ size }: CaseParams): Promise<Metrics> {
  const system = createSystem({ name: 'bench' });
  const sup = system.spawn(parent, 'parent');
  const ref = await sup.ask<ActorRef<Msg>>((replyTo) => ({ type: 'child', replyTo }), { timeoutMs: 5000 });
  const figures = await measureRestarts(size, () => {
    ref.tell({ type: 'crash' });
    return ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 5000 });
  });
  await system.terminate();
  return figures;
}
