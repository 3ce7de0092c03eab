// Sample 01 — a counter. Teaches: a typed message union, defineActor (init + receive returning
// the next state), spawn, tell, ask with a typed reply, and terminate.

import { pathToFileURL } from 'node:url';
import { assertNever, createSystem, defineActor, type ActorRef } from '../runtime/index.ts';

export type CounterMsg =
  | { type: 'add'; by: number }
  | { type: 'get'; replyTo: ActorRef<number> };

export const counter = defineActor<CounterMsg, { total: number }>({
  name: 'counter',
  init: () => ({ total: 0 }),
  receive: (state, msg, ctx) => {
    switch (msg.type) {
      case 'add': return { total: state.total + msg.by };
      case 'get': ctx.send(msg.replyTo, state.total); return state;
      default: return assertNever(msg);
    }
  },
});

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const system = createSystem({ name: 'sample' });
  const ref = system.spawn(counter, 'counter');
  log(`spawned ${ref}`.replace(/#\d+$/, '#…'));
  for (const by of [1, 2, 3]) ref.tell({ type: 'add', by });
  const total = await ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 1_000 });
  log(`total after 1 + 2 + 3: ${total}`);
  log(`terminated: ${(await system.terminate()).kind}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
spawned troupe://sample@local/user/counter#…
total after 1 + 2 + 3: 6
terminated: requested
*/
