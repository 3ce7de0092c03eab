// A service of one instance on a real-clock system, for the router-hop cases: the same actor is
// reached through the service's router (subject) or through its ref (baseline).

import { createSystem, type ActorDefinition, type ActorRef, type ActorSystem } from '../../runtime/index.ts';
import { createReceptionist } from '../../actors/receptionist.ts';
import { createServiceHost, defineService } from '../../actors/services/index.ts';
import type { Router } from '../../actors/router.ts';

/** The system, the service's router, and the ref of its one instance. */
export interface ServiceFixture<M> {
  readonly system: ActorSystem;
  readonly router: Router<M>;
  readonly ref: ActorRef<M>;
}

/** Starts `behavior` as a service of one instance and waits until the instance is listed; `breaker: false` gives a router without per-instance breakers. */
export async function startService<M, S>(behavior: ActorDefinition<M, S>, breaker = true): Promise<ServiceFixture<M>> {
  const system = createSystem({ name: 'bench' });
  const receptionist = createReceptionist(system);
  const service = await createServiceHost(system, { receptionist }).start(defineService<M, S>({ name: 'bench', behavior, instances: 1 }));
  const router = service.router(breaker ? {} : { breaker: false });
  for (let i = 0; router.routees().length === 0; i++) {
    if (i > 1_000) throw new Error('the service instance was never listed');
    await new Promise((r) => setImmediate(r));
  }
  return { system, router, ref: router.routees()[0].ref };
}
