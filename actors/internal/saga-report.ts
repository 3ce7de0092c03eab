// What a saga's actor tells the outside, across its restarts: the status as it changes and the
// outcome once it is journaled (or that the actor stopped for good before that).

import { BehaviorSubject, type Observable } from 'rxjs';
import { TroupeError } from '../../runtime/errors.ts';
import type { SagaOutcome, SagaStatus } from '../saga.ts';

/** The reporting side, held by the saga's actor definition (so it outlives restarts). */
export interface SagaReport<R extends Record<string, unknown>> {
  readonly status$: Observable<SagaStatus>;
  readonly outcome: Promise<SagaOutcome<R>>;
  current(): SagaStatus;
  /** Publishes a status if it differs from the current one. */
  publish(status: SagaStatus): void;
  ended(outcome: SagaOutcome<R>): void;
  /** The actor stopped for good; rejects the outcome unless the saga ended. */
  stopped(path: string): void;
}

const same = (a: SagaStatus, b: SagaStatus): boolean =>
  a.phase === b.phase && a.step === b.step && a.attempt === b.attempt &&
  a.completed.length === b.completed.length && a.compensated.length === b.compensated.length;

/** Creates the report of saga `sagaId`, starting in phase `starting`. */
export function createSagaReport<R extends Record<string, unknown>>(sagaId: string): SagaReport<R> {
  const subject = new BehaviorSubject<SagaStatus>({ sagaId, phase: 'starting', step: undefined, attempt: 0, completed: [], compensated: [] });
  let resolve!: (o: SagaOutcome<R>) => void;
  let reject!: (e: unknown) => void;
  const outcome = new Promise<SagaOutcome<R>>((res, rej) => { resolve = res; reject = rej; });
  // A caller that never awaits the outcome must not see an unhandled rejection.
  outcome.catch(() => {});
  return {
    status$: subject.asObservable(),
    outcome,
    current: () => subject.getValue(),
    publish(status) {
      if (!same(subject.getValue(), status)) subject.next(status);
    },
    ended(o) {
      resolve(o);
      subject.complete();
    },
    stopped(path) {
      reject(new TroupeError('actor-dead', `Saga ${sagaId} (${path}) stopped before it ended; its journal has its progress: resume it with resumeSagas(system, def) or startSaga with the same sagaId.`, { sagaId }));
      subject.complete();
    },
  };
}
