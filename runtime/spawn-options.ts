// Options for spawning a child: its restart type, shutdown, significance and mailbox override.

import { TroupeError } from './errors.ts';
import { validateMailboxOptions, type MailboxOptions } from '../mailboxes/mailbox.ts';
import type { RestartType } from '../supervisors/strategy.ts';

/**
 * How long a supervisor waits for a stopping child (OTP's `shutdown`): a number of milliseconds
 * (> 0) after which the child and its subtree are killed without their hooks, `'infinity'` to wait
 * as long as it takes, or `'brutal-kill'` to kill it at once without running its hooks.
 */
export type Shutdown = number | 'infinity' | 'brutal-kill';

/**
 * How a child is supervised. Defaults: `restart` `'transient'` for `ctx.spawn`/`system.spawn`
 * (`'permanent'` in `defineSupervisor` child specs, as in OTP); `shutdown` 5 000 ms for a worker and
 * `'infinity'` for a child that is itself a supervisor (OTP's defaults); `significant` false (see
 * `autoShutdown` of {@link SupervisionOptions}); the mailbox from the definition.
 */
export interface SpawnOptions {
  readonly restart?: RestartType;
  readonly shutdown?: Shutdown;
  readonly significant?: boolean;
  readonly mailbox?: MailboxOptions;
}

/**
 * Spawn options with defaults filled in. `shutdownMs` is `Infinity` for `'infinity'` and 0 for
 * `'brutal-kill'`. `keep`: the supervisor keeps the child's spec after it terminates (children of
 * `defineSupervisor` and `startChild`, as OTP does); `ctx.spawn` children are forgotten (as Akka does).
 */
export interface ResolvedSpawnOptions {
  readonly restart: RestartType;
  readonly shutdownMs: number;
  readonly significant: boolean;
  readonly keep: boolean;
  readonly mailbox: MailboxOptions | undefined;
}

/** Default shutdown of a worker child, in milliseconds (OTP's 5 000). */
export const DEFAULT_SHUTDOWN_MS = 5_000;

const TRANSIENT: ResolvedSpawnOptions = Object.freeze({ restart: 'transient', shutdownMs: DEFAULT_SHUTDOWN_MS, significant: false, keep: false, mailbox: undefined });
const TRANSIENT_SUPERVISOR: ResolvedSpawnOptions = Object.freeze({ ...TRANSIENT, shutdownMs: Infinity });
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary'];

/** Turns a {@link Shutdown} into milliseconds (`Infinity`, or 0 for brutal kill); throws `invalid-shutdown`. */
export function shutdownMsOf(s: Shutdown, where: string): number {
  if (s === 'infinity' || s === Infinity) return Infinity;
  if (s === 'brutal-kill') return 0;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
    throw new TroupeError('invalid-shutdown', `${where}: shutdown must be a number of milliseconds > 0, 'infinity' or 'brutal-kill', got ${JSON.stringify(s) ?? String(s)}.`, { shutdown: String(s) });
  }
  return s;
}

/**
 * Fills defaults and checks options; throws `invalid-restart-type`, `invalid-shutdown`,
 * `invalid-significant` or a mailbox code, naming the fix. `isSupervisor` picks the default shutdown.
 */
export function resolveSpawnOptions(o: SpawnOptions | undefined, defaultRestart: RestartType, where: string, isSupervisor = false, keep = false): ResolvedSpawnOptions {
  if (o === undefined && defaultRestart === 'transient' && !keep) return isSupervisor ? TRANSIENT_SUPERVISOR : TRANSIENT;
  const restart = o?.restart ?? defaultRestart;
  if (!RESTARTS.includes(restart)) throw new TroupeError('invalid-restart-type', `${where}: restart must be one of ${RESTARTS.join(', ')}, got "${String(restart)}".`, { restart: String(restart) });
  const shutdownMs = o?.shutdown === undefined ? (isSupervisor ? Infinity : DEFAULT_SHUTDOWN_MS) : shutdownMsOf(o.shutdown, where);
  const significant = o?.significant ?? false;
  if (typeof significant !== 'boolean') throw new TroupeError('invalid-significant', `${where}: significant must be true or false, got ${String(significant)}.`);
  if (significant && restart === 'permanent') {
    throw new TroupeError('invalid-significant', `${where}: a permanent child cannot be significant (it is always restarted, so it never ends its supervisor); make it transient or temporary.`);
  }
  if (o?.mailbox) validateMailboxOptions(o.mailbox, where);
  return Object.freeze({ restart, shutdownMs, significant, keep, mailbox: o?.mailbox });
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-]{0,127}$/;

/** Checks a child name: 1–128 of `[A-Za-z0-9_.:-]`, not starting with `$` (reserved for generated names); throws `missing-id` or `invalid-name`. */
export function validateName(name: string, where: string): void {
  if (name === undefined || name === null || name === '') throw new TroupeError('missing-id', `${where}: a child needs a name (its id); give one of 1–128 letters, digits, _ . : -.`);
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TroupeError('invalid-name', `${where}: "${String(name)}" is not a valid actor name; use 1–128 characters of letters, digits, _ . : - (not starting with $ or -).`, { name: String(name) });
  }
}
