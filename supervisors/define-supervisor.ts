// Supervisors defined in code: a static list of child specs, started in order, restarted by the
// supervisor's strategy, stopped newest-first. Nest them to any depth.

import { defineActor, type ActorDefinition } from '../runtime/behavior.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import { TroupeError } from '../runtime/errors.ts';
import { resolveSpawnOptions, validateName, type SpawnOptions } from '../runtime/spawn-options.ts';
import type { RestartType, SupervisionOptions } from './strategy.ts';

/** A child of a supervisor: its name, definition and spawn options (restart defaults to `'permanent'`). */
export interface ChildSpec {
  readonly name: string;
  readonly def: ActorDefinition<never, unknown>;
  readonly options: SpawnOptions & { readonly restart: RestartType };
}

/**
 * Declares a child for {@link defineSupervisor}. Defaults: restart `'permanent'`, shutdownMs 5 000.
 * @example child('orders', ordersService, { restart: 'transient', shutdownMs: 2_000 })
 */
export function child<M, S>(name: string, def: ActorDefinition<M, S>, options: SpawnOptions = {}): ChildSpec {
  validateName(name, `child("${name}")`);
  if (def === null || typeof def !== 'object' || def.kind !== 'actor') {
    throw new TroupeError('invalid-spec', `child("${name}"): the second argument must be a definition from defineActor, defineSupervisor or defineMachineActor.`);
  }
  const resolved = resolveSpawnOptions(options, 'permanent', `child("${name}")`);
  return Object.freeze({ name, def: def as unknown as ActorDefinition<never, unknown>, options: { ...options, restart: resolved.restart } });
}

/** Which children a supervisor has now (OTP's `which_children`). */
export interface ChildInfo {
  readonly name: string;
  readonly path: string;
  readonly alive: boolean;
}

/** Messages a supervisor understands. */
export type SupervisorMsg = { readonly type: 'which-children'; readonly replyTo: ActorRef<readonly ChildInfo[]> };

/** The spec of {@link defineSupervisor}: supervision options plus the children, started in order. */
export interface SupervisorSpec extends SupervisionOptions {
  readonly name?: string;
  readonly children: readonly ChildSpec[];
}

/**
 * Defines a supervisor. Its children start in list order at start and at each restart of the
 * supervisor itself; `rest-for-one` uses that order. Defaults are those of {@link SupervisionOptions}.
 *
 * @example
 * const app = defineSupervisor({
 *   strategy: 'one-for-one',
 *   intensity: { maxRestarts: 3, withinMs: 5_000 },
 *   children: [child('counter', counter, { restart: 'permanent' })],
 * });
 * system.spawn(app, 'app');
 */
export function defineSupervisor(spec: SupervisorSpec): ActorDefinition<SupervisorMsg, undefined> {
  const where = `defineSupervisor(${spec?.name ? `"${spec.name}"` : ''})`;
  if (!spec || !Array.isArray(spec.children)) throw new TroupeError('invalid-spec', `${where}: children must be an array of child(name, definition, options).`);
  const seen = new Set<string>();
  for (const c of spec.children) {
    if (!c || typeof c.name !== 'string' || !c.def) throw new TroupeError('invalid-spec', `${where}: every child must come from child(name, definition, options).`);
    if (seen.has(c.name)) throw new TroupeError('invalid-spec', `${where}: two children are named "${c.name}"; child names must be unique.`);
    seen.add(c.name);
  }
  const children = [...spec.children];
  return defineActor<SupervisorMsg, undefined>({
    name: spec.name ?? 'supervisor',
    supervision: spec,
    init: (ctx) => {
      for (const c of children) ctx.spawn(c.def, c.name, c.options);
      return undefined;
    },
    receive: (_s, msg, ctx) => {
      switch (msg.type) {
        case 'which-children':
          msg.replyTo.tell(ctx.children().map((r) => ({ name: r.path.slice(r.path.lastIndexOf('/') + 1), path: r.path, alive: r.alive })));
          return;
      }
    },
  });
}
