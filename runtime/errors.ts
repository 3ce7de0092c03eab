// The one runtime error type: a literal `code` union, a brand that survives duplicate package
// copies, and `isTroupeError(e, code)` guards.

/** Every failure Troupe reports, as a closed vocabulary. */
export type TroupeErrorCode =
  // core runtime
  | 'invalid-argument'
  | 'invalid-spec'
  // supervision specs and flags, one code per field
  | 'missing-id'
  | 'invalid-name'
  | 'invalid-child'
  | 'duplicate-child-name'
  | 'invalid-restart-type'
  | 'invalid-shutdown'
  | 'invalid-significant'
  | 'invalid-strategy'
  | 'invalid-intensity'
  | 'invalid-backoff'
  | 'invalid-bulkhead'
  | 'invalid-decider'
  | 'invalid-auto-shutdown'
  | 'start-failed'
  | 'duplicate-name'
  | 'actor-dead'
  | 'ask-timeout'
  | 'mailbox-full'
  | 'system-terminated'
  | 'restart-intensity'
  | 'escalated'
  | 'stash-full'
  | 'circuit-open'
  | 'bulkhead-full'
  // wire and remoting
  | 'malformed-frame'
  | 'frame-too-large'
  | 'unknown-message-type'
  | 'unsupported-version'
  | 'protocol-version'
  | 'auth-failed'
  | 'unknown-recipient'
  | 'transport-closed'
  | 'join-timeout'
  | 'node-unreachable'
  | 'listen-failed'
  // persistence
  | 'schema-invalid'
  | 'invalid-stream'
  | 'concurrency-conflict'
  | 'corrupt-record'
  | 'journal-closed'
  | 'journal-locked'
  | 'journal-data-lost'
  // durable streams
  | 'stale-generation'
  | 'backend-unavailable'
  | 'storage-full'
  // services
  | 'unknown-instance'
  // chaos: a failure injected on purpose (crash, failed message), and storage I/O errors
  | 'injected-fault'
  | 'io-error'
  // simulation
  | 'simulation-escape'
  | 'simulation-stuck'
  | 'replay-diverged'
  | 'invariant-violated';

const BRAND = Symbol.for('troupe.error');

/**
 * The base of every error Troupe throws or rejects with. `code` tells what happened; the message
 * says how to fix it where the caller can. `data` carries structured facts (never secrets).
 * (Not named `details`: test runners such as uvu treat an error's `details` as preformatted text.)
 *
 * @example
 * try { await ref.ask(m => ({ type: 'get', replyTo: m }), { timeoutMs: 100 }) }
 * catch (e) { if (isTroupeError(e, 'ask-timeout')) retryLater() }
 */
export class TroupeError extends Error {
  readonly code: TroupeErrorCode;
  readonly data: Readonly<Record<string, unknown>>;
  readonly [BRAND] = true;

  constructor(code: TroupeErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TroupeError';
    this.code = code;
    this.data = data;
  }
}

/** True when `e` is a Troupe error (from any copy of the package), optionally of one code. */
export function isTroupeError(e: unknown, code?: TroupeErrorCode): e is TroupeError {
  return typeof e === 'object' && e !== null && (e as { [BRAND]?: boolean })[BRAND] === true &&
    (code === undefined || (e as TroupeError).code === code);
}

/** Exhaustiveness check for switches over literal unions. */
export function assertNever(x: never): never {
  throw new TroupeError('invalid-argument', `Unexpected value ${JSON.stringify(x)}: a switch over a message union is missing a case.`);
}
