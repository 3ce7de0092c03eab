// How actor faults reach a live local actor: its cell's definition is swapped for an interposer
// that consults the faults in force before each message, and swapped back once none is left.
// Nothing changes for actors that no fault touches (no hook on the delivery path).

import type { ActorDefinition } from '../../../runtime/behavior.ts';
import type { Scheduler } from '../../../runtime/clock.ts';
import type { Random } from '../../../runtime/random.ts';
import { ActorCell } from '../../../runtime/internal/actor-cell.ts';

/** The flood filler: swallowed by the interposer, never seen by the behavior. */
export const FLOOD_MESSAGE = Object.freeze({ type: 'troupe.chaos.flood' });

const STATE = Symbol('troupe.chaos.cell-faults');

/** The faults in force on one cell. */
export interface CellFaults {
  readonly cell: ActorCell;
  readonly original: ActorDefinition<unknown, unknown>;
  readonly hangs: Set<string>;
  readonly slows: Map<string, number>;
  readonly fails: Map<string, { fraction: number; random: Random }>;
  /** Flood messages accepted and not yet swallowed. */
  floods: number;
  /** Handlers held by a hang, released when the last hang ends. */
  readonly held: (() => void)[];
  readonly scheduler: Scheduler;
  /** Called when a fault makes a message fail (the error to throw). */
  failure: (id: string) => Error;
}

type Interposed = ActorDefinition<unknown, unknown> & { readonly [STATE]: CellFaults };

/** The local cell behind a ref's process, or undefined (remote, dead, or not an actor). */
export function cellOf(proc: unknown): ActorCell | undefined {
  return proc instanceof ActorCell && proc.alive ? proc : undefined;
}

/** The faults of `cell`, installing the interposer if none was there. */
export function faultsOf(cell: ActorCell, failure: (id: string) => Error): CellFaults {
  const current = cell.def as Partial<Interposed>;
  const existing = current[STATE];
  if (existing !== undefined) return existing;
  const state: CellFaults = {
    cell, original: cell.def, hangs: new Set(), slows: new Map(), fails: new Map(), floods: 0, held: [],
    scheduler: cell.host.scheduler, failure,
  };
  const original = state.original;
  const interposed: Interposed = Object.freeze({
    ...original,
    [STATE]: state,
    receive(s: unknown, msg: unknown, ctx: Parameters<typeof original.receive>[2]) {
      if (msg === FLOOD_MESSAGE) {
        state.floods = Math.max(0, state.floods - 1);
        settle(state);
        return undefined;
      }
      for (const [id, f] of state.fails) if (f.random.next() < f.fraction) throw state.failure(id);
      let delay = 0;
      for (const ms of state.slows.values()) delay = Math.max(delay, ms);
      if (state.hangs.size === 0 && delay === 0) return original.receive(s, msg, ctx);
      return (async () => {
        if (state.hangs.size > 0) await new Promise<void>((resolve) => { state.held.push(resolve); });
        if (delay > 0) await new Promise<void>((resolve) => { state.scheduler.startTimer(delay, resolve); });
        return original.receive(s, msg, ctx);
      })();
    },
  });
  (cell as { def: ActorDefinition<unknown, unknown> }).def = interposed;
  return state;
}

/** Releases held handlers when no hang is left, and puts the original definition back when nothing is left at all. */
export function settle(state: CellFaults): void {
  if (state.hangs.size === 0 && state.held.length > 0) for (const release of state.held.splice(0)) release();
  const idle = state.hangs.size === 0 && state.slows.size === 0 && state.fails.size === 0 && state.floods === 0 && state.held.length === 0;
  if (idle && (state.cell.def as Partial<Interposed>)[STATE] === state) (state.cell as { def: ActorDefinition<unknown, unknown> }).def = state.original;
}
