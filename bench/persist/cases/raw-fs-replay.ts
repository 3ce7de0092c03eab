// Baseline: reading the same segment files raw (1 MiB positional reads, as the journal reads) and
// JSON.parse-ing each record's data payload — no CRC check, no index, no event objects.

import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseParams, Metrics } from '../../harness/suite.ts';
import { secondsSince } from '../fixtures.ts';
import { releaseReplayJournals, replayJournal } from '../replay-journal.ts';

/** Bytes of a segment header, frame header and fixed record header (internal/segment-format.ts, record-format.ts). */
const SEGMENT_HEADER = 16, FRAME = 8, FIXED = 40, ABSENT = 0xffff;
const WINDOW = 1 << 20;

interface RawSlices { utf8Slice(start: number, end: number): string }
const utf8 = (b: Buffer, s: number, e: number): string => (b as unknown as RawSlices).utf8Slice(s, e);

/** Keeps the last parsed payload reachable (defeats dead-code elimination). */
export let lastData: unknown;

/** The offset of the data payload of the record whose payload starts at `p` (layout: record-format.ts). */
function dataStart(b: Buffer, p: number): number {
  let q = p + FIXED + b.readUInt16LE(p + 2) + b.readUInt16LE(p + 32) + b.readUInt16LE(p + 34);
  const corr = b.readUInt16LE(p + 36), caus = b.readUInt16LE(p + 38);
  if (corr !== ABSENT) q += corr;
  if (caus !== ABSENT) q += caus;
  return q;
}

/** Parses every data payload of one segment file; returns how many. */
async function readSegment(file: string): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(WINDOW);
    let count = 0;
    let at = SEGMENT_HEADER;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(WINDOW, size - at), at);
      let off = 0;
      while (off + FRAME <= bytesRead) {
        const len = buf.readUInt32LE(off);
        const p = off + FRAME;
        if (p + len > bytesRead) break;
        lastData = JSON.parse(utf8(buf, dataStart(buf, p), p + len));
        count++;
        off = p + len;
      }
      if (off === 0) throw new Error(`${file}: a record at byte ${at} is larger than ${WINDOW} bytes`);
      at += off;
    }
    return count;
  } finally {
    await fh.close();
  }
}

/** Reads every segment of a `size`-event journal (built untimed, as for file-replay); reports `eventsPerSec`. */
export async function run({ size, warmup }: CaseParams): Promise<Metrics> {
  const dir = await replayJournal(size);
  try {
    const files = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort().map((n) => join(dir, n));
    const t0 = process.hrtime.bigint();
    let count = 0;
    for (const f of files) count += await readSegment(f);
    const eventsPerSec = count / secondsSince(t0);
    const seq = (lastData as { seq?: unknown } | undefined)?.seq;
    if (count !== size || seq !== size - 1) throw new Error(`read ${count}/${size} payloads, last seq ${String(seq)}`);
    return { eventsPerSec };
  } finally {
    await releaseReplayJournals(warmup);
  }
}
