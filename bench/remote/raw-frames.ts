// Hand-written length-prefixed JSON frames for the raw TCP baselines: a 4-byte big-endian length,
// then UTF-8 JSON. Independent of Troupe's wire code on purpose (it is what Troupe is measured against).

/**
 * Writes `texts` as consecutive frames into one Buffer (one allocation, one socket write).
 * @example socket.write(encodeJsonFrames([JSON.stringify({ type: 'n', v: 1 })]))
 */
export function encodeJsonFrames(texts: readonly string[]): Buffer {
  let total = 0;
  for (let i = 0; i < texts.length; i++) total += 4 + Buffer.byteLength(texts[i], 'utf8');
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < texts.length; i++) {
    const n = out.write(texts[i], off + 4, 'utf8');
    out.writeUInt32BE(n, off);
    off += 4 + n;
  }
  return out;
}

/**
 * A streaming decoder: feed it socket chunks, it calls `onValue` with each frame's `JSON.parse`d
 * value in order. Only a frame that straddles two chunks is copied.
 */
export function createJsonFrameReader(onValue: (value: unknown) => void): (chunk: Buffer) => void {
  let pending: Buffer | null = null;
  return (chunk) => {
    const buf: Buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
    pending = null;
    let off = 0;
    while (buf.length - off >= 4) {
      const length = buf.readUInt32BE(off);
      if (buf.length - off - 4 < length) break;
      onValue(JSON.parse(buf.toString('utf8', off + 4, off + 4 + length)));
      off += 4 + length;
    }
    if (off < buf.length) pending = buf.subarray(off);
  };
}
