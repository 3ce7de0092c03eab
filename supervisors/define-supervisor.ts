// Supervisors defined in code (OTP's supervisor): a list of child specs started in order,
// restarted by the supervisor's strategy, stopped newest-first, plus the dynamic child API.

import { defineActor, type ActorDefinition } from '../runtime/behavior.ts';
import type { ActorRef } from '../runtime/actor-ref.ts';
import { TroupeError } from '../runtime/errors.ts';
import { resolveSpawnOptions, validateName, type SpawnOptions } from '../runtime/spawn-options.ts';
import { supervisingOf } from '../runtime/internal/supervising-of.ts';
import type { ChildCounts, ChildEntry, DeleteChildResult, RestartChildResult, StartChildResult, TerminateChildResult } from '../runtime/internal/supervision.ts';
import { resolveSupervision, type RestartType, type SupervisionOptions } from './strategy.ts';

export type { ChildCounts, ChildEntry, DeleteChildResult, RestartChildResult, StartChildResult, TerminateChildResult } from '../runtime/internal/supervision.ts';

/** A child of a supervisor (OTP's child spec): its id (the actor's name), definition and options. */
export interface ChildSpec {
  readonly name: string;
  readonly def: ActorDefinition<never, unknown>;
  readonly options: SpawnOptions & { readonly restart: RestartType };
}

/**
 * Declares a child for {@link defineSupervisor} or `startChild`. Defaults (OTP's): restart
 * `'permanent'`, shutdown 5 000 ms for a worker and `'infinity'` for a supervisor, significant false.
 * Checks the spec at once: `missing-id`, `invalid-name`, `invalid-child`, `invalid-restart-type`,
 * `invalid-shutdown`, `invalid-significant`.
 * @example child('orders', ordersService, { restart: 'transient', shutdown: 2_000 })
 */
export function child<M, S>(name: string, def: ActorDefinition<M, S>, options: SpawnOptions = {}): ChildSpec {
  validateName(name, `child("${name}")`);
  if (def === null || typeof def !== 'object' || def.kind !== 'actor') {
    throw new TroupeError('invalid-child', `child("${name}"): the second argument must be a definition from defineActor, defineSupervisor, definePool or defineMachineActor.`);
  }
  const resolved = resolveSpawnOptions(options, 'permanent', `child("${name}")`, def.type === 'supervisor', true);
  return Object.freeze({ name, def: def as unknown as ActorDefinition<never, unknown>, options: { ...options, restart: resolved.restart } });
}

/** Messages a supervisor understands (OTP's supervisor API); the answers are typed results, never throws. */
export type SupervisorMsg =
  | { readonly type: 'start-child'; readonly spec: ChildSpec; readonly replyTo: ActorRef<StartChildResult> }
  | { readonly type: 'terminate-child'; readonly id: string; readonly replyTo: ActorRef<TerminateChildResult> }
  | { readonly type: 'restart-child'; readonly id: string; readonly replyTo: ActorRef<RestartChildResult> }
  | { readonly type: 'delete-child'; readonly id: string; readonly replyTo: ActorRef<DeleteChildResult> }
  | { readonly type: 'which-children'; readonly replyTo: ActorRef<readonly ChildEntry[]> }
  | { readonly type: 'count-children'; readonly replyTo: ActorRef<ChildCounts> };

/** The spec of {@link defineSupervisor}: supervision options plus the children, started in order. */
export interface SupervisorSpec extends SupervisionOptions {
  readonly name?: string;
  readonly children: readonly ChildSpec[];
}

/**
 * Defines a supervisor. Its children start in list order when it starts and at each restart of the
 * supervisor itself; if one fails to start, the supervisor's start fails (`start-failed`, naming the
 * child and carrying its error) and the children started before it are stopped. Defaults are those
 * of {@link SupervisionOptions}; a supervisor is a `'supervisor'` child (shutdown `'infinity'`).
 *
 * @example
 * const app = defineSupervisor({
 *   strategy: 'rest-for-one',
 *   intensity: { maxRestarts: 3, withinMs: 5_000 },
 *   children: [child('db', db), child('api', api, { restart: 'permanent' })],
 * });
 * system.spawn(app, 'app');
 */
export function defineSupervisor(spec: SupervisorSpec): ActorDefinition<SupervisorMsg, undefined> {
  const where = `defineSupervisor(${spec?.name ? `"${spec.name}"` : ''})`;
  if (!spec || !Array.isArray(spec.children)) throw new TroupeError('invalid-child', `${where}: children must be an array of child(name, definition, options).`);
  const supervision = resolveSupervision(spec, where);
  const seen = new Set<string>();
  for (const c of spec.children) {
    if (!c || typeof c.name !== 'string' || !c.def) throw new TroupeError('invalid-child', `${where}: every child must come from child(name, definition, options).`);
    if (seen.has(c.name)) throw new TroupeError('duplicate-child-name', `${where}: two children are named "${c.name}"; child names must be unique.`, { name: c.name });
    if (c.options.significant && supervision.autoShutdown === 'never') {
      throw new TroupeError('invalid-significant', `${where}: child "${c.name}" is significant, which needs autoShutdown 'any-significant' or 'all-significant' (it is 'never').`);
    }
    seen.add(c.name);
  }
  const children = [...spec.children];
  const def = defineActor<SupervisorMsg, undefined>({
    name: spec.name ?? 'supervisor',
    supervision: spec,
    init: (ctx) => {
      const sup = supervisingOf(ctx);
      for (const c of children) sup.spawn(c.def as ActorDefinition<unknown, unknown>, c.name, c.options, 'permanent', true);
      return undefined;
    },
    receive: (_s, msg, ctx) => {
      const sup = supervisingOf(ctx);
      switch (msg.type) {
        case 'start-child': {
          const c = msg.spec;
          const valid = c && typeof c.name === 'string' && c.def?.kind === 'actor';
          msg.replyTo.tell(valid
            ? sup.startChild(c.name, c.def as ActorDefinition<unknown, unknown>, c.options, 'permanent')
            : { ok: false, error: 'invalid-spec', reason: new TroupeError('invalid-child', 'start-child: the spec must come from child(name, definition, options).') });
          return;
        }
        case 'terminate-child': sup.terminateChild(msg.id, (r) => msg.replyTo.tell(r)); return;
        case 'restart-child': msg.replyTo.tell(sup.restartChild(msg.id)); return;
        case 'delete-child': msg.replyTo.tell(sup.deleteChild(msg.id)); return;
        case 'which-children': msg.replyTo.tell(sup.whichChildren()); return;
        case 'count-children': msg.replyTo.tell(sup.countChildren()); return;
      }
    },
  });
  return Object.freeze({ ...def, type: 'supervisor' as const });
}
