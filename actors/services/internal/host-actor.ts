// A node's service host actor: the parent of the node's service actors, at a path every node
// shares, handing service commands to the service they name.

import type { ActorRef } from '../../../runtime/actor-ref.ts';
import { defineActor, type ActorDefinition } from '../../../runtime/behavior.ts';
import { assertNever } from '../../../runtime/errors.ts';
import type { SystemCore } from '../../../runtime/internal/system-core.ts';
import type { ServiceCommand } from '../service-protocol.ts';
import type { ServiceActorMsg } from './service-actor.ts';

/** What the host actor handles: service commands (forwarded) and, from this node only, starting a service. */
export type HostMsg =
  | ServiceCommand
  | { readonly type: 'services.start'; readonly name: string; readonly replyTo: ActorRef<ActorRef<ServiceActorMsg>> };

/**
 * Defines the host actor over the definitions of the service actors started so far (by name).
 * A service actor that fails is restarted after a backoff of 500 ms doubling to 30 s, so one
 * service in a crash loop never takes the host (or its other services) down.
 */
export function defineHostActor(services: ReadonlyMap<string, ActorDefinition<ServiceActorMsg, undefined>>): ActorDefinition<HostMsg, undefined> {
  return defineActor<HostMsg, undefined>({
    name: 'service-host',
    supervision: { strategy: 'one-for-one', intensity: { maxRestarts: 50, withinMs: 60_000 }, backoff: { minMs: 500, maxMs: 30_000 } },
    init: (ctx) => {
      for (const [name, def] of services) ctx.spawn(def, name, { restart: 'permanent' });
      return undefined;
    },
    receive: (_s, msg, ctx) => {
      switch (msg.type) {
        case 'services.start': {
          const def = services.get(msg.name);
          const ref = (ctx.child(msg.name) ?? (def && ctx.spawn(def, msg.name, { restart: 'permanent' }))) as ActorRef<ServiceActorMsg> | undefined;
          if (ref !== undefined) msg.replyTo.tell(ref);
          return;
        }
        case 'service.scale':
        case 'service.drain':
        case 'service.status': {
          const child = typeof msg.service === 'string' ? ctx.child(msg.service) : undefined;
          if (child !== undefined) (child as ActorRef<ServiceCommand>).tell(msg);
          else (ctx.system as unknown as SystemCore).deadLetter(ctx.self.proc, msg, 'undeliverable');
          return;
        }
        default:
          return assertNever(msg);
      }
    },
  });
}
