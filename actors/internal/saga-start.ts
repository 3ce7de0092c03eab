// Starting and resuming sagas: spawns a saga's actor with its report, and finds the unfinished
// sagas of a definition through its index stream.

import type { ActorDefinition } from '../../runtime/behavior.ts';
import type { ActorRef } from '../../runtime/actor-ref.ts';
import { isTroupeError, TroupeError } from '../../runtime/errors.ts';
import type { SpawnOptions } from '../../runtime/spawn-options.ts';
import type { Journal } from '../journal/journal.ts';
import { sagaStreamName, type SagaDefinition, type SagaHandle, type SagaQuery } from '../saga.ts';
import { closeSaga, openSagaIds } from './saga-index.ts';
import { defineSagaHost } from './saga-host.ts';
import { fromStored } from './saga-records.ts';
import { createSagaReport } from './saga-report.ts';

/** Where a saga's actor is spawned: the system (under `/user`) or an actor's context (as its child). */
export interface SagaSpawner {
  spawn<M, S>(def: ActorDefinition<M, S>, name?: string, options?: SpawnOptions): ActorRef<M>;
}

const SAGA_ID = /^[A-Za-z0-9_.:-]+$/;
const MAX_ACTOR_NAME = 128;
const ENDS: ReadonlySet<string> = new Set(['saga-completed', 'saga-failed', 'saga-compensation-failed']);

/** Spawns the actor of saga `sagaId`; `start` is absent when resuming. */
export function startSagaIn<I, R extends Record<string, unknown>>(where: SagaSpawner, def: SagaDefinition<I, R>, sagaId: string, start: { readonly input: I } | undefined, journal: Journal): SagaHandle<R> {
  const maxLength = MAX_ACTOR_NAME - sagaStreamName(def.name, '').length;
  if (typeof sagaId !== 'string' || !SAGA_ID.test(sagaId) || sagaId.length > maxLength) {
    throw new TroupeError('invalid-argument', `startSaga: sagaId ${JSON.stringify(sagaId)} must be 1–${maxLength} characters of A–Z a–z 0–9 _ . : - for saga "${def.name}" (its actor is named saga-${def.name}-<sagaId>).`, { sagaId: String(sagaId) });
  }
  const name = sagaStreamName(def.name, sagaId);
  const report = createSagaReport<R>(sagaId);
  const ref = where.spawn(defineSagaHost({ def, sagaId, start, journal, report }), name);
  return { sagaId, ref: ref as unknown as ActorRef<SagaQuery>, status$: report.status$, status: report.current, outcome: report.outcome };
}

/** Resumes the open sagas of `def` (see `resumeSagas`); skips ids whose actor already runs under `where`. */
export async function resumeSagasIn<I, R extends Record<string, unknown>>(where: SagaSpawner, def: SagaDefinition<I, R>, journal: Journal): Promise<SagaHandle<R>[]> {
  const handles: SagaHandle<R>[] = [];
  for (const sagaId of await openSagaIds(journal, def.name)) {
    const stream = sagaStreamName(def.name, sagaId);
    const version = await journal.streamVersion(stream);
    if (version === 0) {
      await closeSaga(journal, def.name, sagaId, 'never-started');
      continue;
    }
    const [last] = await journal.readStream(stream, { fromVersion: version, maxCount: 1 });
    const record = fromStored(last);
    if (ENDS.has(record.type)) {
      await closeSaga(journal, def.name, sagaId, record.type === 'saga-completed' ? 'completed' : record.type === 'saga-failed' ? 'failed' : 'compensation-failed');
      continue;
    }
    try {
      handles.push(startSagaIn(where, def, sagaId, undefined, journal));
    } catch (e) {
      if (!isTroupeError(e, 'duplicate-name')) throw e;
    }
  }
  return handles;
}
