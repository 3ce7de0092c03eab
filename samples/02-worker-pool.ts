// Sample 02 — a supervised worker pool. Teaches: defineSupervisor with child specs, the
// one-for-one strategy, a crash that is restarted while the other workers keep serving,
// system.events$ and the inspection tree with mailbox counters.

import { pathToFileURL } from 'node:url';
import { assertNever, child, createSystem, defineActor, defineSupervisor, formatTree, type ActorRef } from '../runtime/index.ts';

export type WorkerMsg = { type: 'job'; id: number; input: string; replyTo: ActorRef<string> };

const worker = defineActor<WorkerMsg, { done: number }>({
  name: 'worker',
  init: () => ({ done: 0 }),
  receive: (state, msg, ctx) => {
    switch (msg.type) {
      case 'job':
        if (msg.input === 'poison') throw new Error(`job ${msg.id} is poison`);
        msg.replyTo.tell(`job ${msg.id} → ${msg.input.toUpperCase()} by ${ctx.path.split('/').pop()} (${state.done + 1} done)`);
        return { done: state.done + 1 };
      default: return assertNever(msg.type);
    }
  },
});

export const pool = defineSupervisor({
  name: 'pool',
  strategy: 'one-for-one',
  intensity: { maxRestarts: 3, withinMs: 5_000 },
  children: ['w1', 'w2', 'w3'].map((name) => child(name, worker, { restart: 'permanent' })),
});

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const system = createSystem({ name: 'pool-sample' });
  system.events$.subscribe((e) => {
    if (e.type === 'failed') log(`event: ${e.path} failed (${(e.error as Error).message})`);
    if (e.type === 'restarted') log(`event: ${e.path} restarted`);
  });
  system.spawn(pool, 'pool');
  const workers = ['w1', 'w2', 'w3'].map((n) => system.lookup<WorkerMsg>(`/user/pool/${n}`)!);
  const inputs = ['apple', 'pear', 'plum', 'fig', 'poison', 'kiwi', 'lime', 'date', 'yuzu'];
  const replies = inputs.map((input, id) =>
    workers[id % 3].ask<string>((replyTo) => ({ type: 'job', id, input, replyTo }), { timeoutMs: 500 })
      .catch((e: Error) => `job ${id} failed: ${e.message.split(':')[0]}`));
  for (const r of await Promise.all(replies)) log(r);
  log(formatTree(system.inspect()));
  await system.terminate();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();

/* Output:
event: /user/pool/w2 failed (job 4 is poison)
event: /user/pool/w2 restarted
job 0 → APPLE by w1 (1 done)
job 1 → PEAR by w2 (1 done)
job 2 → PLUM by w3 (1 done)
job 3 → FIG by w1 (2 done)
job 4 failed: No reply from /user/pool/w2 within 500 ms. Raise timeoutMs, or check that the actor replies to every request.
job 5 → KIWI by w3 (2 done)
job 6 → LIME by w1 (3 done)
job 7 → DATE by w2 (1 done)
job 8 → YUZU by w3 (3 done)
user [guardian] running mailbox(size=0 high=0 processed=0 dropped=0)
  pool [pool] running mailbox(size=0 high=0 processed=0 dropped=0)
    w1 [worker] running mailbox(size=0 high=3 processed=3 dropped=0)
    w2 [worker] running restarts=1 mailbox(size=0 high=3 processed=3 dropped=0)
    w3 [worker] running mailbox(size=0 high=3 processed=3 dropped=0)
*/
