// Turns what the nats client rejects with into the log seam's typed errors: unreachable server or
// no JetStream → backend-unavailable, out of storage → storage-full, oversized record → invalid-argument.

import { isTroupeError, TroupeError } from '../../../runtime/errors.ts';

interface NatsLikeError { code?: unknown; message?: unknown; api_error?: { code?: number; err_code?: number; description?: string } }

/** JetStream API error codes meaning "no room": insufficient resources / storage / memory, account limits. */
const STORAGE_FULL = new Set([10023, 10047, 10028, 10002]);
/** Client error codes meaning "the server cannot be reached or is not answering". */
const UNREACHABLE = new Set(['CONNECTION_CLOSED', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'CONNECTION_DRAINING', 'DISCONNECT', 'TIMEOUT', '408', 'REQUEST_ERROR']);

/** The JetStream API error code (`err_code`) of a client error, if any. */
export function jsErrCode(e: unknown): number | undefined {
  return (e as NatsLikeError | null)?.api_error?.err_code;
}

/** True for "stream not found" (10059) or a 404 from a direct get. */
export function isNotFound(e: unknown): boolean {
  const x = e as NatsLikeError | null;
  return jsErrCode(e) === 10059 || jsErrCode(e) === 10037 || x?.code === '404';
}

/** True when JetStream did not answer because no stream listens on the subject (or JetStream is off). */
export function isNoResponders(e: unknown): boolean {
  return (e as NatsLikeError | null)?.code === '503';
}

/** The seam's error for anything the client rejected with during `op`. */
export function toLogError(e: unknown, op: string, servers: string): TroupeError {
  if (isTroupeError(e)) return e;
  const x = (e ?? {}) as NatsLikeError;
  const message = typeof x.message === 'string' ? x.message : String(e);
  const errCode = x.api_error?.err_code;
  if ((errCode !== undefined && STORAGE_FULL.has(errCode)) || /no space left|insufficient (storage )?resources/i.test(message)) {
    return new TroupeError('storage-full', `JetStream at ${servers} has no room for ${op} (${message}); free disk space or raise the server's JetStream max_file_store / account limits, or tighten retention.`, { backend: 'jetstream', errCode }, { cause: e });
  }
  if (errCode === 10054 || x.code === 'MAX_PAYLOAD_EXCEEDED') {
    return new TroupeError('invalid-argument', `${op}: a record is larger than the server accepts (${message}); keep payloads under the server's max_payload (default 1 MiB) or raise it.`, { backend: 'jetstream', errCode }, { cause: e });
  }
  if (x.code === '503') {
    return new TroupeError('backend-unavailable', `JetStream at ${servers} did not answer ${op}: JetStream is not enabled there (start nats-server with -js) or the stream is gone; retry once it is.`, { backend: 'jetstream' }, { cause: e });
  }
  if (typeof x.code === 'string' && UNREACHABLE.has(x.code)) {
    return new TroupeError('backend-unavailable', `NATS at ${servers} is unreachable for ${op} (${message}); start nats-server with -js there (or fix the URL) and retry.`, { backend: 'jetstream' }, { cause: e });
  }
  return new TroupeError('backend-unavailable', `JetStream at ${servers} refused ${op}: ${message}.`, { backend: 'jetstream', errCode }, { cause: e });
}
