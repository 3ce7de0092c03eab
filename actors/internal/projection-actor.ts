// Projections, the actor: loads its checkpoint, reads the journal in batches from it, commits each
// batch with the checkpoint through the store, then tails by polling on the system scheduler.

import { defineActor, type ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorContext } from '../../runtime/context.ts';
import { backoffDelay, type Backoff } from '../../supervisors/backoff.ts';
import type { SupervisionOptions } from '../../supervisors/strategy.ts';
import type { Journal, StoredEvent } from '../journal/journal.ts';
import type { ProjectionStore } from '../projection-stores.ts';
import { journalHead } from './projection-head.ts';
import { contextFromMeta, runInSpan, startChildSpan } from './journal-tracing.ts';
import * as A from '../../runtime/observe/internal/attributes.ts';
import { untracedActor } from '../../runtime/observe/internal/untraced-actors.ts';

/** What a projection actor accepts: `poll` (read now), `pause`, `resume`, `rebuild`. */
export type ProjectionMsg =
  | { readonly type: 'poll' }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'rebuild' };

/**
 * Where a projection is: `starting` (loading its checkpoint), `catching-up` (reading full batches),
 * `rebuilding` (catching up after a reset), `live` (at the head, polling), `paused`, `failed`
 * (a batch failed and waits for its retry; `error` says why, `failures` how often), `stopped`.
 */
export type ProjectionPhase = 'starting' | 'catching-up' | 'rebuilding' | 'live' | 'paused' | 'failed' | 'stopped';

/** A projection's progress, as `status$` emits it. */
export interface ProjectionStatus {
  readonly name: string;
  readonly phase: ProjectionPhase;
  /** The last global position committed to the store (0 = none). */
  readonly checkpoint: number;
  /** The journal's last position as of the projection's latest look. */
  readonly head: number;
  /** `head − checkpoint` (never below 0): events written but not yet in the read model. */
  readonly lag: number;
  /** Events handed to the handler and committed since the projection was created. */
  readonly handled: number;
  /** Resets done by `rebuild` since the projection was created. */
  readonly rebuilds: number;
  /** The last failure, while `phase` is `failed`. */
  readonly error?: unknown;
  /** Failed attempts in a row at the current position (0 once a batch commits). */
  readonly failures: number;
}

/** Everything the actor needs; built by createProjection. Survives restarts (the actor's state does not). */
export interface ProjectionRuntime<T> {
  readonly name: string;
  readonly journal: Journal;
  readonly store: ProjectionStore<T>;
  readonly handle: (event: StoredEvent, tx: T) => void | Promise<void>;
  readonly select: (page: readonly StoredEvent[]) => StoredEvent[];
  readonly fromPosition: number;
  readonly batchSize: number;
  readonly pollMs: number;
  readonly supervision?: SupervisionOptions;
  /** Wait before retrying a failed batch (n-th failure in a row). */
  readonly retry: Backoff;
  /** Counters and flags shared with the handle; `hinted` is set by append hints until the next poll. */
  readonly shared: { paused: boolean; hinted: boolean; handled: number; rebuilds: number; failures: number };
  publish(update: Partial<Omit<ProjectionStatus, 'name' | 'lag'>>): void;
}

interface PState {
  readonly loaded: boolean;
  readonly checkpoint: number;
  readonly head: number;
  readonly rebuilding: boolean;
}

const POLL: ProjectionMsg = Object.freeze({ type: 'poll' });

