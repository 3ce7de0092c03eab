// The entry module of the node processes spec/actors/services/services-crash.spec.ts spawns: a
// receptionist, a service host and the 'echo' service (three instances), plus a load generator.

import { defineActor, type ActorRef } from '../../runtime/index.ts';
import type { ClusterNode } from '../../runtime/cluster/node.ts';
import { createMessageRegistry } from '../../runtime/wire/message-registry.ts';
import { createReceptionist, registerReceptionistMessages, type Receptionist } from '../../actors/receptionist.ts';
import { createServiceHost, defineService, registerServiceMessages, type Service } from '../../actors/services/index.ts';

type Work = { type: 'work'; replyTo: ActorRef<string> };

export const registry = () => registerServiceMessages(registerReceptionistMessages(createMessageRegistry())).define('work', { version: 1 });

const worker = defineActor<Work, undefined>({
  name: 'echo',
  init: () => undefined,
  receive: (_s, m, ctx) => m.replyTo.tell(ctx.system.node),
});

let receptionist: Receptionist;
let service: Service<Work>;

export async function setup(node: ClusterNode): Promise<void> {
  receptionist = createReceptionist(node);
  service = await createServiceHost(node, { receptionist, settleMs: 2_000 }).start(defineService({ name: 'echo', behavior: worker, instances: 3, drain: { quietMs: 100 } }));
}

/** One ask of the load: when it was sent (this process's clock), to which node, and how it ended. */
interface Outcome { readonly sentAt: number; readonly node: string; readonly ok: boolean; readonly error?: string; readonly viaRouter: boolean }

let load: { outcomes: Outcome[]; pending: number; timer: NodeJS.Timeout | undefined } | undefined;

export const control = {
  /** Ready instances as this node's receptionist lists them: `<ordinal>@<node>`, sorted. */
  listing: () => receptionist.instances(service.key).filter((i) => i.metadata.ready !== false)
    .map((i) => `${i.ref.path.split('/').pop()!.split('.')[0]}@${i.node}`).sort(),
  now: () => Date.now(),
  /** Every `periodMs`: one ask to the next routee the router lists (attributed to its node) and one through the router. */
  startLoad: (_node: ClusterNode, periodMs: number) => {
    const router = service.router();
    const state = { outcomes: [] as Outcome[], pending: 0, timer: undefined as NodeJS.Timeout | undefined };
    load = state;
    let i = 0;
    const settle = (o: Outcome): void => { state.outcomes.push(o); state.pending--; };
    const tick = (): void => {
      const sentAt = Date.now();
      const routees = router.routees();
      if (routees.length > 0) {
        const r = routees[i++ % routees.length];
        state.pending++;
        r.ref.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 3_000 })
          .then(() => settle({ sentAt, node: r.node, ok: true, viaRouter: false }), (e: Error) => settle({ sentAt, node: r.node, ok: false, error: e.message, viaRouter: false }));
      }
      state.pending++;
      router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 3_000 })
        .then((node) => settle({ sentAt, node, ok: true, viaRouter: true }), (e: Error) => settle({ sentAt, node: '?', ok: false, error: e.message, viaRouter: true }));
      state.timer = setTimeout(tick, periodMs);
    };
    tick();
    return 'started';
  },
  progress: () => load?.outcomes.length ?? 0,
  /** Stops the load, waits (at most 5 s) for the asks in flight, and returns every outcome. */
  stopLoad: async () => {
    const state = load!;
    clearTimeout(state.timer);
    const end = Date.now() + 5_000;
    while (state.pending > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return { outcomes: state.outcomes, pending: state.pending };
  },
  /** `n` asks through the router, one after the other: the node that answered each, or the error. */
  askMany: async (_node: ClusterNode, n: number) => {
    const router = service.router();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(await router.ask<string>((replyTo) => ({ type: 'work', replyTo }), { timeoutMs: 3_000 }).catch((e: Error) => `error: ${e.message}`));
    return out;
  },
};
