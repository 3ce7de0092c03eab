// The supervision decision as pure functions: which directive a failure gets, and which
// children a restart takes with it under each strategy.

import type { Directive, RestartType, Strategy, Supervision } from './strategy.ts';

/**
 * The directive for a child's failure: the decider's answer (`escalate` if the decider itself
 * throws), except that a `temporary` child is never restarted (`restart` becomes `stop`).
 * @example directiveFor(() => 'restart', 'temporary', new Error()) // 'stop'
 */
export function directiveFor(decider: Supervision['decider'], restart: RestartType, error: unknown): Directive {
  let d: Directive;
  try { d = decider(error); } catch { d = 'escalate'; }
  return d === 'restart' && restart === 'temporary' ? 'stop' : d;
}

/**
 * The children restarted with `failed`: itself (`one-for-one`), all of them (`one-for-all`), or
 * itself and those started after it (`rest-for-one`). `children` is in start order.
 * @example restartTargets('rest-for-one', ['a', 'b', 'c'], 'b') // ['b', 'c']
 */
export function restartTargets<C>(strategy: Strategy, children: readonly C[], failed: C): C[] {
  if (strategy === 'one-for-one') return [failed];
  if (strategy === 'one-for-all') return [...children];
  const i = children.indexOf(failed);
  return i < 0 ? [failed] : children.slice(i);
}
