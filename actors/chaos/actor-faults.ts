// Faults of one actor, addressed by its ref: crash it, hang it (its handler never returns until
// released), slow each message, fail a fraction of messages, flood its mailbox. Generic over any
// local actor — service instances, routers, sagas — and undone by id.

import type { ActorRef } from '../../runtime/actor-ref.ts';
import { TroupeError } from '../../runtime/errors.ts';
import { createSeededRandom, type Random } from '../../runtime/random.ts';
import { cellOf, faultsOf, FLOOD_MESSAGE, settle, type CellFaults } from './internal/cell-faults.ts';
import type { ActorCell } from '../../runtime/internal/actor-cell.ts';

/**
 * A fault that lasts until removed: `'hang'` — the next message's handler does not return until
 * the fault is removed (messages queue up behind it, asks time out; system messages such as stop
 * still work); `'slow'` — each message waits `delayMs` on the system's scheduler before its
 * handler runs (the actor is busy meanwhile, as with a slow handler); `'fail'` — each message
 * fails with probability `fraction` (its handler is not run; the actor fails with an
 * `injected-fault` error and its supervisor decides, as for any failure).
 */
export type ActorFault =
  | { readonly kind: 'hang' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'fail'; readonly fraction: number };

/** Options of {@link setActorFault}: the random of `'fail'` draws (default seeded 1). */
export interface ActorFaultOptions {
  readonly random?: Random;
}

const injected = (path: string) => (id: string): Error =>
  new TroupeError('injected-fault', `Fault '${id}' failed this message on purpose (chaos); ${path} fails as it would on a real error.`, { fault: id, path });

function localCell(ref: ActorRef<never>, what: string): ActorCell {
  const cell = cellOf((ref as { proc?: unknown })?.proc);
  if (cell === undefined) {
    throw new TroupeError('invalid-argument', `${what}: ${String(ref)} is not a live actor of this system; inject actor faults on the node that runs the actor (its chaos agent does).`, { target: String(ref) });
  }
  return cell;
}

/** Checks an actor fault; throws `invalid-argument` naming the field. */
export function checkActorFault(fault: ActorFault, where = 'actor fault'): ActorFault {
  if (typeof fault !== 'object' || fault === null) throw new TroupeError('invalid-argument', `${where}: expected { kind: 'hang' | 'slow' | 'fail', … }.`, { field: 'fault' });
  switch (fault.kind) {
    case 'hang': return fault;
    case 'slow':
      if (typeof fault.delayMs !== 'number' || !Number.isFinite(fault.delayMs) || fault.delayMs <= 0) throw new TroupeError('invalid-argument', `${where}: delayMs must be a finite number of milliseconds > 0, got ${String(fault.delayMs)}.`, { field: 'delayMs' });
      return fault;
    case 'fail':
      if (typeof fault.fraction !== 'number' || !(fault.fraction > 0 && fault.fraction <= 1)) throw new TroupeError('invalid-argument', `${where}: fraction must be a probability in (0, 1], got ${String(fault.fraction)}.`, { field: 'fraction' });
      return fault;
    default:
      throw new TroupeError('invalid-argument', `${where}: kind must be 'hang', 'slow' or 'fail', got ${JSON.stringify((fault as { kind?: unknown }).kind)}.`, { field: 'kind' });
  }
}

/**
 * Puts fault `id` on the live local actor behind `ref` (replacing a fault of that id). Several
 * faults may hold at once: any hang holds, the longest slow delay applies, each fail draws.
 * Throws `invalid-argument` for a ref that is not a live local actor or a bad fault.
 *
 * @example
 * setActorFault(orders, 'slow-orders', { kind: 'slow', delayMs: 800 });
 * removeActorFault(orders, 'slow-orders');
 */
export function setActorFault(ref: ActorRef<never>, id: string, fault: ActorFault, options: ActorFaultOptions = {}): void {
  checkActorFault(fault);
  const cell = localCell(ref, 'setActorFault');
  const state = faultsOf(cell, injected(cell.path));
  state.hangs.delete(id); state.slows.delete(id); state.fails.delete(id);
  switch (fault.kind) {
    case 'hang': state.hangs.add(id); break;
    case 'slow': state.slows.set(id, fault.delayMs); break;
    case 'fail': state.fails.set(id, { fraction: fault.fraction, random: options.random ?? createSeededRandom(1) }); break;
  }
  settle(state); // a hang replaced by another fault releases its held handler
}

function clear(state: CellFaults, id: string): boolean {
  const had = state.hangs.delete(id) || state.slows.delete(id) || state.fails.delete(id);
  settle(state);
  return had;
}

/** Removes fault `id` from the actor behind `ref` (releasing a hung handler once no hang is left). False when it had none or is gone. */
export function removeActorFault(ref: ActorRef<never>, id: string): boolean {
  const cell = cellOf((ref as { proc?: unknown })?.proc);
  if (cell === undefined) return false;
  return clear(faultsOf(cell, injected(cell.path)), id);
}

/**
 * Crashes the live local actor behind `ref` now, as if its handler threw: it fails with an
 * `injected-fault` error (data `{ fault: id }`) and its supervisor restarts, stops or escalates
 * as its strategy says. Throws `invalid-argument` for a ref that is not a live local actor.
 */
export function crashActor(ref: ActorRef<never>, id = 'crash'): void {
  const cell = localCell(ref, 'crashActor');
  cell.fail(injected(cell.path)(id));
}

/**
 * Floods the mailbox of the live local actor behind `ref` with `count` filler messages, queued
 * in front of whatever comes next; the actor swallows them without its behavior seeing them, one
 * turn each. A bounded mailbox fills up and rejects real messages as it would under a burst.
 * Returns how many fillers the mailbox took. Throws `invalid-argument` for a bad count
 * (an integer 1 … 1 000 000) or a ref that is not a live local actor.
 */
export function floodMailbox(ref: ActorRef<never>, count: number): { readonly accepted: number; readonly rejected: number } {
  if (!Number.isSafeInteger(count) || count < 1 || count > 1_000_000) throw new TroupeError('invalid-argument', `floodMailbox: count must be an integer 1 … 1000000, got ${String(count)}.`, { field: 'messages' });
  const cell = localCell(ref, 'floodMailbox');
  const state = faultsOf(cell, injected(cell.path));
  let accepted = 0;
  for (let i = 0; i < count; i++) {
    const r = cell.deliverUser(FLOOD_MESSAGE);
    if (r === 0 || r === 3) accepted++;
    else if (r === 4) break;
  }
  state.floods += accepted;
  settle(state);
  return { accepted, rejected: count - accepted };
}
