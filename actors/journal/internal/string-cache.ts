// Decoding short, repeating strings (event types, stream names) from record bytes without
// allocating a new string each time; plus the fastest UTF-8 slice the runtime offers.

// Buffer's own utf8Slice skips toString's argument normalisation (≈40 ns per call on Node 20);
// fall back to toString where a runtime lacks it.
interface RawSlices { utf8Slice(start: number, end: number): string }
const RAW = typeof (Buffer.prototype as unknown as Partial<RawSlices>).utf8Slice === 'function';
/** The UTF-8 text of `b[s, e)`. */
export const utf8 = (b: Buffer, s: number, e: number): string => RAW ? (b as unknown as RawSlices).utf8Slice(s, e) : b.toString('utf8', s, e);

/**
 * Interns short strings decoded from bytes (event types, stream names), which repeat across
 * records: a hit costs a hash and a byte compare instead of a string allocation. Bounded.
 */
export class StringCache {
  private readonly keys = new Map<number, { bytes: Buffer; text: string }>();

  /** The UTF-8 string in `buf[start, end)`. */
  get(buf: Buffer, start: number, end: number): string {
    const n = end - start;
    if (n > 64) return utf8(buf, start, end);
    let h = 0x811c9dc5 ^ n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const hit = this.keys.get(h);
    if (hit !== undefined && hit.bytes.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) if (hit.bytes[i] !== buf[start + i]) { same = false; break; }
      if (same) return hit.text;
    }
    const text = utf8(buf, start, end);
    if (this.keys.size >= 1024) this.keys.clear();
    this.keys.set(h, { bytes: Buffer.from(buf.subarray(start, end)), text });
    return text;
  }
}
