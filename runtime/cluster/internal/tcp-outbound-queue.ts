// One peer's outbound frame queue: frames wait here (bounded by the caller) until the link is up
// and the socket accepts more, then leave in batches, many frames per socket write.

import type { Writable } from 'node:stream';
import { FRAME_HEADER_BYTES } from '../../wire/frame.ts';

/** Largest batch copied into one buffer for one socket write (256 KiB). */
export const BATCH_BYTES = 256 * 1024;

/** Frames at least this big (64 KiB) are written as they are, after a 4-byte header, without a copy. */
const LARGE_FRAME_BYTES = 64 * 1024;

/**
 * A FIFO of frame bodies with their framed size accounted. Not a stream: `writeTo` copies runs
 * of small frames into one buffer each (one allocation and one `write` per run, instead of one
 * per frame) and stops at the first `write` that returns false, keeping the rest in order.
 */
export interface OutboundQueue {
  /** Framed bytes queued (bodies plus 4-byte headers). */
  readonly bytes: number;
  /** Frames queued. */
  readonly length: number;
  /** Appends one frame body; the queue keeps a reference to it until it is written. */
  push(frame: Buffer): void;
  /**
   * Writes queued frames to `socket` in order. Returns true when the queue is empty and the
   * socket still accepts data; false when `socket.write` asked to wait for 'drain' (the frames
   * not yet written stay queued).
   */
  writeTo(socket: Writable): boolean;
  /** Drops every queued frame. */
  clear(): void;
}

/** Creates an empty {@link OutboundQueue}. */
export function createOutboundQueue(): OutboundQueue {
  let frames: Buffer[] = [];
  let head = 0;
  let bytes = 0;

  const header = (length: number): Buffer => {
    const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    h.writeUInt32BE(length, 0);
    return h;
  };

  const writeTo = (socket: Writable): boolean => {
    while (head < frames.length) {
      let ok: boolean;
      const first = frames[head];
      if (first.length >= LARGE_FRAME_BYTES) {
        head++;
        bytes -= FRAME_HEADER_BYTES + first.length;
        socket.write(header(first.length));
        ok = socket.write(first);
      } else {
        let size = 0;
        let end = head;
        while (end < frames.length && frames[end].length < LARGE_FRAME_BYTES && size < BATCH_BYTES) {
          size += FRAME_HEADER_BYTES + frames[end].length;
          end++;
        }
        const out = Buffer.allocUnsafe(size);
        let off = 0;
        for (let i = head; i < end; i++) {
          const f = frames[i];
          out.writeUInt32BE(f.length, off);
          f.copy(out, off + FRAME_HEADER_BYTES);
          off += FRAME_HEADER_BYTES + f.length;
        }
        head = end;
        bytes -= size;
        ok = socket.write(out);
      }
      if (!ok) {
        frames = head === frames.length ? [] : frames.slice(head);
        head = 0;
        return false;
      }
    }
    frames = [];
    head = 0;
    return true;
  };

  return {
    get bytes() { return bytes; },
    get length() { return frames.length - head; },
    push(frame) {
      frames.push(frame);
      bytes += FRAME_HEADER_BYTES + frame.length;
    },
    writeTo,
    clear() { frames = []; head = 0; bytes = 0; },
  };
}
