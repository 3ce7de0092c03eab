// A typed client of a supervisor's dynamic child API (OTP's supervisor functions) over ask.

import type { ActorRef } from '../runtime/actor-ref.ts';
import type { AskOptions } from '../runtime/ask.ts';
import type { ChildCounts, ChildEntry, ChildSpec, DeleteChildResult, RestartChildResult, StartChildResult, SupervisorMsg, TerminateChildResult } from './define-supervisor.ts';

/**
 * OTP's supervisor API as promises of typed results: `start_child`, `terminate_child`,
 * `restart_child`, `delete_child`, `which_children`, `count_children`. Results carry OTP's answers
 * (`already-started`, `already-present`, `running`, `restarting`, `not-found`, `start-failed`) and
 * never reject for them; a promise rejects only when the ask itself fails (`ask-timeout`, `actor-dead`).
 * Child specs hold functions, so the client is for supervisors on the same node.
 */
export interface SupervisorClient {
  startChild(spec: ChildSpec): Promise<StartChildResult>;
  /** Stops the child (reason `shutdown`, its own shutdown) and resolves once it terminated; its spec is kept unless temporary. */
  terminateChild(id: string): Promise<TerminateChildResult>;
  /** Starts a kept spec that is not running. */
  restartChild(id: string): Promise<RestartChildResult>;
  /** Removes a kept spec that is not running. */
  deleteChild(id: string): Promise<DeleteChildResult>;
  whichChildren(): Promise<readonly ChildEntry[]>;
  countChildren(): Promise<ChildCounts>;
}

/**
 * A client for the supervisor at `ref` (from {@link defineSupervisor}). `options` apply to every
 * ask (default: the system's ask timeout).
 * @example
 * const sup = supervisorClient(system.spawn(app, 'app'));
 * const r = await sup.startChild(child('cache', cache, { restart: 'transient' }));
 * if (!r.ok && r.error === 'already-present') await sup.restartChild('cache');
 */
export function supervisorClient(ref: ActorRef<SupervisorMsg>, options?: AskOptions): SupervisorClient {
  return {
    startChild: (spec) => ref.ask<StartChildResult>((replyTo) => ({ type: 'start-child', spec, replyTo }), options),
    terminateChild: (id) => ref.ask<TerminateChildResult>((replyTo) => ({ type: 'terminate-child', id, replyTo }), options),
    restartChild: (id) => ref.ask<RestartChildResult>((replyTo) => ({ type: 'restart-child', id, replyTo }), options),
    deleteChild: (id) => ref.ask<DeleteChildResult>((replyTo) => ({ type: 'delete-child', id, replyTo }), options),
    whichChildren: () => ref.ask<readonly ChildEntry[]>((replyTo) => ({ type: 'which-children', replyTo }), options),
    countChildren: () => ref.ask<ChildCounts>((replyTo) => ({ type: 'count-children', replyTo }), options),
  };
}
