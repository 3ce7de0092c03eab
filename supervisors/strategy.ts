// Supervision vocabulary and its validation: strategies, directives, restart types, options.

import { TroupeError } from '../runtime/errors.ts';
import type { Backoff } from './backoff.ts';
import type { Bulkhead } from './bulkhead.ts';
import { DEFAULT_INTENSITY, type Intensity } from './restart-window.ts';

/** Which children restart when one fails: itself, all, or itself and those started after it. */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** What a supervisor does with a failed child. */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

/**
 * When a child is restarted: `permanent` always (even after a normal stop), `transient` only
 * after a failure, `temporary` never.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** Maps a child's error to a directive. */
export type Decider = (error: unknown) => Directive;

/**
 * How an actor supervises its children. Defaults: strategy `'one-for-one'`, decider `() => 'restart'`,
 * intensity 3 restarts within 5 000 ms, no backoff, no bulkhead.
 */
export interface SupervisionOptions {
  readonly strategy?: Strategy;
  readonly decider?: Decider;
  readonly intensity?: Intensity;
  readonly backoff?: Backoff;
  readonly bulkhead?: Bulkhead;
}

/** Supervision options with every default filled in. */
export interface Supervision {
  readonly strategy: Strategy;
  readonly decider: Decider;
  readonly intensity: Intensity;
  readonly backoff: Backoff | undefined;
  readonly bulkhead: Bulkhead | undefined;
}

const restartAlways: Decider = () => 'restart';

/** The supervision every actor has unless its definition says otherwise. */
export const DEFAULT_SUPERVISION: Supervision = Object.freeze({
  strategy: 'one-for-one', decider: restartAlways, intensity: DEFAULT_INTENSITY, backoff: undefined, bulkhead: undefined,
});

const STRATEGIES: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one'];

/** Fills defaults and checks the options, throwing `invalid-spec` with the fix. */
export function resolveSupervision(o: SupervisionOptions | undefined, where: string): Supervision {
  if (!o) return DEFAULT_SUPERVISION;
  const strategy = o.strategy ?? 'one-for-one';
  if (!STRATEGIES.includes(strategy)) {
    throw new TroupeError('invalid-spec', `${where}: unknown strategy "${String(strategy)}"; use one of ${STRATEGIES.join(', ')}.`);
  }
  const intensity = o.intensity ?? DEFAULT_INTENSITY;
  if (!Number.isInteger(intensity.maxRestarts) || intensity.maxRestarts < 1) {
    throw new TroupeError('invalid-spec', `${where}: intensity.maxRestarts must be an integer ≥ 1, got ${intensity.maxRestarts}. To never restart a child, give it restart: 'temporary' or a decider returning 'stop'.`);
  }
  if (!(intensity.withinMs > 0) || !Number.isFinite(intensity.withinMs)) {
    throw new TroupeError('invalid-spec', `${where}: intensity.withinMs must be a positive number of milliseconds, got ${intensity.withinMs}.`);
  }
  const b = o.backoff;
  if (b && (!(b.minMs >= 0) || !(b.maxMs >= b.minMs) || (b.factor !== undefined && !(b.factor >= 1)) || (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter < 1)))) {
    throw new TroupeError('invalid-spec', `${where}: backoff needs 0 ≤ minMs ≤ maxMs, factor ≥ 1 and 0 ≤ jitter < 1; got ${JSON.stringify(b)}.`);
  }
  const h = o.bulkhead;
  if (h && (!Number.isInteger(h.maxMailbox) || h.maxMailbox < 1 || !Number.isInteger(h.maxConcurrent) || h.maxConcurrent < 1)) {
    throw new TroupeError('invalid-spec', `${where}: bulkhead needs integer maxMailbox ≥ 1 and maxConcurrent ≥ 1; got ${JSON.stringify(h)}.`);
  }
  if (o.decider !== undefined && typeof o.decider !== 'function') {
    throw new TroupeError('invalid-spec', `${where}: decider must be a function (error) => 'resume' | 'restart' | 'stop' | 'escalate'.`);
  }
  return Object.freeze({ strategy, decider: o.decider ?? restartAlways, intensity, backoff: b, bulkhead: h });
}
