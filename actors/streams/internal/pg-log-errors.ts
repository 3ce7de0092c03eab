// Turning what node-postgres rejects with into the LogSource's typed errors: an unreachable or
// dropped server is `backend-unavailable`, a full disk `storage-full`, bad data `invalid-argument`.

import { isTroupeError, TroupeError } from '../../../runtime/errors.ts';

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);
// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, read_only_sql_transaction (a standby).
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);
const DISK_FULL = '53100';

interface PgLikeError { code?: unknown; message?: unknown; errors?: unknown }

/** The code of `e`, or of the first inner error of an AggregateError (a host that resolved to several addresses). */
function codeOf(e: PgLikeError): string | undefined {
  if (typeof e.code === 'string') return e.code;
  if (Array.isArray(e.errors) && e.errors.length > 0) return codeOf(e.errors[0] as PgLikeError);
  return undefined;
}

/** True when `e` says the connection could not be made or was lost (not an error of the statement). */
export function isConnectionFailure(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = codeOf(e as PgLikeError);
  if (code !== undefined && (NETWORK.has(code) || code.startsWith('08') || UNAVAILABLE_STATES.has(code))) return true;
  const message = String((e as PgLikeError).message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Connection ended|not queryable/i.test(message);
}

/**
 * The typed error for a failure of `what` (e.g. `append to "orders"`) on the backend named
 * `source` over schema `schema`; Troupe errors pass through unchanged.
 */
export function pgLogFailure(e: unknown, what: string, source: string, schema: string): TroupeError {
  if (isTroupeError(e)) return e;
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as PgLikeError;
  const code = codeOf(err);
  const message = String(err.message ?? e);
  const data = { backend: 'pg', source, schema, ...(code === undefined ? {} : { pgCode: code }) };
  if (isConnectionFailure(e)) {
    return new TroupeError('backend-unavailable',
      `${what} failed: PostgreSQL cannot be reached (${code ?? message}). Start the server or fix the backend's connectionString/pool; nothing was half-written (a commit cut off mid-way may have gone through) — retry later.`,
      data, { cause: e });
  }
  if (code === DISK_FULL) {
    return new TroupeError('storage-full',
      `${what} failed: the PostgreSQL server is out of disk space (${message}); nothing was written. Free space on the server (or trim retention) and retry.`,
      data, { cause: e });
  }
  if (code !== undefined && code.startsWith('22')) {
    return new TroupeError('invalid-argument', `${what} failed: PostgreSQL refused the data (${message}); nothing was written. Pass values PostgreSQL can store.`, data, { cause: e });
  }
  return new TroupeError('backend-unavailable',
    `${what} failed: PostgreSQL answered ${code ?? 'an error'} (${message}); nothing was half-written. Check the role's privileges on schema "${schema}" and the server's log, then retry.`,
    data, { cause: e });
}
