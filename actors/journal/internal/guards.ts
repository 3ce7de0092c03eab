// Argument guards and error builders shared by every journal adapter, so each misuse fails the
// same way (same code, same message) whichever adapter is behind the interface.

import { TroupeError } from '../../../runtime/errors.ts';
import type { ExpectedVersion } from '../journal.ts';

/** Throws `invalid-argument` unless `v` is `'any'` or a non-negative integer. */
export function checkExpectedVersion(stream: string, v: unknown): asserts v is ExpectedVersion {
  if (v === 'any' || (typeof v === 'number' && Number.isInteger(v) && v >= 0)) return;
  throw new TroupeError('invalid-argument',
    `expectedVersion ${JSON.stringify(v)} for "${stream}" is not valid: pass the stream's current version (0 for a new stream) or 'any'.`,
    { stream });
}

/** The `concurrency-conflict` error for an append whose expected version did not match. */
export function concurrencyConflict(stream: string, expectedVersion: number, actualVersion: number): TroupeError {
  return new TroupeError('concurrency-conflict',
    `Stream "${stream}" is at version ${actualVersion}, not ${expectedVersion} as expected: another writer appended first. ` +
    `Re-read the stream, decide again, and retry with expectedVersion ${actualVersion}.`,
    { stream, expectedVersion, actualVersion });
}

/** Throws `invalid-argument` unless `v` is undefined or an integer ≥ `min` (`name` for the message). */
export function checkOptionalInt(v: unknown, name: string, min: number): void {
  if (v === undefined || v === Infinity) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new TroupeError('invalid-argument', `${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}.`, { [name]: v });
  }
}

/** The `journal-closed` error; `cause` is set when the journal closed itself after an I/O failure. */
export function journalClosed(cause?: unknown): TroupeError {
  return cause === undefined
    ? new TroupeError('journal-closed', 'The journal is closed: create or open a new one to keep using it.')
    : new TroupeError('journal-closed',
      `The journal closed itself after a write failed (${(cause as Error).message}); nothing after the failure is durable. Fix the cause (disk full? permissions?) and reopen it.`,
      {}, { cause });
}

/** Throws `invalid-argument` unless 1 ≤ `version` ≤ `current` (a snapshot must describe stored events). */
export function checkSnapshotVersion(stream: string, version: unknown, current: number): void {
  if (typeof version === 'number' && Number.isInteger(version) && version >= 1 && version <= current) return;
  throw new TroupeError('invalid-argument',
    `Cannot save a snapshot of "${stream}" at version ${JSON.stringify(version)}: the stream is at version ${current}; ` +
    `snapshot a version between 1 and ${current}.`, { stream, version, currentVersion: current });
}