/** The projection actor's definition. */
export function projectionActor<T>(rt: ProjectionRuntime<T>): ActorDefinition<ProjectionMsg, PState> {
  const { journal, store, name, shared } = rt;

  const poll = async (st: PState, ctx: ActorContext<ProjectionMsg>): Promise<PState> => {
    shared.hinted = false;
    let { checkpoint, head } = st;
    if (!st.loaded) checkpoint = await store.loadCheckpoint(name);
    if (shared.paused) {
      head = await journalHead(journal, Math.max(head, checkpoint));
      rt.publish({ phase: 'paused', checkpoint, head });
      ctx.timers.startSingle('poll', POLL, rt.pollMs);
      return { ...st, loaded: true, checkpoint, head };
    }
    const page = await journal.readAll({ fromPosition: Math.max(checkpoint + 1, rt.fromPosition), maxCount: rt.batchSize });
    if (page.length > 0) {
      const last = page[page.length - 1].position;
      const selected = rt.select(page);
      await store.commit(name, { from: checkpoint, to: last }, async (tx) => {
        // tracing: each event is handled in a `project <name>` span continuing the trace that appended it
        for (const e of selected) await runInSpan(ctx.system, projectSpan(ctx, e), () => rt.handle(e, tx), rt.handle);
      });
      shared.handled += selected.length;
      checkpoint = last;
    }
    const atHead = page.length < rt.batchSize;
    if (atHead) head = Math.max(head, checkpoint);
    else if (head <= checkpoint) head = await journalHead(journal, checkpoint);
    shared.failures = 0;
    rt.publish({ phase: atHead ? 'live' : st.rebuilding ? 'rebuilding' : 'catching-up', checkpoint, head, handled: shared.handled, failures: 0 });
    if (atHead) ctx.timers.startSingle('poll', POLL, rt.pollMs);
    else { ctx.timers.cancel('poll'); ctx.self.tell(POLL); } // next batch after any pause/rebuild already queued
    return { loaded: true, checkpoint, head, rebuilding: st.rebuilding && !atHead };
  };

  const projectSpan = (ctx: ActorContext<ProjectionMsg>, e: StoredEvent) => startChildSpan(ctx.system, `project ${name}`, 'consumer', contextFromMeta(ctx.system, e.meta.traceparent), {
    [A.MESSAGING_SYSTEM]: A.TROUPE, [A.MESSAGING_OPERATION_TYPE]: 'process', [A.MESSAGING_OPERATION_NAME]: 'project', [A.MESSAGING_DESTINATION_NAME]: e.stream,
    [A.PROJECTION_NAME]: name, [A.JOURNAL_STREAM]: e.stream, [A.JOURNAL_POSITION]: e.position, [A.MESSAGE_TYPE]: e.type, [A.ACTOR_PATH]: ctx.path,
  });

  const rebuild = async (st: PState, ctx: ActorContext<ProjectionMsg>): Promise<PState> => {
    await store.reset(name);
    shared.rebuilds++;
    rt.publish({ phase: shared.paused ? 'paused' : 'rebuilding', checkpoint: 0, rebuilds: shared.rebuilds, error: undefined });
    ctx.timers.cancel('poll');
    ctx.self.tell(POLL);
    return { ...st, loaded: true, checkpoint: 0, rebuilding: true };
  };

  /**
   * A failed batch (the handler threw, the store refused, the journal could not be read) is
   * retried after a backoff, from the stored checkpoint, for as long as it keeps failing: a poison
   * event stalls this projection (status `failed`, with the error and the count) but never
   * escalates to the system.
   */
  const guarded = (p: Promise<PState>, st: PState, ctx: ActorContext<ProjectionMsg>): Promise<PState> =>
    p.catch((error: unknown) => {
      shared.failures++;
      rt.publish({ phase: 'failed', error, failures: shared.failures });
      ctx.timers.startSingle('poll', POLL, backoffDelay(rt.retry, shared.failures, ctx.random.next()));
      return { ...st, loaded: false };
    });

  return untracedActor(defineActor<ProjectionMsg, PState>({
    name: `projection:${name}`,
    supervision: rt.supervision,
    init: (ctx) => {
      ctx.self.tell(POLL);
      return { loaded: false, checkpoint: 0, head: 0, rebuilding: false };
    },
    receive: (st, msg, ctx) => {
      switch (msg.type) {
        case 'poll': return guarded(poll(st, ctx), st, ctx);
        case 'pause':
          shared.paused = true;
          rt.publish({ phase: 'paused' });
          return;
        case 'resume':
          if (!shared.paused) return;
          shared.paused = false;
          return guarded(poll(st, ctx), st, ctx);
        case 'rebuild': return guarded(rebuild(st, ctx), st, ctx);
      }
    },
    signal: (_st, sig) => {
      if (sig.type === 'pre-restart') rt.publish({ phase: 'failed', error: sig.cause });
      else if (sig.type === 'stopped') rt.publish({ phase: 'stopped' });
    },
  }));
}
