// Pools: OTP's simple-one-for-one supervisor (Akka's pool routers' supervision) — one child
// template, children added at run time with arguments, identified by ref, stopped in parallel.

import type { ActorRef } from '../runtime/actor-ref.ts';
import type { AskOptions } from '../runtime/ask.ts';
import { defineActor, type ActorDefinition } from '../runtime/behavior.ts';
import { TroupeError } from '../runtime/errors.ts';
import { resolveSpawnOptions, type SpawnOptions } from '../runtime/spawn-options.ts';
import { supervisingOf } from '../runtime/internal/supervising-of.ts';
import type { ChildCounts, ChildEntry, TerminateChildResult } from '../runtime/internal/supervision.ts';
import type { Backoff } from './backoff.ts';
import type { Bulkhead } from './bulkhead.ts';
import type { Intensity } from './restart-window.ts';
import { resolveSupervision, type Decider } from './strategy.ts';

/**
 * The spec of {@link definePool}. `child(args)` gives the definition of a child started with `args`
 * (the same behavior every time; the arguments usually go into its initial state). `options` apply
 * to every child — defaults (OTP's): restart `'permanent'`, shutdown 5 000 ms. The strategy is
 * always one-for-one; intensity, decider, backoff and bulkhead as for any supervisor.
 */
export interface PoolSpec<A, M> {
  readonly name?: string;
  readonly child: (args: A) => ActorDefinition<M, unknown>;
  readonly options?: Omit<SpawnOptions, 'significant'>;
  readonly intensity?: Intensity;
  readonly decider?: Decider;
  readonly backoff?: Backoff;
  readonly bulkhead?: Bulkhead;
}

/** Messages a pool understands. Children are identified by ref (their names are generated). */
export type PoolMsg<A, M> =
  | { readonly type: 'start-child'; readonly args: A; readonly replyTo: ActorRef<PoolStartResult<M>> }
  | { readonly type: 'terminate-child'; readonly ref: ActorRef<M>; readonly replyTo: ActorRef<TerminateChildResult> }
  | { readonly type: 'which-children'; readonly replyTo: ActorRef<readonly ChildEntry[]> }
  | { readonly type: 'count-children'; readonly replyTo: ActorRef<ChildCounts> };

/** `start-child` of a pool: the new child's ref, or why it did not start. */
export type PoolStartResult<M> =
  | { readonly ok: true; readonly ref: ActorRef<M> | undefined }
  | { readonly ok: false; readonly error: 'start-failed' | 'invalid-spec'; readonly reason: unknown };

/**
 * Defines a pool supervisor. At its shutdown (or restart) every child is asked to stop at once and
 * each gets the pool's child shutdown from that moment (a shared deadline), as OTP's
 * simple-one-for-one does. A restarted pool starts empty.
 *
 * @example
 * const downloads = definePool({ child: (url: string) => downloader(url), options: { restart: 'transient' } });
 * const pool = poolClient(system.spawn(downloads, 'downloads'));
 * const r = await pool.startChild('https://example.com/a');
 */
export function definePool<A, M>(spec: PoolSpec<A, M>): ActorDefinition<PoolMsg<A, M>, undefined> {
  const where = `definePool(${spec?.name ? `"${spec.name}"` : ''})`;
  if (!spec || typeof spec.child !== 'function') throw new TroupeError('invalid-child', `${where}: child must be a function (args) => definition.`);
  resolveSpawnOptions(spec.options, 'permanent', where, false, false);
  const supervision = resolveSupervision({ strategy: 'one-for-one', intensity: spec.intensity, decider: spec.decider, backoff: spec.backoff, bulkhead: spec.bulkhead }, where, true);
  const def = defineActor<PoolMsg<A, M>, undefined>({
    name: spec.name ?? 'pool',
    init: () => undefined,
    receive: (_s, msg, ctx) => {
      const sup = supervisingOf(ctx);
      switch (msg.type) {
        case 'start-child': {
          let d: ActorDefinition<M, unknown>;
          try { d = spec.child(msg.args); } catch (e) { msg.replyTo.tell({ ok: false, error: 'start-failed', reason: e }); return; }
          const r = sup.startChild(undefined, d as ActorDefinition<unknown, unknown>, spec.options, 'permanent', false);
          msg.replyTo.tell(r.ok ? { ok: true, ref: r.ref as ActorRef<M> | undefined } : r.error === 'start-failed' || r.error === 'invalid-spec' ? r : { ok: false, error: 'invalid-spec', reason: r });
          return;
        }
        case 'terminate-child': sup.terminateChild(nameOf(msg.ref, ctx.self.path), (r) => msg.replyTo.tell(r)); return;
        case 'which-children': msg.replyTo.tell(sup.whichChildren()); return;
        case 'count-children': msg.replyTo.tell(sup.countChildren()); return;
      }
    },
  });
  return Object.freeze({ ...def, type: 'supervisor' as const, supervision });
}

/** The child name a ref stands for under this pool ('' when the ref is not a child of it). */
function nameOf(ref: ActorRef<unknown>, poolPath: string): string {
  const p = ref?.path;
  return typeof p === 'string' && p.startsWith(`${poolPath}/`) && p.indexOf('/', poolPath.length + 1) < 0 ? p.slice(poolPath.length + 1) : '';
}

/** A typed client of a pool (see {@link definePool}). */
export interface PoolClient<A, M> {
  startChild(args: A): Promise<PoolStartResult<M>>;
  terminateChild(ref: ActorRef<M>): Promise<TerminateChildResult>;
  whichChildren(): Promise<readonly ChildEntry[]>;
  countChildren(): Promise<ChildCounts>;
}

/** A client for the pool at `ref`; `options` apply to every ask. */
export function poolClient<A, M>(ref: ActorRef<PoolMsg<A, M>>, options?: AskOptions): PoolClient<A, M> {
  return {
    startChild: (args) => ref.ask<PoolStartResult<M>>((replyTo) => ({ type: 'start-child', args, replyTo }), options),
    terminateChild: (child) => ref.ask<TerminateChildResult>((replyTo) => ({ type: 'terminate-child', ref: child, replyTo }), options),
    whichChildren: () => ref.ask<readonly ChildEntry[]>((replyTo) => ({ type: 'which-children', replyTo }), options),
    countChildren: () => ref.ask<ChildCounts>((replyTo) => ({ type: 'count-children', replyTo }), options),
  };
}
