// Options for spawning a child: its restart type, shutdown timeout and mailbox override.

import { TroupeError } from './errors.ts';
import { validateMailboxOptions, type MailboxOptions } from '../mailboxes/mailbox.ts';
import type { RestartType } from '../supervisors/strategy.ts';

/**
 * How a child is supervised. Defaults: `restart` `'transient'` for `ctx.spawn`/`system.spawn`
 * (`'permanent'` in `defineSupervisor` child specs, as in OTP); `shutdownMs` 5 000 (after which
 * a stopping child is killed without running its hooks); the mailbox from the definition.
 */
export interface SpawnOptions {
  readonly restart?: RestartType;
  readonly shutdownMs?: number;
  readonly mailbox?: MailboxOptions;
}

/** Spawn options with defaults filled in. */
export interface ResolvedSpawnOptions {
  readonly restart: RestartType;
  readonly shutdownMs: number;
  readonly mailbox: MailboxOptions | undefined;
}

/** Default shutdown timeout of a child, in milliseconds. */
export const DEFAULT_SHUTDOWN_MS = 5_000;

const TRANSIENT: ResolvedSpawnOptions = Object.freeze({ restart: 'transient', shutdownMs: DEFAULT_SHUTDOWN_MS, mailbox: undefined });
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary'];

/** Fills defaults and checks options; throws `invalid-spec` naming the fix. */
export function resolveSpawnOptions(o: SpawnOptions | undefined, defaultRestart: RestartType, where: string): ResolvedSpawnOptions {
  if (o === undefined && defaultRestart === 'transient') return TRANSIENT;
  const restart = o?.restart ?? defaultRestart;
  if (!RESTARTS.includes(restart)) throw new TroupeError('invalid-spec', `${where}: restart must be one of ${RESTARTS.join(', ')}, got "${String(restart)}".`);
  const shutdownMs = o?.shutdownMs ?? DEFAULT_SHUTDOWN_MS;
  if (!(shutdownMs >= 0) || !Number.isFinite(shutdownMs)) throw new TroupeError('invalid-spec', `${where}: shutdownMs must be a finite number ≥ 0, got ${shutdownMs}.`);
  if (o?.mailbox) validateMailboxOptions(o.mailbox, where);
  return Object.freeze({ restart, shutdownMs, mailbox: o?.mailbox });
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,127}$/;

/** Checks a child name: 1–128 of `[A-Za-z0-9_.:-]`, not starting with `$` (reserved for generated names). */
export function validateName(name: string, where: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TroupeError('invalid-spec', `${where}: "${String(name)}" is not a valid actor name; use 1–128 characters of letters, digits, _ . : - (not starting with $ or -).`);
  }
}
