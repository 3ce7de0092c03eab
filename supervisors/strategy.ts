// Supervision vocabulary and its validation: strategies, directives, restart types, options.

import { TroupeError } from '../runtime/errors.ts';
import type { Backoff } from './backoff.ts';
import type { Bulkhead } from './bulkhead.ts';
import { DEFAULT_INTENSITY, type Intensity } from './restart-window.ts';

/** Which children restart when one must: itself, all, or itself and those started after it. */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** What a supervisor does with a failed child. */
export type Directive = 'resume' | 'restart' | 'stop' | 'escalate';

/**
 * When a child is restarted (OTP): `permanent` always, even after a normal exit; `transient` only
 * after a failure (not after a `normal` or `shutdown` exit); `temporary` never (and a group restart
 * stops it and forgets it).
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * When a supervisor stops itself because significant children ended on their own (OTP's
 * `auto_shutdown`): `never` (significant children are refused), `any-significant`, `all-significant`.
 */
export type AutoShutdown = 'never' | 'any-significant' | 'all-significant';

/** Maps a child's error to a directive. */
export type Decider = (error: unknown) => Directive;

/**
 * How an actor supervises its children. Defaults: strategy `'one-for-one'`, decider `() => 'restart'`,
 * intensity 3 restarts within 5 000 ms, no backoff, no bulkhead, autoShutdown `'never'`.
 */
export interface SupervisionOptions {
  readonly strategy?: Strategy;
  readonly decider?: Decider;
  readonly intensity?: Intensity;
  readonly backoff?: Backoff;
  readonly bulkhead?: Bulkhead;
  readonly autoShutdown?: AutoShutdown;
}

/** Supervision options with every default filled in. `parallelStop`: children stop all at once (pools). */
export interface Supervision {
  readonly strategy: Strategy;
  readonly decider: Decider;
  readonly intensity: Intensity;
  readonly backoff: Backoff | undefined;
  readonly bulkhead: Bulkhead | undefined;
  readonly autoShutdown: AutoShutdown;
  readonly parallelStop: boolean;
}

const restartAlways: Decider = () => 'restart';

/** The supervision every actor has unless its definition says otherwise. */
export const DEFAULT_SUPERVISION: Supervision = Object.freeze({
  strategy: 'one-for-one', decider: restartAlways, intensity: DEFAULT_INTENSITY, backoff: undefined, bulkhead: undefined,
  autoShutdown: 'never', parallelStop: false,
});

const STRATEGIES: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one'];
const AUTO_SHUTDOWN: readonly AutoShutdown[] = ['never', 'any-significant', 'all-significant'];

/**
 * Fills defaults and checks the options, throwing one code per bad field (`invalid-strategy`,
 * `invalid-intensity`, `invalid-backoff`, `invalid-bulkhead`, `invalid-decider`,
 * `invalid-auto-shutdown`) with the fix.
 */
export function resolveSupervision(o: SupervisionOptions | undefined, where: string, parallelStop = false): Supervision {
  if (!o && !parallelStop) return DEFAULT_SUPERVISION;
  const strategy = o?.strategy ?? 'one-for-one';
  if (!STRATEGIES.includes(strategy)) {
    throw new TroupeError('invalid-strategy', `${where}: unknown strategy "${String(strategy)}"; use one of ${STRATEGIES.join(', ')}.`, { strategy: String(strategy) });
  }
  const intensity = o?.intensity ?? DEFAULT_INTENSITY;
  if (typeof intensity !== 'object' || intensity === null || !Number.isInteger(intensity.maxRestarts) || intensity.maxRestarts < 0) {
    throw new TroupeError('invalid-intensity', `${where}: intensity.maxRestarts must be an integer ≥ 0, got ${intensity?.maxRestarts}. (0: the first restart gives up; to never restart one child, make it temporary.)`);
  }
  if (!(intensity.withinMs > 0) || !Number.isFinite(intensity.withinMs)) {
    throw new TroupeError('invalid-intensity', `${where}: intensity.withinMs must be a positive number of milliseconds, got ${intensity.withinMs}.`);
  }
  const b = o?.backoff;
  if (b && (!(b.minMs >= 0) || !(b.maxMs >= b.minMs) || !Number.isFinite(b.maxMs) || (b.factor !== undefined && !(b.factor >= 1)) ||
    (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter <= 1)) || (b.resetAfterMs !== undefined && !(b.resetAfterMs > 0)) ||
    (b.stashCapacity !== undefined && !(Number.isInteger(b.stashCapacity) && b.stashCapacity >= 0)))) {
    throw new TroupeError('invalid-backoff', `${where}: backoff needs 0 ≤ minMs ≤ maxMs (finite), factor ≥ 1, 0 ≤ jitter ≤ 1, resetAfterMs > 0 and an integer stashCapacity ≥ 0; got ${JSON.stringify(b)}.`);
  }
  const h = o?.bulkhead;
  if (h && (!Number.isInteger(h.maxMailbox) || h.maxMailbox < 1 || !Number.isInteger(h.maxConcurrent) || h.maxConcurrent < 1)) {
    throw new TroupeError('invalid-bulkhead', `${where}: bulkhead needs integer maxMailbox ≥ 1 and maxConcurrent ≥ 1; got ${JSON.stringify(h)}.`);
  }
  if (o?.decider !== undefined && typeof o.decider !== 'function') {
    throw new TroupeError('invalid-decider', `${where}: decider must be a function (error) => 'resume' | 'restart' | 'stop' | 'escalate'.`);
  }
  const autoShutdown = o?.autoShutdown ?? 'never';
  if (!AUTO_SHUTDOWN.includes(autoShutdown)) {
    throw new TroupeError('invalid-auto-shutdown', `${where}: autoShutdown must be one of ${AUTO_SHUTDOWN.join(', ')}, got "${String(autoShutdown)}".`);
  }
  return Object.freeze({ strategy, decider: o?.decider ?? restartAlways, intensity, backoff: b, bulkhead: h, autoShutdown, parallelStop });
}
