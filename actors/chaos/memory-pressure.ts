// Memory pressure, bounded: ballast allocated in 1 MiB chunks and touched so it is resident,
// held until released. The bound keeps a chaos run from taking the machine down with the node.

import { TroupeError } from '../../runtime/errors.ts';

/** The most ballast one call may hold: 1 GiB. */
export const MAX_BALLAST_BYTES = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;

/** Ballast held by {@link allocateBallast}. */
export interface Ballast {
  /** Bytes held (0 once released). */
  readonly bytes: number;
  /** Frees it for the garbage collector; idempotent. */
  release(): void;
}

/**
 * Allocates `bytes` of ballast outside the JS heap (Buffers, each page written so the OS really
 * commits it) and keeps it until `release`. Throws `invalid-argument` unless `bytes` is an
 * integer in [1, `maxBytes`] (default {@link MAX_BALLAST_BYTES}); a failed allocation (the
 * process is out of memory already) releases what it took and throws `invalid-argument`.
 *
 * @example
 * const ballast = allocateBallast(256 * 1024 * 1024); // the node now runs 256 MiB tighter
 * ballast.release();
 */
export function allocateBallast(bytes: number, maxBytes = MAX_BALLAST_BYTES): Ballast {
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > maxBytes) {
    throw new TroupeError('invalid-argument', `memory pressure: bytes must be an integer in [1, ${maxBytes}] (at most ${Math.floor(maxBytes / CHUNK)} MiB), got ${String(bytes)}.`, { field: 'bytes' });
  }
  let chunks: Buffer[] = [];
  try {
    for (let left = bytes; left > 0; left -= CHUNK) chunks.push(Buffer.allocUnsafeSlow(Math.min(CHUNK, left)).fill(0xa5));
  } catch (e) {
    chunks = [];
    throw new TroupeError('invalid-argument', `memory pressure: could not allocate ${bytes} bytes (${(e as Error).message}); ask for less.`, { field: 'bytes' }, { cause: e });
  }
  let held = bytes;
  return {
    get bytes() { return held; },
    release() { chunks = []; held = 0; },
  };
}
