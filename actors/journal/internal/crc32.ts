// CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320) over byte ranges: a slicing-by-8 table
// for short ranges, node:zlib's native crc32 (Node ≥ 20.15) for long ones where the runtime has it.

import * as zlib from 'node:zlib';

// Int32Array, not Uint32Array: entries stay small integers in V8 instead of boxed doubles.
const TABLES: Int32Array = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) { c = t[c & 0xff] ^ (c >>> 8); t[k * 256 + n] = c; }
  }
  return t;
})();

/**
 * CRC-32 of `buf[start, end)` computed in JavaScript with precomputed slicing-by-8 tables.
 * @example crc32Table(Buffer.from('123456789'), 0, 9) // 0xcbf43926
 */
export function crc32Table(buf: Uint8Array, start = 0, end = buf.length): number {
  const t = TABLES;
  let c = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
    c = t[1792 + (a & 0xff)] ^ t[1536 + ((a >>> 8) & 0xff)] ^ t[1280 + ((a >>> 16) & 0xff)] ^ t[1024 + (a >>> 24)] ^
      t[768 + buf[i + 4]] ^ t[512 + buf[i + 5]] ^ t[256 + buf[i + 6]] ^ t[buf[i + 7]];
  }
  for (; i < end; i++) c = t[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** Below this many bytes the table beats the native call's fixed cost (measured on Node 20). */
const NATIVE_FROM_BYTES = 1024;

/**
 * CRC-32 of `buf[start, end)`, as an unsigned 32-bit integer; same value as {@link crc32Table}.
 * Uses the table for short ranges and node:zlib's native crc32 (when present) for long ones.
 * @example crc32(Buffer.from('123456789')) // 0xcbf43926
 */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  if (end - start < NATIVE_FROM_BYTES || native === undefined) return crc32Table(buf, start, end);
  return native(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
}
